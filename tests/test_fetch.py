"""`pipeline fetch` against local servers: politeness, retries, limits, rejections, discovery, resume."""

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pipeline.fetch.archive import Archive
from pipeline.fetch.catalogue import read_catalogue, write_catalogue
from pipeline.fetch.crawl import FetchConfig, resolve_host, run_fetch

FIXTURES = Path(__file__).parent / "fixtures" / "listings"
ROOT = Path(__file__).parent.parent
DELAY = 0.05
REPORT_TEXT = "某区2024年法治政府建设年度报告。全年办理行政复议案件120宗，行政诉讼案件85宗，依法行政水平持续提升。" * 3


def page(title: str = "某区2024年法治政府建设年度报告", body: str = REPORT_TEXT) -> str:
    return f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><p>{body}</p></body></html>"


def config(**overrides) -> FetchConfig:
    base = {"delay": DELAY, "retries": 3, "backoff_factor": 0.01, "backoff_max": 0.05, "connect_timeout": 2,
            "read_timeout": 2, "max_seconds_per_url": 10}
    return FetchConfig(**{**base, **overrides})


def allow_all_robots(server: HTTPServer) -> None:
    server.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")


def fetch(tmp_path: Path, rows: list[dict], **kwargs):
    """Write the catalogue, run fetch, return (summary, manifest rows)."""
    sources = tmp_path / "sources.csv"
    if not sources.exists():
        write_catalogue(sources, rows)
    kwargs.setdefault("allow_private", True)
    kwargs.setdefault("config", config())
    summary = run_fetch(sources, tmp_path / "raw", **kwargs)
    return summary, Archive(tmp_path / "raw").rows()


def reports(*urls: str) -> list[dict]:
    return [{"kind": "report", "url": u} for u in urls]


def requested(server: HTTPServer, path: str) -> int:
    return sum(1 for req, _ in server.log if req.path == path)


def captures(tmp_path: Path) -> list[Path]:
    return sorted(p for p in (tmp_path / "raw" / "captures").rglob("*") if p.is_file() and p.suffix != ".json") \
        if (tmp_path / "raw" / "captures").exists() else []


def timed_handler(log: list, responses: list[Response] | None = None, sleep: float = 0.0):
    """A handler that records when each request came and went, answering from `responses` in turn."""
    def handle(request: Request) -> Response:
        start = time.monotonic()
        time.sleep(sleep)
        resp = responses.pop(0) if responses and len(responses) > 1 else (
            responses[0] if responses else Response(page(), content_type="text/html"))
        log.append((request.path, start, time.monotonic()))
        return resp
    return handle


# --- retries -------------------------------------------------------------------------------------------------


def test_5xx_is_retried_with_backoff_until_it_works_and_gives_up_after_the_retries(server, tmp_path):
    log: list = []
    server.expect_request("/flaky").respond_with_handler(timed_handler(
        log, [Response("busy", 503), Response("busy", 502), Response(page(), content_type="text/html")]))
    server.expect_request("/down").respond_with_data("down", status=500)
    server.expect_request("/gone").respond_with_data("nope", status=404)
    summary, rows = fetch(tmp_path, reports(server.url_for("/flaky"), server.url_for("/down"),
                                            server.url_for("/gone")))
    assert requested(server, "/flaky") == 3
    assert requested(server, "/down") == 4  # the first attempt and 3 retries
    assert requested(server, "/gone") == 1  # 404 is not retried
    by_url = {r["url"].rsplit("/", 1)[1]: r for r in rows}
    assert by_url["flaky"]["status"] == "200" and by_url["flaky"]["sha256"]
    assert by_url["down"]["error"] == "HTTP 500 after 4 attempts"
    assert by_url["gone"]["error"] == "HTTP 404"
    assert (summary.fetched, summary.failed) == (1, 2)
    # the backoff grows: the second wait is not shorter than the first
    gaps = [b[1] - a[2] for a, b in zip(log, log[1:], strict=False)]
    assert gaps[1] >= gaps[0] - 0.01 and min(gaps) >= DELAY


def test_read_timeout_is_retried(server, tmp_path):
    calls = []

    def slow_first(request: Request) -> Response:
        calls.append(request.path)
        if len(calls) == 1:
            time.sleep(1.0)
        return Response(page(), content_type="text/html")

    server.expect_request("/slow").respond_with_handler(slow_first)
    summary, rows = fetch(tmp_path, reports(server.url_for("/slow")), config=config(read_timeout=0.3))
    assert len(calls) == 2 and summary.fetched == 1 and rows[-1]["status"] == "200"


def test_429_waits_for_retry_after_and_gives_up_on_a_long_one(server, tmp_path):
    log: list = []
    server.expect_request("/busy").respond_with_handler(timed_handler(
        log, [Response("slow down", 429, headers={"Retry-After": "1"}), Response(page(), content_type="text/html")]))
    server.expect_request("/later").respond_with_data("later", status=429, headers={"Retry-After": "3600"})
    summary, rows = fetch(tmp_path, reports(server.url_for("/busy"), server.url_for("/later")))
    assert len(log) == 2 and log[1][1] - log[0][2] >= 1.0
    assert requested(server, "/later") == 1
    later = next(r for r in rows if r["url"].endswith("/later"))
    assert later["status"] == "429" and "Retry-After 3600" in later["error"]
    assert (summary.fetched, summary.failed) == (1, 1)


# --- politeness ----------------------------------------------------------------------------------------------


def test_robots_disallow_is_honoured_and_crawl_delay_spaces_requests(tmp_path):
    s = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    s.start()
    try:
        s.expect_request("/robots.txt").respond_with_data(
            "User-agent: *\nDisallow: /private/\nCrawl-delay: 0.3\n")
        log: list = []
        s.expect_request("/private/r.html").respond_with_data(page(), content_type="text/html")
        for n in range(3):
            s.expect_request(f"/r{n}.html").respond_with_handler(timed_handler(log))
        urls = [s.url_for("/private/r.html"), *(s.url_for(f"/r{n}.html") for n in range(3))]
        summary, rows = fetch(tmp_path, reports(*urls))
        assert requested(s, "/private/r.html") == 0
        assert rows[0]["error"] == "disallowed by robots.txt" and not rows[0]["sha256"]
        assert (summary.fetched, summary.skipped) == (3, 1)
        assert all(b[1] - a[2] >= 0.3 for a, b in zip(log, log[1:], strict=False))
    finally:
        s.stop()


def test_each_host_one_request_at_a_time_with_the_delay_while_hosts_run_in_parallel(tmp_path):
    servers = [HTTPServer(host="127.0.0.1", port=0, threaded=True) for _ in range(2)]
    logs: list[list] = [[], []]
    try:
        for s, log in zip(servers, logs, strict=True):
            s.start()
            allow_all_robots(s)
            for n in range(5):
                s.expect_request(f"/p{n}.html").respond_with_handler(timed_handler(log, sleep=0.05))
        urls = [s.url_for(f"/p{n}.html") for n in range(5) for s in servers]
        summary, _ = fetch(tmp_path, reports(*urls))
        assert summary.fetched == 10 and len(summary.hosts) == 2
        for log in logs:
            spans = sorted((start, end) for _, start, end in log)
            # never two at once, and each request starts at least DELAY after the previous one ended
            assert all(later[0] - earlier[1] >= DELAY for earlier, later in zip(spans, spans[1:], strict=False))
        overlaps = [a for a in logs[0] for b in logs[1] if a[1] < b[2] and b[1] < a[2]]
        assert overlaps, "the two hosts should be fetched concurrently"
    finally:
        for s in servers:
            s.stop()


def test_user_agent_names_a_contact_url_and_the_environment_overrides_it(server, tmp_path, monkeypatch):
    server.expect_request("/r").respond_with_data(page(), content_type="text/html")
    fetch(tmp_path, reports(server.url_for("/r")), config=config(contact_url="https://example.org/contact"))
    agent = server.log[-1][0].headers["User-Agent"]
    assert "+https://example.org/contact" in agent
    monkeypatch.setenv("FZZF_USER_AGENT", "mirror-bot/1.0 (+https://mirror.example/about)")
    fetch(tmp_path, [], refresh=True)
    assert server.log[-1][0].headers["User-Agent"] == "mirror-bot/1.0 (+https://mirror.example/about)"


# --- conditional requests and encodings ---------------------------------------------------------------------


def test_unchanged_page_costs_a_304_and_no_capture_and_is_skipped_without_refresh(server, tmp_path):
    def conditional(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        return Response(page(), content_type="text/html", headers={"ETag": '"v1"'})

    server.expect_request("/r").respond_with_handler(conditional)
    url = server.url_for("/r")
    first, _ = fetch(tmp_path, reports(url))
    files = captures(tmp_path)
    second, _ = fetch(tmp_path, [])
    assert requested(server, "/r") == 1 and second.skipped == 1
    third, rows = fetch(tmp_path, [], refresh=True)
    assert requested(server, "/r") == 2
    assert server.log[-1][0].headers.get("If-None-Match") == '"v1"'
    assert (first.fetched, third.unchanged, third.fetched) == (1, 1, 0)
    assert rows[-1]["status"] == "304" and not rows[-1]["sha256"] and not rows[-1]["error"]
    assert captures(tmp_path) == files
    assert Archive(tmp_path / "raw").latest_rows()[url]["status"] == "200"


def test_gbk_page_without_a_charset_is_archived_untouched_with_its_encoding(server, tmp_path):
    body = page(body=REPORT_TEXT * 4).replace("<meta charset='utf-8'>", "").encode("gbk")
    server.expect_request("/gbk.html").respond_with_data(body, content_type="text/html")
    summary, rows = fetch(tmp_path, reports(server.url_for("/gbk.html")))
    assert summary.fetched == 1
    assert rows[-1]["encoding"] == "gb18030"
    assert (tmp_path / "raw" / rows[-1]["path"]).read_bytes() == body


# --- limits --------------------------------------------------------------------------------------------------


def test_oversized_bodies_are_refused_by_length_or_while_streaming(server, tmp_path):
    server.expect_request("/declared").respond_with_data("x" * 5000, content_type="text/html")
    server.expect_request("/streamed").respond_with_response(
        Response((b"y" * 500 for _ in range(10)), content_type="text/html"))
    summary, rows = fetch(tmp_path, reports(server.url_for("/declared"), server.url_for("/streamed")),
                          config=config(max_bytes=1000))
    errors = {r["url"].rsplit("/", 1)[1]: r["error"] for r in rows}
    assert "Content-Length 5000" in errors["declared"]
    assert "over 1000 bytes" in errors["streamed"]
    assert summary.failed == 2 and captures(tmp_path) == []


def test_gzip_bomb_is_stopped_counting_decoded_bytes(server, tmp_path):
    bomb = gzip.compress(b"\0" * 20_000_000)
    assert len(bomb) < 100_000
    server.expect_request("/bomb").respond_with_data(
        bomb, content_type="text/html", headers={"Content-Encoding": "gzip"})
    summary, rows = fetch(tmp_path, reports(server.url_for("/bomb")), config=config(max_bytes=1_000_000))
    assert summary.failed == 1 and "decompression bomb" in rows[-1]["error"]
    assert captures(tmp_path) == []


def test_redirect_loops_and_long_chains_are_cut(server, tmp_path):
    server.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    server.expect_request("/b").respond_with_data("", status=301, headers={"Location": "/a"})
    for n in range(15):
        server.expect_request(f"/c{n}").respond_with_data("", status=302, headers={"Location": f"/c{n + 1}"})
    server.expect_request("/moved").respond_with_data("", status=301, headers={"Location": "/final#frag"})
    server.expect_request("/final").respond_with_data(page(), content_type="text/html")
    summary, rows = fetch(tmp_path, reports(server.url_for("/a"), server.url_for("/c0"), server.url_for("/moved")))
    errors = {r["url"].rsplit("/", 1)[1]: r for r in rows}
    assert errors["a"]["error"].startswith("redirect loop")
    assert errors["c0"]["error"].startswith("more than 10 redirects")
    assert requested(server, "/c11") == 0
    assert errors["moved"]["final_url"] == server.url_for("/final") and errors["moved"]["sha256"]
    assert (summary.fetched, summary.failed) == (1, 2)


def test_redirects_to_private_addresses_are_refused_without_allow_private(server, tmp_path):
    port = server.port
    server.expect_request("/to-localhost").respond_with_data(
        "", status=302, headers={"Location": f"http://localhost:{port}/secret"})
    server.expect_request("/to-metadata").respond_with_data(
        "", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    server.expect_request("/to-ftp").respond_with_data("", status=302, headers={"Location": "ftp://x.gov.cn/r"})
    server.expect_request("/secret").respond_with_data(page(), content_type="text/html")
    # the server itself is trusted as a local mirror; where it redirects to is not
    cfg = config(allow_private_hosts=frozenset({f"127.0.0.1:{port}"}))
    summary, rows = fetch(tmp_path, reports(server.url_for("/to-localhost"), server.url_for("/to-metadata"),
                                            server.url_for("/to-ftp")), allow_private=False, config=cfg)
    errors = {r["url"].rsplit("/", 1)[1]: r["error"] for r in rows}
    assert "loopback/private/link-local" in errors["to-localhost"] and "127.0.0.1" in errors["to-localhost"]
    assert "169.254.169.254" in errors["to-metadata"]
    assert "only http and https" in errors["to-ftp"]
    assert requested(server, "/secret") == 0 and summary.failed == 3


def test_private_hosts_are_refused_before_any_request(server, tmp_path):
    server.expect_request("/r").respond_with_data(page(), content_type="text/html")
    summary, rows = fetch(tmp_path, reports(server.url_for("/r")), allow_private=False)
    assert "refused" in rows[-1]["error"] and len(server.log) == 0 and summary.failed == 1


# --- pages that are not the report ---------------------------------------------------------------------------

CHALLENGE = "<html><head><script>var $_ts=window['$_ts'];$_ts.nsd=1234;</script></head><body></body></html>"
COOKIE_JS = ("<html><head><script>document.cookie='__jsl_clearance=1';location.reload();</script></head>"
             "<body></body></html>")
LOGIN = ("<html><head><title>统一身份认证平台</title></head><body><form><input name=u>"
         "<input type='password' name='p'></form></body></html>")
SOFT_404 = ("<html><head><title>404 页面不存在</title></head>"
            "<body><p>对不起，您访问的页面不存在或已被删除。</p></body></html>")


@pytest.mark.parametrize(("status", "body", "reason"), [
    (412, CHALLENGE, "anti-bot challenge page (HTTP 412"),
    (202, CHALLENGE, "anti-bot challenge page (HTTP 202"),
    (200, COOKIE_JS, "anti-bot challenge page (HTTP 200"),
    (200, LOGIN, "login wall"),
    (200, SOFT_404, "soft 404"),
    (200, "", "empty body"),
    (200, "<html><body><div>  </div></body></html>", "empty page"),
])
def test_pages_that_are_not_the_report_are_logged_not_archived(server, tmp_path, status, body, reason):
    server.expect_request("/r").respond_with_data(body, status=status, content_type="text/html")
    summary, rows = fetch(tmp_path, reports(server.url_for("/r")))
    assert rows[-1]["error"].startswith(reason), rows[-1]["error"]
    assert rows[-1]["status"] == str(status) and not rows[-1]["sha256"]
    assert summary.failed == 1 and captures(tmp_path) == []


# --- attachments ---------------------------------------------------------------------------------------------


def test_report_attachments_are_archived_with_their_parent(server, tmp_path):
    pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
    server.expect_request("/xxgk/fzzfjsndbg/content/post_1.html").respond_with_data(
        (FIXTURES / "report_page.html").read_bytes(), content_type="text/html; charset=utf-8")
    server.expect_request("/attachment/0/1/1/report.pdf").respond_with_data(pdf, content_type="application/pdf")
    server.expect_request("/xxgk/files/table.DOCX").respond_with_data(SOFT_404, content_type="text/html")
    url = server.url_for("/xxgk/fzzfjsndbg/content/post_1.html")
    summary, rows = fetch(tmp_path, reports(url))
    attachment = next(r for r in rows if r["url"].endswith("report.pdf"))
    assert (attachment["kind"], attachment["parent_url"]) == ("attachment", url)
    assert (tmp_path / "raw" / attachment["path"]).read_bytes() == pdf
    docx = next(r for r in rows if r["url"].endswith("table.DOCX"))
    assert docx["kind"] == "attachment" and docx["error"].startswith("soft 404")
    assert requested(server, "/attachment/0/1/2/image.png") == 0
    assert (summary.fetched, summary.failed) == (2, 1)
    # a rerun skips the archived page and attachment, and retries only the attachment that failed
    fetch(tmp_path, [])
    assert requested(server, "/attachment/0/1/1/report.pdf") == 1
    assert requested(server, "/xxgk/files/table.DOCX") == 2


# --- discovery -----------------------------------------------------------------------------------------------


def listing_row(url: str) -> dict:
    return {"kind": "listing", "url": url, "jurisdiction": "某区", "parent": "某市", "level": "district"}


def test_nfcms_listing_pages_are_followed_and_found_reports_catalogued_and_fetched(server, tmp_path):
    server.expect_request("/col/").respond_with_data((FIXTURES / "nfcms_index.html").read_bytes(),
                                                      content_type="text/html; charset=utf-8")
    server.expect_request("/col/index_2.html").respond_with_data(
        '<ul><li><a href="content/post_9507604.html">某区2021年法治政府建设年度报告</a> 2022-01-07</li></ul>'
        '<a href="index_3.html">3</a>', content_type="text/html")
    server.expect_request("/col/index_3.html").respond_with_data(
        '<ul><li><a href="/other/t1.html">2020年度某区法治政府建设情况报告</a></li></ul>', content_type="text/html")
    for path in ("/col/content/post_11998829.html", "/col/content/post_11140059.html",
                 "/col/content/post_9507604.html", "/other/t1.html"):
        server.expect_request(path).respond_with_data(page(), content_type="text/html")
    listing = server.url_for("/col/")
    summary, rows = fetch(tmp_path, [listing_row(listing)])
    found = {r["url"]: r for r in read_catalogue(tmp_path / "sources.csv") if r["kind"] == "report"}
    assert set(found) == {server.url_for(p) for p in ("/col/content/post_11998829.html",
                                                      "/col/content/post_11140059.html",
                                                      "/col/content/post_9507604.html", "/other/t1.html")}
    first = found[server.url_for("/col/content/post_11998829.html")]
    assert (first["found_on"], first["jurisdiction"], first["parent"], first["level"]) == (
        listing, "某区", "某市", "district")
    assert (first["year"], first["published"]) == ("2024", "2025-02-12")
    assert found[server.url_for("/other/t1.html")]["year"] == "2020"
    assert requested(server, "/col/content/post_9000001.html") == 0  # the 纲要 is not a report
    assert requested(server, "/col/index_2.html") == 1 and requested(server, "/col/index_3.html") == 1
    assert summary.discovered == 4
    assert {r["url"] for r in rows if r["kind"] == "report" and r["sha256"]} == set(found)
    # a second run finds nothing new and writes no duplicate rows
    again, _ = fetch(tmp_path, [])
    assert again.discovered == 0 and len(read_catalogue(tmp_path / "sources.csv")) == 5


def test_trs_listing_pages_come_from_create_page_html(server, tmp_path):
    server.expect_request("/trs/index.html").respond_with_data((FIXTURES / "trs_index.html").read_bytes(),
                                                               content_type="text/html")
    server.expect_request("/trs/index_1.html").respond_with_data(
        '<a href="./201903/t20190320_1.html">某县2018年法治政府建设工作报告</a>', content_type="text/html")
    server.expect_request("/trs/index_2.html").respond_with_data(
        '<a href="./201803/t20180320_1.html">某县2017年依法行政工作报告</a>', content_type="text/html")
    _, _ = fetch(tmp_path, [listing_row(server.url_for("/trs/index.html"))])
    assert requested(server, "/trs/index_1.html") == 1 and requested(server, "/trs/index_2.html") == 1
    years = {r["year"] for r in read_catalogue(tmp_path / "sources.csv") if r["kind"] == "report"}
    assert years == {"2023", "2020", "2018", "2017"}


def test_gkmlpt_listing_uses_the_list_api_across_pages(server, tmp_path):
    server.expect_request("/gkmlpt/index").respond_with_data((FIXTURES / "gkmlpt_index.html").read_bytes(),
                                                              content_type="text/html; charset=utf-8")

    def api_page(request: Request) -> Response:
        n = int(request.args["page"])
        assert request.args["sid"] == "755035"
        if n > 2:
            return Response("not found", status=404)
        title = f"某区{2020 + n}年法治政府建设年度报告"
        articles = [{"id": 5_000_000 + n, "title": title, "date": f"2024-01-0{n}"}]  # short pages
        return Response(json.dumps({"classify": {"id": 2530, "post_count": 2}, "articles": articles}),
                        content_type="application/json")

    server.expect_request("/gkmlpt/api/all/2530").respond_with_handler(api_page)
    for n in (1, 2):
        server.expect_request(f"/gkmlpt/content/5/5000/post_{5_000_000 + n}.html").respond_with_data(
            page(), content_type="text/html")
    listing = server.url_for("/gkmlpt/index") + "#2530"
    summary, rows = fetch(tmp_path, [listing_row(listing)])
    pages = sorted(req.args["page"] for req, _ in server.log if req.path == "/gkmlpt/api/all/2530")
    assert pages == ["1", "2"]
    found = [r for r in read_catalogue(tmp_path / "sources.csv") if r["kind"] == "report"]
    assert sorted(r["year"] for r in found) == ["2021", "2022"] and {r["found_on"] for r in found} == {listing}
    assert summary.discovered == 2 and sum(1 for r in rows if r["kind"] == "report" and r["sha256"]) == 2


# --- no network, interruption ---------------------------------------------------------------------------------


def test_offline_or_no_network_warns_and_returns(server, tmp_path, caplog):
    hosts = [f"http://site{n}.example.gov.cn/r.html" for n in range(8)]
    summary = run_fetch(tmp_path / "none.csv", tmp_path / "raw", offline=True)
    assert "offline" in summary.render() and summary.failed == 0

    def no_dns(host: str, port: int):
        raise socket.gaierror(-3, "Temporary failure in name resolution")

    summary, rows = fetch(tmp_path, reports(*hosts), resolver=no_dns)
    assert "no network" in summary.render() and "no network" in caplog.text
    assert summary.failed == 5 and rows == []  # nothing is known about the sites: manifest untouched


def test_runs_without_network_count_the_same_every_time(tmp_path):
    """Threads used to race the no-network stop: identical runs counted 5 to 12 failed pages."""
    urls = [f"http://site{n}.example.gov.cn/{kind}.html" for n in range(12) for kind in ("a", "b")]
    lookups: list[str] = []

    def no_dns(host: str, port: int):
        lookups.append(host)
        raise socket.gaierror(-3, "Temporary failure in name resolution")

    summaries = [fetch(tmp_path / str(n), reports(*urls), resolver=no_dns)[0] for n in range(6)]
    assert {(s.failed, s.skipped, s.fetched) for s in summaries} == {(5, 0, 0)}
    assert len(lookups) == 6 * 5  # one lookup per host until the threshold, in catalogue order
    assert lookups[:5] == [f"site{n}.example.gov.cn" for n in range(5)]


def test_dns_failure_is_recorded_when_the_network_is_up(server, tmp_path):
    server.expect_request("/r.html").respond_with_data(page(), content_type="text/html; charset=utf-8")
    good, bad = server.url_for("/r.html"), "http://nosuchsite.example.gov.cn/r.html"

    def resolver(host: str, port: int):
        if host == "nosuchsite.example.gov.cn":
            raise socket.gaierror(-2, "Name or service not known")
        return resolve_host(host, port)

    _, rows = fetch(tmp_path, reports(bad, good), resolver=resolver)
    assert {r["url"]: bool(r["sha256"]) for r in rows} == {bad: False, good: True}
    assert "DNS lookup" in next(r["error"] for r in rows if r["url"] == bad)


RUN_SCRIPT = """
import sys
from pathlib import Path
from pipeline.fetch.crawl import FetchConfig, run_fetch
run_fetch(Path(sys.argv[1]), Path(sys.argv[2]), allow_private=True,
          config=FetchConfig(delay=0.05, read_timeout=60, max_seconds_per_url=120))
"""


def test_a_killed_run_leaves_no_partial_capture_and_the_rerun_skips_what_finished(server, tmp_path):
    stalled, release = threading.Event(), threading.Event()
    state = {"stall": True}
    body = page(body=REPORT_TEXT * 50).encode()

    def stalling(request: Request) -> Response:
        if not state["stall"]:
            return Response(body, content_type="text/html")

        def chunks():
            yield body[:1000]
            stalled.set()
            release.wait(20)
            yield body[1000:]
        return Response(chunks(), content_type="text/html", headers={"Content-Length": str(len(body))})

    for name in ("a", "b"):
        server.expect_request(f"/{name}.html").respond_with_data(page(title=name), content_type="text/html")
    server.expect_request("/stall.html").respond_with_handler(stalling)
    sources = tmp_path / "sources.csv"
    write_catalogue(sources, reports(*(server.url_for(f"/{n}.html") for n in ("a", "b", "stall"))))
    proc = subprocess.Popen([sys.executable, "-c", RUN_SCRIPT, str(sources), str(tmp_path / "raw")], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert stalled.wait(20), "the subprocess never reached the stalled download"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        release.set()
        if proc.poll() is None:
            proc.kill()
    raw = tmp_path / "raw"
    assert not [p for p in raw.rglob("*") if p.name.startswith(".part-")]
    assert {r["url"].rsplit("/", 1)[1] for r in Archive(raw).rows()} == {"a.html", "b.html"}
    assert len(captures(tmp_path)) == 2
    state["stall"] = False
    summary, rows = fetch(tmp_path, [])
    assert requested(server, "/a.html") == 1 and requested(server, "/b.html") == 1
    assert requested(server, "/stall.html") == 2
    assert (summary.fetched, summary.skipped) == (1, 2)
    assert (raw / rows[-1]["path"]).read_bytes() == body
