"""Crawling columns against a local server: where paging stops, POST paging, gkmlpt lists, portal roots,
and one imitation site crawled completely. Pages are written from the facts in the project notes."""

import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pipeline.fetch.archive import Archive
from pipeline.fetch.catalogue import read_catalogue, write_catalogue
from pipeline.fetch.crawl import FetchConfig, run_fetch

FIXTURES = Path(__file__).parent / "fixtures" / "listings"
REPORT_TEXT = "某区2024年法治政府建设年度报告。全年办理行政复议案件120宗，行政诉讼案件85宗，依法行政水平持续提升。" * 3


def report_page(title: str) -> str:
    return f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><p>{REPORT_TEXT}</p></body></html>"


def html(body: str, title: str = "栏目") -> str:
    return f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>{body}</body></html>"


def li(href: str, title: str, date: str = "") -> str:
    return f'<li><a href="{href}" title="{title}">{title}</a><span>{date}</span></li>'


def serve(server: HTTPServer, pages: dict[str, str]) -> None:
    for path, body in pages.items():
        server.expect_request(path).respond_with_data(body, content_type="text/html; charset=utf-8")


def serve_reports(server: HTTPServer, paths: list[str]) -> None:
    serve(server, {p: report_page("报告") for p in paths})


def fetch(tmp_path: Path, rows: list[dict] | None = None):
    sources = tmp_path / "sources.csv"
    if rows is not None:
        write_catalogue(sources, rows)
    cfg = FetchConfig(delay=0.01, retries=1, backoff_factor=0.01, backoff_max=0.02, connect_timeout=2,
                      read_timeout=2, max_seconds_per_url=10)
    summary = run_fetch(sources, tmp_path / "raw", allow_private=True, config=cfg)
    return summary, read_catalogue(sources)


def requested(server: HTTPServer, path: str) -> int:
    return sum(1 for req, _ in server.log if req.path == path)


def found_reports(rows: list[dict]) -> dict[str, dict]:
    return {r["url"]: r for r in rows if r["kind"] == "report"}


def listing(url: str, **extra) -> dict:
    return {"kind": "listing", "url": url, "jurisdiction": "某区", "parent": "某市", "level": "district", **extra}


# --- where paging stops ---------------------------------------------------------------------------------------


def test_paging_stops_at_the_first_page_that_adds_nothing_new(server, tmp_path):
    pager = '<script>createPageHTML(10, 0, "index", "html");</script>'
    serve(server, {
        "/trs/index.html": html(f'<ul>{li("./202503/t20250301_3.html", "某县2024年法治政府建设年度报告")}</ul>'
                                + pager),
        "/trs/index_1.html": html(f'<ul>{li("./202403/t20240301_2.html", "某县2023年法治政府建设年度报告")}</ul>'
                                  + pager),
        "/trs/index_2.html": html('<div class="page"></div>'),  # a 300-byte stub past the real end
    })
    serve_reports(server, ["/trs/202503/t20250301_3.html", "/trs/202403/t20240301_2.html"])
    summary, rows = fetch(tmp_path, [listing(server.url_for("/trs/index.html"))])
    assert requested(server, "/trs/index_2.html") == 1
    assert all(requested(server, f"/trs/index_{n}.html") == 0 for n in range(3, 10))
    assert {r["published"] for r in found_reports(rows).values()} == {"2025-03-01", "2024-03-01"}  # from the URLs
    assert summary.discovered == 2 and summary.failed == 0


def test_a_later_crawl_stops_where_it_meets_reports_it_already_has(server, tmp_path):
    pager = '<script>createPageHTML(3, 0, "index", "html");</script>'
    first = [li("./202403/t20240301_23.html", "某县2023年法治政府建设年度报告"),
             li("./202303/t20230301_22.html", "某县2022年法治政府建设年度报告")]
    newest = li("./202503/t20250301_24.html", "某县2024年法治政府建设年度报告")
    state = {"items": first}

    def index(request: Request) -> Response:
        return Response(html("<ul>" + "".join(state["items"]) + "</ul>" + pager), content_type="text/html")

    server.expect_request("/trs/index.html").respond_with_handler(index)
    serve(server, {"/trs/index_1.html": html("<ul>" + li("./202203/t20220301_21.html", "某县2021年法治政府建设年度报告")
                                             + "</ul>" + pager),
                   "/trs/index_2.html": html("<ul>" + li("./202103/t20210301_20.html", "某县2020年法治政府建设年度报告")
                                             + "</ul>" + pager)})
    serve_reports(server, [f"/trs/20{y + 1}03/t20{y + 1}0301_{y}.html" for y in range(20, 25)])
    _, rows = fetch(tmp_path, [listing(server.url_for("/trs/index.html"))])
    assert len(found_reports(rows)) == 4 and requested(server, "/trs/index_2.html") == 1
    state["items"] = [newest, *first]
    summary, rows = fetch(tmp_path)
    assert summary.discovered == 1 and len(found_reports(rows)) == 5
    assert requested(server, "/trs/index.html") == 2
    assert requested(server, "/trs/index_1.html") == 1 and requested(server, "/trs/index_2.html") == 1


# --- Hanweb by POST -------------------------------------------------------------------------------------------

HANWEB_RECORDS = {n: (f"/art/{2026 - n}/3/{n}/art_1001_{n}.html", f"某市司法局{2025 - n}年法治政府建设年度报告")
                  for n in range(4, 8)}


def hanweb_proxy(posted: list) -> Callable[[Request], Response]:
    """dataproxy.jsp answering records startrecord..endrecord of 7, only to a POST naming the column."""
    def handle(request: Request) -> Response:
        posted.append((request.method, dict(request.args), dict(request.form)))
        if request.method != "POST" or request.form.get("columnid") != "1001" or request.form.get("unitid") != "4512":
            return Response("bad request", status=400)
        start, end = int(request.args["startrecord"]), int(request.args["endrecord"])
        records = "".join(f"<record><![CDATA[<li><a href=\"{HANWEB_RECORDS[n][0]}\">{HANWEB_RECORDS[n][1]}</a>"
                          f"<span>{2026 - n}-\n03-\n0{n}</span></li>]]></record>"
                          for n in range(start, min(end, 7) + 1))
        xml = f'<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>7</totalrecord><recordset>{records}' \
              "</recordset></datastore>"
        return Response(xml, content_type="text/xml; charset=utf-8")
    return handle


def test_hanweb_column_pages_by_post_with_its_form_fields(server, tmp_path):
    posted: list = []
    serve(server, {"/col/col1001/index.html": (FIXTURES / "hanweb_col.html").read_text(encoding="utf-8")})
    server.expect_request("/module/web/jpage/dataproxy.jsp").respond_with_handler(hanweb_proxy(posted))
    serve_reports(server, [path for path, _ in HANWEB_RECORDS.values()]
                  + ["/art/2025/3/28/art_1001_9001.html", "/art/2024/3/20/art_1001_8001.html"])
    summary, rows = fetch(tmp_path, [listing(server.url_for("/col/col1001/index.html"))])
    assert [(m, a["startrecord"], a["endrecord"]) for m, a, _ in posted] == [("POST", "4", "6"), ("POST", "7", "9")]
    reports = found_reports(rows)
    assert len(reports) == 6 and summary.failed == 0
    assert reports[server.url_for(HANWEB_RECORDS[5][0])]["published"] == "2021-03-05"  # broken over lines
    assert server.url_for("/col/col1002/index.html") not in reports
    assert requested(server, "/col/col1003/") == 0  # a column named with a year is still a column
    manifest = Archive(tmp_path / "raw").rows()
    assert sum(1 for r in manifest if "#POST:" in r["url"] and r["sha256"]) == 2  # replies archived by request


# --- gkmlpt ---------------------------------------------------------------------------------------------------


def gkmlpt_api(request: Request) -> Response:
    """Category 3003 under /zqhjj: 4 posts said, 3 there, on short pages; page 3 is past the end (404)."""
    page = int(request.args["page"])
    prefix = "http://" + request.host + "/zqhjj"
    posts = {1: [(3255421, "某市生态环境局2024年法治政府建设年度报告"),
                 (2917003, "某市生态环境局2023年法治政府建设年度报告")],
             2: [(2500007, "某市生态环境局2022年法治政府建设年度报告")]}
    if page not in posts or request.args.get("sid") != "758019":
        return Response("not found", status=404)
    articles = [{"id": i, "title": t, "date": "2024-02-01", "document_number": f"肇环〔2024〕{i % 100}号",
                 "post_url": f"{prefix}/fzzfjs/ndbg/content/post_{i}.html"} for i, t in posts[page]]
    return Response(json.dumps({"classify": {"id": 3003, "name": "法治政府建设年度报告", "post_count": 4},
                                "articles": articles}), content_type="application/json")


def gkmlpt_site(server: HTTPServer) -> list[str]:
    """The gkmlpt sub-site: index, API, the jump_url column (one post reached two ways), the posts."""
    serve(server, {"/zqhjj/gkmlpt/index": (FIXTURES / "gkmlpt_prefix_index.html").read_text(encoding="utf-8"),
                   "/zqhjj/fzzfjs/ndbg/": html(
                       "<ul>"
                       + li("content/post_3255421.html", "某市生态环境局2024年法治政府建设年度报告", "2025-02-26")
                       + li("content/post_1900001.html", "某市生态环境局2019年法治政府建设年度报告", "2020-03-01")
                       + "</ul>" + '<script>window.NFCMS_SITE_ID=1;</script>')})
    server.expect_request("/zqhjj/gkmlpt/api/all/3003").respond_with_handler(gkmlpt_api)
    posts = ["/zqhjj/gkmlpt/content/3/3255/post_3255421.html", "/zqhjj/gkmlpt/content/2/2917/post_2917003.html",
             "/zqhjj/gkmlpt/content/2/2500/post_2500007.html", "/zqhjj/fzzfjs/ndbg/content/post_1900001.html"]
    serve_reports(server, posts)
    return posts


def test_gkmlpt_under_a_prefix_short_pages_404_past_the_end_jump_url_and_one_post_counted_once(server, tmp_path):
    posts = gkmlpt_site(server)
    summary, rows = fetch(tmp_path, [listing(server.url_for("/zqhjj/gkmlpt/index"))])
    assert sorted(req.args["page"] for req, _ in server.log if req.path == "/zqhjj/gkmlpt/api/all/3003") == [
        "1", "2", "3"]
    reports = found_reports(rows)
    assert set(reports) == {server.url_for(p) for p in posts}  # post_3255421 once, as its gkmlpt URL
    first = reports[server.url_for(posts[0])]
    assert (first["doc_number"], first["written"], first["column"]) == ("肇环〔2024〕21号", "2024-02-01",
                                                                        "法治政府建设年度报告")
    past_end = next(r for r in Archive(tmp_path / "raw").rows() if "page=3" in r["url"])
    assert past_end["status"] == "404" and "past the end" in past_end["error"]
    assert summary.failed == 0


# --- portal roots ---------------------------------------------------------------------------------------------


def portal_site(server: HTTPServer, column: str) -> None:
    """A portal whose navigation leads, three steps deep, to `column`; decoys beside each step."""
    serve(server, {
        "/portal/": html('<a href="/portal/">首页</a><a href="/portal/xwzx/">新闻中心</a>'
                         '<a href="/portal/zwgk/">政务公开</a><a href="/portal/hdjl/">互动交流</a>', "某区人民政府"),
        "/portal/zwgk/": html('<a href="/portal/zwgk/znb/">政府信息公开指南</a>'
                              '<a href="/portal/zwgk/xxgk/">政府信息公开</a>'),
        "/portal/zwgk/xxgk/": html('<a href="/portal/zwgk/xxgk/nb/">政府信息公开年报</a>'
                                   '<a href="/portal/zwgk/xxgk/fdzdgknr/">法定主动公开内容</a>'),
        "/portal/zwgk/xxgk/fdzdgknr/": html('<a href="/portal/zwgk/xxgk/fdzdgknr/zcwj/">政策文件</a>'
                                            f'<a href="{column}">法治政府建设年度报告</a>'),
    })


def test_a_portal_root_leads_to_the_report_column_which_is_then_crawled(server, tmp_path):
    column = "/portal/zwgk/xxgk/fdzdgknr/fzzfjsndbg/"
    portal_site(server, column)
    serve(server, {column: html("<ul>" + li("content/post_11.html", "某区2024年法治政府建设年度报告", "2025-03-01")
                                + "</ul><script>window.NFCMS_SITE_ID=2;</script>")})
    serve_reports(server, [column + "content/post_11.html"])
    site = {"kind": "site", "url": server.url_for("/portal/"), "jurisdiction": "某区", "parent": "某市",
            "level": "district"}
    summary, rows = fetch(tmp_path, [site])
    [found] = [r for r in rows if r["kind"] == "listing"]
    assert (found["url"], found["found_on"], found["jurisdiction"], found["level"]) == (
        server.url_for(column), server.url_for("/portal/zwgk/xxgk/fdzdgknr/"), "某区", "district")
    assert list(found_reports(rows)) == [server.url_for(column + "content/post_11.html")]
    for decoy in ("/portal/xwzx/", "/portal/hdjl/", "/portal/zwgk/znb/", "/portal/zwgk/xxgk/nb/"):
        assert requested(server, decoy) == 0, decoy
    # the next run knows the column: the portal is not walked again
    fetch(tmp_path)
    assert requested(server, "/portal/") == 1 and requested(server, column) == 2


# --- an imitation site, crawled completely -----------------------------------------------------------------------


def test_an_imitation_site_is_crawled_completely(server, tmp_path):
    posted: list = []
    # a portal leading to a Hanweb column with POST paging (and menu links to sibling columns)
    portal_site(server, "/col/col1001/index.html")
    serve(server, {"/col/col1001/index.html": (FIXTURES / "hanweb_col.html").read_text(encoding="utf-8")})
    server.expect_request("/module/web/jpage/dataproxy.jsp").respond_with_handler(hanweb_proxy(posted))
    hanweb_reports = [p for p, _ in HANWEB_RECORDS.values()] + ["/art/2025/3/28/art_1001_9001.html",
                                                                 "/art/2024/3/20/art_1001_8001.html"]
    # a Beijing column: three-integer pager, a test entry, a sibling-column menu link
    beijing_pager = '<script>createPageHTML(4, 2, 0, "index", "html", 15);</script>'
    beijing = {
        "/bj/index.html": html(
            '<div class="nav"><a href="/bj/qzf/">法治政府建设年度报告</a></div><ul class="default_news">'
            '<li><i class="flag">朝阳区</i><a href="./202503/t20250328_1.html">北京市朝阳区2024年法治政府建设年度报告'
            '</a></li><li><i class="flag"></i><a href="./202503/t20250301_9.html">测试2024年法治政府建设年度报告</a>'
            f'</li></ul>{beijing_pager}'),
        "/bj/index_1.html": html(
            '<ul class="default_news"><li><i class="flag">海淀区</i><a href="./202403/t20240329_2.html">'
            f'北京市海淀区2023年法治政府建设年度报告</a></li></ul>{beijing_pager}'),
    }
    serve(server, beijing)
    beijing_reports = ["/bj/202503/t20250328_1.html", "/bj/202403/t20240329_2.html"]
    gkmlpt_reports = gkmlpt_site(server)
    serve_reports(server, hanweb_reports + beijing_reports)
    catalogue = [{"kind": "site", "url": server.url_for("/portal/"), "jurisdiction": "某市", "level": "city"},
                 listing(server.url_for("/bj/index.html")), listing(server.url_for("/zqhjj/gkmlpt/index"))]
    summary, rows = fetch(tmp_path, catalogue)
    reports = found_reports(rows)
    assert set(reports) == {server.url_for(p) for p in hanweb_reports + beijing_reports + gkmlpt_reports}
    assert all(m == "POST" for m, _, _ in posted) and len(posted) == 2
    assert requested(server, "/bj/202503/t20250301_9.html") == 0  # the test entry
    manifest = Archive(tmp_path / "raw").rows()
    assert {r["url"] for r in manifest if r["kind"] == "report" and r["sha256"]} == set(reports)
    assert summary.failed == 0 and summary.discovered == len(reports)
    # a second run asks nothing of the sites it has crawled but their first pages
    before = len(server.log)
    again, _ = fetch(tmp_path)
    assert again.discovered == 0
    later = [req.path for req, _ in server.log[before:]]
    assert "/portal/" not in later and "/bj/index_1.html" not in later


def test_post_requests_are_named_by_their_form_in_the_manifest(server, tmp_path):
    posted: list = []
    server.expect_request("/module/web/jpage/dataproxy.jsp").respond_with_handler(hanweb_proxy(posted))
    serve(server, {"/col/col1001/index.html": (FIXTURES / "hanweb_col.html").read_text(encoding="utf-8")})
    fetch(tmp_path, [listing(server.url_for("/col/col1001/index.html"))])
    form = urlencode([("col", "1"), ("appid", "1"), ("webid", "23"), ("path", "/"), ("columnid", "1001"),
                      ("unitid", "4512"), ("webname", "某市司法局"), ("permissiontype", "0")])
    urls = {r["url"] for r in Archive(tmp_path / "raw").rows()}
    proxy = server.url_for("/module/web/jpage/dataproxy.jsp")
    assert f"{proxy}?startrecord=4&endrecord=6&perpage=15#POST:{form}" in urls
