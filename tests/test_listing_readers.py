"""Column-page readers, one per template: which links a page lists, what its rows say, which pages follow.

Fixtures are written from the facts in the project notes on real gov.cn columns (pager forms, Hanweb
datastores, gkmlpt under a path prefix, …), with made-up names and numbers."""

import json
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.fetch.listings import (
    Link,
    PageRequest,
    attachment_links,
    date_in,
    date_in_url,
    is_attachment_url,
    is_column_url,
    is_report_link,
    listing_adapter,
    parse_listing,
    portal,
)
from pipeline.fetch.listings.base import MAX_LISTED_PAGES

FIXTURES = Path(__file__).parent / "fixtures" / "listings"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def urls(requests) -> list[str]:
    return [r.url for r in requests]


def tail(requests, folder: str) -> list[str]:
    return [r.url.removeprefix(folder) for r in requests]


# --- what a link is -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "title", "report"), [
    ("http://x.gov.cn/zwgk/202403/t20240320_1.html", "某县2023年法治政府建设年度报告", True),
    ("http://x.gov.cn/zwgk/fzzfjsndbg/", "法治政府建设年度报告", False),  # a sibling column in the menu
    ("http://x.gov.cn/zwgk/fzzfjsndbg/index.html", "2023年法治政府建设年度报告", False),  # listing shape
    ("http://x.gov.cn/zwgk/fzzfjsndbg/index_2.html", "2023年法治政府建设年度报告", False),
    ("http://x.gov.cn/col/col1001/", "2023年法治政府建设年度报告", False),
    ("http://x.gov.cn/col/col1001/index.html", "2023年法治政府建设年度报告", False),
    ("http://x.gov.cn/col/col1001/art/2024/art_3f2a.html", "某市2023年法治政府建设年度报告", True),
    ("http://x.gov.cn/module/web/jpage/dataproxy.jsp?page=1", "某市2023年法治政府建设年度报告", False),
])
def test_a_report_link_names_a_report_with_a_year_and_is_not_a_column(url, title, report):
    assert is_report_link(Link(url, title)) is report


def test_column_urls():
    assert is_column_url("http://x.gov.cn/a/index_12.shtml") and is_column_url("http://x.gov.cn/")
    assert not is_column_url("http://x.gov.cn/a/t20240301_5.html")


@pytest.mark.parametrize(("url", "date"), [
    ("http://x.gov.cn/zwgk/202403/t20240320_6583952.html", "2024-03-20"),
    ("http://x.gov.cn/art/2024/3/5/art_1001_1.html", "2024-03-05"),
    ("http://x.gov.cn/xxgk/20250328/a1.html", "2025-03-28"),
    ("http://x.gov.cn/content/post_11998829.html", ""),
    ("http://x.gov.cn/zwgk/202413/t20241340_1.html", ""),
])
def test_dates_in_urls(url, date):
    assert date_in_url(url) == date


def test_a_row_without_a_date_takes_the_urls_and_keeps_its_doc_number():
    html = ('<ul><li><a href="./202403/t20240320_1.html">某县2023年法治政府建设年度报告</a>'
            '<span>县府〔2024〕3号</span></li></ul>')
    [link] = parse_listing("http://x.gov.cn/zwgk/index.html", html).report_links()
    assert (link.published, link.doc_number) == ("2024-03-20", "县府〔2024〕3号")


def test_dates_broken_over_lines():
    assert date_in("2026-\n01-\n23") == "2026-01-23"


@pytest.mark.parametrize(("url", "attachment"), [
    ("http://x.gov.cn/cms/pub/interact/downloadfile.jsp?filepath=/u/2024/a1&fText=%E6%8A%A5%E5%91%8A.doc", True),
    ("http://x.gov.cn/files/table.xls", True),
    ("http://x.gov.cn/files/table.XLSX", True),
    ("http://x.gov.cn/files/report.ofd", True),
    ("http://x.gov.cn/files/report.wps", True),
    ("http://x.gov.cn/files/all.zip", True),
    ("http://x.gov.cn/attachment/download.jsp?id=33", True),
    ("http://x.gov.cn/files/photo.png", False),
    ("http://x.gov.cn/art/2024/3/1/art_1_2.html", False),
    ("http://x.gov.cn/search?q=report.doc.html", False),
])
def test_attachments_by_what_they_point_to(url, attachment):
    assert is_attachment_url(url) is attachment


def test_attachment_links_without_an_extension_in_the_path():
    html = ('<div><a href="/cms/pub/interact/downloadfile.jsp?filepath=/u/a1&amp;fText=报告.doc">附件1</a>'
            '<a href="/files/t.xlsx">附件2</a><a href="/x.html">相关链接</a></div>')
    assert attachment_links("http://x.gov.cn/a/b.html", html) == [
        "http://x.gov.cn/cms/pub/interact/downloadfile.jsp?filepath=/u/a1&fText=报告.doc",
        "http://x.gov.cn/files/t.xlsx"]


# --- TRS pagers -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("script", "pages"), [
    # Beijing: records, pages, current: the SECOND of three leading integers is the page count
    ('createPageHTML(52, 4, 0, "index", "html", 15);', ["index_1.html", "index_2.html", "index_3.html"]),
    ("var totalPage = 3;", ["index_1.html", "index_2.html"]),
    ("pager({totalPage: 3, curPage: 0});", ["index_1.html", "index_2.html"]),
    ("var totalRecord = 31; var pageSize = 15;", ["index_1.html", "index_2.html"]),
    ("createPage(3, 0, 'index', 'shtml');", ["index_1.shtml", "index_2.shtml"]),
])
def test_trs_pager_forms(script, pages):
    base = "http://x.gov.cn/col/"
    page = parse_listing(base + "index.html", f"<html><body><a href='./202401/t20240101_1.html'>a</a>"
                                              f"<script>{script}</script></body></html>")
    assert page.adapter in {"trs", "chongqing"} and urls(page.more) == [base + p for p in pages]


def test_trs_page_count_written_as_text():
    html = "<html><body><a href='./202401/t20240101_1.html'>a</a><div>共 3 页 当前第1页</div></body></html>"
    assert urls(parse_listing("http://x.gov.cn/col/index.shtml", html).more) == [
        "http://x.gov.cn/col/index_1.shtml", "http://x.gov.cn/col/index_2.shtml"]


def test_script_written_lists_are_read():
    url = "http://www.x.gov.cn/zwgk/fzzfjs/index.shtml"
    page = parse_listing(url, fixture("wuhan_scripted.html"))
    reports = page.report_links()
    assert [(r.url.removeprefix("http://www.x.gov.cn/zwgk/fzzfjs/"), r.title, r.published) for r in reports] == [
        ("202503/t20250320_2500001.shtml", "某区2024年法治政府建设年度报告", "2025-03-20"),
        ("202403/t20240318_2300001.shtml", "某区2023年法治政府建设年度报告", "2024-03-18"),
        ("202203/t20220310_2000001.shtml", "某区2021年法治政府建设年度报告", "2022-03-10"),  # date from the URL
    ]
    assert urls(page.more) == ["http://www.x.gov.cn/zwgk/fzzfjs/index_1.shtml"]


# --- Hanweb / JCMS --------------------------------------------------------------------------------------------


def test_hanweb_records_inside_the_datastore_script_and_post_paging_with_the_named_fields():
    url = "http://www.x.gov.cn/col/col1001/index.html"
    page = parse_listing(url, fixture("hanweb_col.html"))
    assert page.adapter == "hanweb" and page.expected == 7
    assert [(r.url, r.title, r.published) for r in page.report_links()] == [
        ("http://www.x.gov.cn/art/2025/3/28/art_1001_9001.html", "某市司法局2024年法治政府建设年度报告", "2025-03-28"),
        ("http://www.x.gov.cn/art/2024/3/20/art_1001_8001.html", "某市司法局2023年法治政府建设年度报告", "2024-03-20"),
    ]
    assert not any("/module/" in link.url for link in page.links)
    [more] = page.more
    assert more.method == "POST"
    assert urlsplit(more.url).path == "/module/web/jpage/dataproxy.jsp"
    assert dict(parse_qsl(urlsplit(more.url).query)) == {"startrecord": "4", "endrecord": "6", "perpage": "15"}
    assert dict(more.data) == {"col": "1", "appid": "1", "webid": "23", "path": "/", "columnid": "1001",
                               "unitid": "4512", "webname": "某市司法局", "permissiontype": "0"}


def test_hanweb_paging_by_get_when_the_page_does_not_post():
    text = fixture("hanweb_col.html").replace('ajaxType: "post",', "")
    [more] = parse_listing("http://www.x.gov.cn/col/col1001/index.html", text).more
    query = dict(parse_qsl(urlsplit(more.url).query))
    assert more.method == "GET" and more.data == ()
    assert (query["startrecord"], query["endrecord"], query["columnid"], query["unitid"]) == ("4", "6", "1001", "4512")


def test_hanweb_xml_reply_with_dates_broken_over_lines_and_the_next_group():
    request = PageRequest("http://www.x.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=4&endrecord=6&perpage=15",
                          "POST", (("col", "1"), ("columnid", "1001"), ("unitid", "4512")))
    reply = ('<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>7</totalrecord><recordset>'
             '<record><![CDATA[<li><a href="/art/2023/3/1/art_1001_7001.html">某市司法局2022年法治政府建设年度报告'
             '</a><span>2023-\n03-\n02</span></li>]]></record></recordset></datastore>')
    page = parse_listing(request, reply)
    assert page.adapter == "hanweb"
    assert [(r.title, r.published) for r in page.report_links()] == [
        ("某市司法局2022年法治政府建设年度报告", "2023-03-02")]
    [more] = page.more
    assert more.method == "POST" and more.data == request.data
    assert "startrecord=7&endrecord=9" in more.url
    last = PageRequest(more.url, "POST", more.data)
    assert parse_listing(last, reply).more == []  # record 9 is past the 7 the column holds


# --- jpaas ----------------------------------------------------------------------------------------------------


def test_jpaas_pages_through_the_api_gateway_and_reads_json_replies():
    url = "https://www.x.gov.cn/col/col1229/index.html"
    page = parse_listing(url, fixture("jpaas_col.html"))
    assert page.adapter == "jpaas"
    assert [r.url for r in page.report_links()] == ["https://www.x.gov.cn/art/2025/3/27/art_1229_5900001.html"]
    assert len(page.more) == 2  # 5 items, 2 a page
    query = dict(parse_qsl(urlsplit(page.more[1].url).query))
    assert urlsplit(page.more[1].url).path == "/api-gateway/jpaas-publish-server/front/page/build/unit"
    assert (query["webId"], query["pageId"], query["tplSetId"], query["rows"], query["pageNo"]) == (
        "3185", "1229", "52", "2", "3")
    reply = json.dumps({"success": True, "data": {"html": '<li><a href="//www.x.gov.cn/art/2024/3/2/art_1229_1.html">'
                                                             '某厅2023年法治政府建设年度报告</a></li>'}})
    got = parse_listing(page.more[0], reply)
    assert [(r.url, r.published) for r in got.report_links()] == [
        ("https://www.x.gov.cn/art/2024/3/2/art_1229_1.html", "2024-03-02")]


# --- gkmlpt ---------------------------------------------------------------------------------------------------


def test_gkmlpt_under_a_site_prefix_with_tree_keys_in_any_order_and_jump_urls_followed_as_pages():
    url = "http://www.example.gov.cn/zqhjj/gkmlpt/index"
    page = parse_listing(url, fixture("gkmlpt_prefix_index.html"))
    assert page.adapter == "gkmlpt" and page.more == []
    assert urls(page.lists) == [
        "http://www.example.gov.cn/zqhjj/gkmlpt/api/all/3003?page=1&sid=758019",  # a child; its empty parent left out
        "http://www.example.gov.cn/zqhjj/fzzfjs/ndbg/",  # jump_url: a page elsewhere, read as a listing
    ]


def test_gkmlpt_api_keeps_both_dates_the_doc_number_the_post_url_and_pages_on():
    url = "http://www.example.gov.cn/zqhjj/gkmlpt/api/all/3003?page=1&sid=758019"
    page = parse_listing(url, fixture("gkmlpt_api_prefix.json"))
    first, second = page.report_links()
    assert first.url == "http://www.example.gov.cn/zqhjj/gkmlpt/content/3/3255/post_3255421.html"
    assert first.aliases == ("http://www.example.gov.cn/zqhjj/fzzfjs/content/post_3255421.html",)
    assert (first.doc_number, first.written, first.published) == ("肇环〔2025〕12号", "2025-02-24", "2025-02-26")
    # no url given: built from the id, under the prefix; create_time in epoch seconds
    assert second.url == "http://www.example.gov.cn/zqhjj/gkmlpt/content/2/2917/post_2917003.html"
    assert (second.written, second.published) == ("2024-02-01", "2024-02-02")
    assert page.expected == 3 and page.column == "法治政府建设年度报告"
    assert urls(page.more) == ["http://www.example.gov.cn/zqhjj/gkmlpt/api/all/3003?page=2&sid=758019"]


# --- NFCMS, Shanghai, Chongqing, Beijing -------------------------------------------------------------------------


def test_shanghai_one_based_pages_year_archives_and_commented_out_duplicates():
    url = "https://www.x.gov.cn/xxgk/fzzfjsqkndbg2025/index.html"
    page = parse_listing(url, fixture("shanghai_year.html"))
    assert page.adapter == "shanghai"
    assert tail(page.more, "https://www.x.gov.cn/xxgk/fzzfjsqkndbg2025/") == ["index_2.html", "index_3.html"]
    assert urls(page.lists) == ["https://www.x.gov.cn/xxgk/fzzfjsqkndbg2024/index.html",
                                "https://www.x.gov.cn/xxgk/fzzfjsqkndbg2023/index.html"]
    assert [(r.url.rsplit("/", 2)[-2], r.published) for r in page.report_links()] == [
        ("20250328", "2025-03-28"), ("20250320", "2025-03-20")]


def test_chongqing_rows_and_cards_with_title_date_and_doc_number():
    url = "http://www.x.gov.cn/zwgk_1/fzzfndbg/index.html"
    page = parse_listing(url, fixture("chongqing_list.html"))
    assert page.adapter == "chongqing"
    assert [(r.title, r.published, r.doc_number) for r in page.report_links()] == [
        ("某区人民政府关于2024年法治政府建设情况的报告", "2025-03-25", "某府发〔2025〕8号"),
        ("某区人民政府关于2023年法治政府建设情况的报告", "2024-03-26", "某府发〔2024〕6号"),
    ]
    assert tail(page.more, "http://www.x.gov.cn/zwgk_1/fzzfndbg/") == ["index_1.html", "index_2.html"]


def test_beijing_skips_flag_test_entries_and_reads_the_three_integer_pager():
    url = "https://www.x.gov.cn/gongkai/fzzfjsbg/qzf/index.html"
    page = parse_listing(url, fixture("beijing_list.html"))
    assert page.adapter == "beijing"
    assert [r.title for r in page.report_links()] == ["北京市朝阳区2024年法治政府建设年度报告",
                                                     "北京市海淀区2023年法治政府建设年度报告"]
    assert len(page.more) == 46  # 47 pages, not 700


def test_beijing_client_side_paging_has_no_further_pages():
    text = fixture("beijing_list.html").replace("createPageHTML(700, 47, 0", "createPageHTML(3, 1, 0")
    page = parse_listing("https://www.x.gov.cn/gongkai/fzzfjsbg/qzf/index.html", text)
    assert page.more == [] and len(page.report_links()) == 2


@pytest.mark.parametrize(("name", "adapter"), [
    ("nfcms_index.html", "nfcms"), ("trs_index.html", "trs"), ("hanweb_col.html", "hanweb"),
    ("jpaas_col.html", "jpaas"), ("gkmlpt_index.html", "gkmlpt"), ("shanghai_year.html", "shanghai"),
    ("chongqing_list.html", "chongqing"), ("beijing_list.html", "beijing"), ("wuhan_scripted.html", "trs"),
    ("report_page.html", "generic"),
])
def test_the_dispatcher_picks_the_template(name, adapter):
    url = "http://www.x.gov.cn/gkmlpt/index" if name.startswith("gkmlpt") else "http://www.x.gov.cn/a/index.html"
    assert listing_adapter(url, fixture(name)) == adapter


# --- portals --------------------------------------------------------------------------------------------------


def test_portal_navigation_ranks_menu_links_and_finds_report_columns():
    html = ('<html><body><a href="/xwzx/">新闻中心</a><a href="/zwgk/">政务公开</a>'
            '<a href="http://xxgk.x.gov.cn/">政府信息公开</a><a href="/zwgk/fdzdgknr/">法定主动公开内容</a>'
            '<a href="/zwgk/xxgknb/">政府信息公开年报</a><a href="/zwgk/fzzfjsndbg/">法治政府建设年度报告</a>'
            '<a href="http://www.other.gov.cn/zwgk/">政务公开</a><a href="/zwgk/znb/">政府信息公开指南</a>'
            '<a href="/zwgk/202403/t20240301_5.html">某区法治政府建设年度报告</a>'  # one report without a year
            '</body></html>')
    page = portal.read_portal_page("http://www.x.gov.cn/", html, portal.site_domain("http://www.x.gov.cn/"))
    assert [(c.url, c.title) for c in page.columns] == [
        ("http://www.x.gov.cn/zwgk/fzzfjsndbg/", "法治政府建设年度报告")]
    assert page.follow == ["http://www.x.gov.cn/zwgk/fdzdgknr/", "http://xxgk.x.gov.cn/", "http://www.x.gov.cn/zwgk/"]
    assert not page.lists_reports


# --- bad input ------------------------------------------------------------------------------------------------

_PIECES = ["<datastore>", "<record><![CDATA[", "]]></record>", "TREE: [{", "}]", "SID: '1'", "_CONFIG",
           "queryData={", 'count="5" rows="0" pageNo="1"', "jpaas", "createPageHTML(", "700, 47, 0,", "'index'",
           '"html"', ")", "totalPage: ", "99999999999", "共", "页", "<ul class='default_news'><li><i class='flag'>",
           "zcwjk-list-c", "listpc-item", ".pagination({ totalPage:", "document.writeln(", "var url='", "var title='",
           "<a href='", "//", "'>", "</a>", "NFCMS_", "jump_url:", "post_count:", "name:'法治政府'", "\\", "'", '"',
           "\x00", "[", "]", "{", "}", "2024年法治政府建设年度报告"]
_URLS = ["http://x.gov.cn/gkmlpt/index", "http://x.gov.cn/gkmlpt/api/all/1?page=x&sid=1",
         "http://x.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=9&perpage=3",
         "http://x.gov.cn/col/index.html", "http://x.gov.cn/api-gateway/jpaas-publish-server/front/page/build/unit"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=30).map("".join), st.sampled_from(_URLS),
       st.sampled_from(["GET", "POST"]))
def test_any_page_reads_without_error_and_names_a_bounded_number_of_pages(text, url, method):
    page = parse_listing(PageRequest(url, method), text)
    assert len(page.more) + len(page.lists) <= 2 * MAX_LISTED_PAGES
