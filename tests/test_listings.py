"""Discovery parsing: which links are reports, which pages come next, per listing template."""

import json
from pathlib import Path

import pytest

from pipeline.fetch.listings import (
    attachment_links,
    create_page_urls,
    date_in,
    gkmlpt_categories,
    is_report_title,
    listing_adapter,
    parse_listing,
    year_from_title,
)

FIXTURES = Path(__file__).parent / "fixtures" / "listings"


def urls(requests) -> list[str]:
    return [r.url for r in requests]


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("title", [
    "某区人民政府2024年法治政府建设年度报告",
    "某市人民政府关于2023年度法治政府建设情况的报告",
    "某县2019年法治政府建设工作报告",
    "市司法局2022年法治政府建设工作情况",
    "某区2017年依法行政工作报告",
    "某 区 2024 年 法治政府建设 年度报告",
])
def test_report_titles_are_recognised(title):
    assert is_report_title(title)


@pytest.mark.parametrize("title", [
    "法治政府建设实施纲要（2021—2025年）",
    "关于印发《某县2023年法治政府建设工作要点》的通知",
    "某市法治政府建设示范创建工作方案",
    "一图读懂某区2023年法治政府建设年度报告",
    "某区党政主要负责人履行推进法治建设第一责任人职责情况报告",
    "2023年政府工作报告",
    "",
])
def test_other_titles_are_not_reports(title):
    assert not is_report_title(title)


@pytest.mark.parametrize(("title", "year"), [
    ("关于2023年度法治政府建设情况的报告", 2023),
    ("某县二〇二〇年法治政府建设情况报告", 2020),
    ("某区2022年法治政府建设年度报告（2023年1月发布）", 2022),
    ("某区法治政府建设年度报告", None),
    ("1998年依法行政报告", None),
])
def test_year_from_title_is_the_first_year_named(title, year):
    assert year_from_title(title) == year


def test_dates_in_list_entries():
    assert date_in("发布日期：2024年3月1日") == "2024-03-01"
    assert date_in("2021/3/29") == "2021-03-29"
    assert date_in("2024-13-01") == ""


def test_nfcms_listing_yields_reports_titles_dates_and_pager_pages():
    url = "https://www.example.gov.cn/xxgk/fzzfjsndbg/"
    page = parse_listing(url, fixture("nfcms_index.html"))
    assert page.adapter == "nfcms"
    reports = page.report_links()
    assert [r.url for r in reports] == [url + "content/post_11998829.html", url + "content/post_11140059.html"]
    # the truncated anchor text loses to the full title attribute
    assert reports[0].title == "某区人民政府2024年法治政府建设年度报告"
    assert [r.published for r in reports] == ["2025-02-12", "2024-02-06"]
    assert urls(page.more) == [url + "index_2.html", url + "index_3.html"]  # the pager, gaps filled, no repeats


def test_trs_listing_pages_come_from_the_create_page_script():
    url = "http://www.example.gov.cn/xxgk/fzzfjs/index.html"
    page = parse_listing(url, fixture("trs_index.html"))
    assert page.adapter == "trs"
    assert urls(page.more) == ["http://www.example.gov.cn/xxgk/fzzfjs/index_1.html",
                         "http://www.example.gov.cn/xxgk/fzzfjs/index_2.html"]
    titles = [r.title for r in page.report_links()]
    assert titles == ["某县2023年度法治政府建设工作报告", "某县二〇二〇年法治政府建设情况报告"]


@pytest.mark.parametrize(("script", "pages"), [
    ("createPageHTML(4, 0, 'index', 'html');", ["index_1.html", "index_2.html", "index_3.html"]),
    ("createPageHTML('page_div',3,1,'index','shtml',45);", ["index_1.shtml", "index_2.shtml"]),
    ("createPage(2, 0, \"list\", \"htm\");", ["list_1.htm"]),
    ("createPageHTML(1, 0, 'index', 'html');", []),
    ("function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt) {}", []),
])
def test_create_page_variants(script, pages):
    base = "http://x.gov.cn/col/"
    assert create_page_urls(base + "index.html", f"<script>{script}</script>") == [base + p for p in pages]


def test_generic_listing_follows_next_page_links():
    html = ('<html><body><a href="/a/t1.html">某市2021年法治政府建设年度报告</a>'
            '<a href="list?page=2">下一页</a><a href="javascript:next()">下一页</a></body></html>')
    page = parse_listing("http://x.gov.cn/a/list?page=1", html)
    assert page.adapter == "generic"
    assert urls(page.more) == ["http://x.gov.cn/a/list?page=2"]
    assert [r.url for r in page.report_links()] == ["http://x.gov.cn/a/t1.html"]


def test_gkmlpt_index_gives_api_urls_for_the_category_in_the_fragment_or_tree():
    text = fixture("gkmlpt_index.html")
    base = "https://www.example.gov.cn/gkmlpt/index"
    assert listing_adapter(base, text) == "gkmlpt"
    assert urls(parse_listing(base + "#2531", text).lists) == [
        "https://www.example.gov.cn/gkmlpt/api/all/2531?page=1&sid=755035"]
    # no category given: the TREE node about 法治政府 (its name \u-escaped in the script)
    assert urls(gkmlpt_categories(base, text)) == ["https://www.example.gov.cn/gkmlpt/api/all/2530?page=1&sid=755035"]
    assert parse_listing(base, text).report_links() == []


def test_gkmlpt_api_page_lists_articles_and_the_next_page():
    url = "https://www.example.gov.cn/gkmlpt/api/all/2530?page=1&sid=755035"
    page = parse_listing(url, fixture("gkmlpt_api_page1.json"))
    assert urls(page.more) == ["https://www.example.gov.cn/gkmlpt/api/all/2530?page=2&sid=755035"]
    assert page.expected == 150  # the top-level total, where classify.post_count is missing
    reports = page.report_links()
    assert [r.url for r in reports] == [
        "https://www.example.gov.cn/gkmlpt/content/11/11998/post_11998829.html",
        "https://www.example.gov.cn/gkmlpt/content/9/9507/post_9507604.html",  # built from the id
    ]
    assert [r.published for r in reports] == ["2025-02-12", "2022-01-07"]  # epoch seconds read in China time
    empty = parse_listing(url.replace("page=1", "page=2"), '{"classify": {"post_count": 3}, "articles": []}')
    assert empty.more == [] and empty.links == []  # an empty page ends the list


def test_gkmlpt_api_garbage_is_an_empty_page():
    assert parse_listing("https://x.gov.cn/gkmlpt/api/all/1?page=1&sid=1", "<html>gateway</html>").links == []


def test_attachment_links_are_documents_only_made_absolute():
    url = "https://www.example.gov.cn/xxgk/fzzfjsndbg/content/post_1.html"
    assert attachment_links(url, fixture("report_page.html")) == [
        "https://www.example.gov.cn/attachment/0/1/1/report.pdf",
        "https://www.example.gov.cn/xxgk/files/table.DOCX",
    ]
    assert attachment_links(url, "") == []


def test_attachment_links_inside_a_gkmlpt_detail_script():
    detail = json.dumps({"content": '<p><a href="/attachment/0/5/r.pdf">附件</a></p>'})
    html = ("<html><body><script>window._CONFIG = {DETAIL: " + json.dumps(detail).replace("/", "\\/")
            + "};</script></body></html>")
    assert attachment_links("https://x.gov.cn/gkmlpt/content/1/1/post_1.html", html) == [
        "https://x.gov.cn/attachment/0/5/r.pdf"]
