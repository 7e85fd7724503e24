"""Who reports and for which year, from the evidence real gov.cn pages give: titles among furniture, info tables
as pages write them, the opening sentence, footer site codes and URL hosts. Page shapes are made up here."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pipeline.extract.indicators import load_taxonomy
from pipeline.model import Capture, Page
from pipeline.parse import divisions
from pipeline.parse.adapters import read_page
from pipeline.parse.adapters.base import label_values, meta_from_labels, pick_title, site_code, title_candidates
from pipeline.parse.identity import make_report, opening_subject, year_in_text
from pipeline.rows import read_report
from pipeline.run.evaluate_identity import evaluate_pages, main

REALPAGES = Path(__file__).parent / "realpages"
BODY = ("2023年，{who}坚持以习近平新时代中国特色社会主义思想为指导，深入学习贯彻习近平法治思想，扎实推进法治政府建设，"
        "取得新成效。现将有关情况报告如下：\n一、主要举措和成效\n（一）加强组织领导。全年召开专题会议4次，研究解决重点问题12项，"
        "办理行政复议案件36件，行政诉讼案件20件。\n")


def text_capture(text: str, url: str = "") -> tuple[Page, Capture]:
    data = text.encode("utf-8")
    capture = Capture(hashlib.sha256(data).hexdigest(), "", url=url, content_type="text/plain; charset=utf-8")
    return read_page(data, capture), capture


def identity(text: str, url: str = "", entry: dict | None = None):
    page, capture = text_capture(text, url)
    return make_report(page, capture, entry or {})


def names(checks) -> list[str]:
    return [c.check for c in checks]


# ---------------------------------------------------------------- titles


@pytest.mark.parametrize(("lines", "title"), [
    (["某某市人民政府 2019年12月3日星期二", "首页 > 政务公开 > 法治政府建设", "某某县2022年法治政府建设情况报告"],
     "某某县2022年法治政府建设情况报告"),  # a date banner and a breadcrumb never win
    (["中国政府网|某某省人民政府网", "政府信息公开", "某某区2021年度法治政府建设情况报告"],
     "某某区2021年度法治政府建设情况报告"),
    (["太康县人民政府", "关于2023年法治政府建设情况的报告"], "太康县人民政府关于2023年法治政府建设情况的报告"),
    (["某某州人民政府2024年度法治政府", "建设情况报告"], "某某州人民政府2024年度法治政府建设情况报告"),
    (["【法治建设报告】某某省人民政府关于2022年度法治政府建设情况的报告"],
     "某某省人民政府关于2022年度法治政府建设情况的报告"),
    (["某某县教育局 2025年法治政府建设年度报告"], "某某县教育局2025年法治政府建设年度报告"),  # stray space dropped
    (["法治政府建设", "某某市2023年法治政府建设情况的报告"],
     "某某市2023年法治政府建设情况的报告"),  # column name not joined
    (["一、2023年主要工作情况", "二、2024年工作计划"], ""),  # section headings are no title
])
def test_title_is_the_candidate_that_looks_like_a_report_title(lines, title):
    assert pick_title(title_candidates(lines)) == title


def test_title_of_a_text_capture_among_its_furniture():
    page, _ = text_capture("无障碍 关怀版 返回首页\n政府信息公开\n标　　题：某某区人民政府2022年法治政府建设情况报告\n"
                           "发布机构：某某区人民政府\n" + BODY.format(who="某某区"))
    assert page.title == "某某区人民政府2022年法治政府建设情况报告"


def test_html_page_title_wins_over_the_site_name_in_its_heading():
    html = ("<html><head><meta charset='utf-8'><title>某某县人民政府门户网站</title></head><body>"
            "<h1>某某县人民政府门户网站</h1><div class='crumb'>首页 &gt; 政务公开</div>"
            "<h2>某某县2023年法治政府建设工作报告</h2><div class='TRS_Editor'>"
            + "".join(f"<p>{line}</p>" for line in BODY.format(who="我县").splitlines()) + "</div></body></html>")
    page = read_page(html.encode("utf-8"), Capture("ab" * 32, "", url="http://www.example.gov.cn/1.html"))
    assert page.title == "某某县2023年法治政府建设工作报告"


def test_html_date_printed_under_the_title_and_links_to_other_reports_are_no_title():
    html = ("<html><head><meta charset='utf-8'><title>某某县人民政府</title></head><body>"
            "<ul><li><a href='/a.html'>某某县2022年法治政府建设年度报告</a></li></ul>"
            "<div class='title'>某某县2023年法治政府建设年度报告</div><div class='date'>2024-03-18</div>"
            "<div class='TRS_Editor'>" + "".join(f"<p>{line}</p>" for line in BODY.format(who="我县").splitlines())
            + "</div></body></html>")
    page = read_page(html.encode("utf-8"), Capture("ab" * 32, "", url="http://www.example.gov.cn/1.html"))
    assert (page.title, page.published_date) == ("某某县2023年法治政府建设年度报告", "2024-03-18")


# ---------------------------------------------------------------- info tables


@pytest.mark.parametrize(("line", "fields"), [
    ("发布机构 某某县人民政府 发布日期 2024-03-05 10:00:00",
     {"publisher": "某某县人民政府", "published_date": "2024-03-05"}),
    ("索 引 号 | 11/2023-1 | 组配分类 | 法治政府 |", {"index_number": "11/2023-1"}),  # padded; 组配分类 is not 分类
    ("来源：某某县司法局 作者： 发布时间 2025年09月05日 点击数：",
     {"publisher": "某某县司法局", "published_date": "2025-09-05"}),  # an empty value never swallows the next label
    ("日期: 2021-04-12 09:35:00 来源: 某某省人民政府网",
     {"published_date": "2021-04-12", "publisher": "某某省人民政府网"}),
    ("标      题 某某自治区人民政府关于2017年度法治政府建设情况的报告",
     {"title": "某某自治区人民政府关于2017年度法治政府建设情况的报告"}),
])
def test_labels_as_pages_write_them(line, fields):
    assert label_values(line) == fields


def test_labels_whose_values_are_on_the_next_line():
    meta = meta_from_labels(["名    称 :", "某某区人民政府2022年法治政府建设情况报告",
                             "发 布 机 构 :", "某某市某某区人民政府",
                             "成文日期", "2023-03-01", "发布日期", "2023-03-03"])
    assert (meta.title, meta.publisher, meta.published_date, meta.written_date) == (
        "某某区人民政府2022年法治政府建设情况报告", "某某市某某区人民政府", "2023-03-03", "2023-03-01")
    assert meta_from_labels(["<dt>", "生成日期", "2024-01-02"]).date() == "2024-01-02"  # only a generation date


def test_published_from_a_bare_date_line_but_never_a_date_banner_or_a_cover_letter():
    top = "某某区2023年法治政府建设情况报告\n2024-02-19 15:59\n"
    assert identity(top + BODY.format(who="某某区"))[0].published_date == "2024-02-19"
    banner = "某某市某某区人民政府 2019年12月3日星期二\n某某区2023年法治政府建设情况报告\n"
    assert identity(banner + BODY.format(who="某某区"))[0].published_date == ""
    cover = ("中共某某区委：\n现将《2023年某某区法治政府建设情况报告》报送，请审示。以上请示妥否，请批示。\n"
             "某某区司法局\n"
             "2024年1月4日\n")
    assert identity(cover + BODY.format(who="某某区") * 3)[0].published_date == ""


# ---------------------------------------------------------------- who


def test_opening_sentence_names_the_reporter():
    assert opening_subject("2023年，太康县坚持以习近平法治思想为指导，推进法治政府建设。") == "太康县"
    assert opening_subject("2024年以来，在市委、市政府的坚强领导下，陆良县委、县政府坚持依法行政。") == "陆良县委"
    assert opening_subject("2022年,区政府坚持以习近平新时代中国特色社会主义思想为指导。") == "区政府"
    assert opening_subject("根据《纲要(2023—2027年)》要求，2023年，某某街道以法治为引领，推进工作。") == "某某街道"


@pytest.mark.parametrize(("url", "who", "expected"), [
    ("http://www.xuchang.gov.cn/a/1.html", "市政府", ("许昌市", "city", "许昌市", "河南省", "411000")),  # pinyin
    ("https://www.cqtl.gov.cn/bm/1.html", "区政府", ("铜梁区", "district", "铜梁区", "重庆市", "500151")),  # initials
    ("http://xxgk.sxgp.gov.cn/xzjd/1.shtml", "北城街街道", ("北城街街道", "street", "高平市", "晋城市", "140581")),
    ("http://sft.hebei.gov.cn/system/1.shtml", "省政府", ("河北省", "province", "河北省", "", "130000")),
])
def test_a_body_named_by_its_kind_is_placed_by_the_url_host(url, who, expected):
    report, checks = identity(BODY.replace("2023年", "2022年").format(who=who), url)
    assert (report.jurisdiction, report.level, report.government, report.parent, report.division_code) == expected


def test_the_footer_site_code_places_a_department_and_gives_it_its_governments_code():
    footer = "网站标识码：4403040003 粤公网安备 44030402002541号\n"
    text = "区司法局2023年法治政府建设年度报告\n" + BODY.format(who="区司法局") + footer
    page, capture = text_capture(text, "http://www.example.gov.cn/1.html")
    assert page.site_code == "440304"
    report, _ = make_report(page, capture, {})
    assert (report.jurisdiction, report.level, report.government, report.parent, report.division_code) == (
        "福田区司法局", "department", "福田区", "深圳市", "440304")
    assert site_code("京公网安备 11010502000001号") == "110105"


def test_a_footer_naming_the_sites_owner_places_a_body_named_by_its_kind():
    report, _ = identity(BODY.format(who="区政府") + "主办单位：深圳市福田区人民政府办公室 技术支持：某公司\n")
    assert (report.jurisdiction, report.division_code) == ("福田区", "440304")


@pytest.mark.parametrize("title", ["福田区人民政府华富街道办事处2023年法治政府建设年度报告",
                                   "华富街道党工委、办事处关于2023年法治政府建设情况的报告"])
def test_street_titles_with_their_government_or_their_party_committee(title):
    report, _ = identity(title + "\n" + BODY.format(who="华富街道"), entry={"parent": "福田区"})
    assert (report.jurisdiction, report.level, report.government) == ("华富街道", "street", "福田区")


def test_a_street_gets_its_districts_code_and_the_city_above_as_parent():
    report, _ = identity("深圳市福田区华富街道办事处2023年法治政府建设年度报告\n" + BODY.format(who="华富街道"))
    assert (report.jurisdiction, report.level, report.government, report.parent, report.division_code) == (
        "华富街道", "street", "福田区", "深圳市", "440304")


def test_short_forms_of_autonomous_divisions_and_full_department_names():
    report, _ = identity("昌吉州人民政府2024年度法治政府建设情况报告\n" + BODY.format(who="昌吉州人民政府"))
    assert (report.jurisdiction, report.level, report.division_code) == ("昌吉回族自治州", "city", "652300")
    report, _ = identity(BODY.format(who="深圳市卫生健康委"))
    assert (report.jurisdiction, report.level, report.division_code) == ("深圳市卫生健康委员会", "department", "440300")


def test_unknown_place_keeps_its_name_and_level_with_a_check():
    report, checks = identity("广州市某某特别合作区2022年法治政府建设年度报告\n" + BODY.format(who="合作区"))
    assert (report.jurisdiction, report.level, report.parent, report.division_code) == (
        "某某特别合作区", "district", "广州市", "")
    assert "unknown_jurisdiction" in names(checks)


def test_site_code_of_an_unrelated_government_is_a_check_and_the_title_wins():
    text = "某某市福田区2023年法治政府建设工作报告\n" + BODY.format(who="福田区") + "网站标识码 1101050001\n"
    report, checks = identity(text)
    assert report.division_code == "440304" and "identity_sources_disagree" in names(checks)


def test_host_spellings_and_names():
    assert [d.name for d in divisions.host_divisions("www.baotou.gov.cn:80", 2024)] == ["包头市"]
    assert [d.name for d in divisions.host_divisions("zwgk.shcn.gov.cn", 2023)] == ["长宁区"]  # 长 read chang
    assert divisions.host_divisions("www.example.gov.cn", 2023) == []
    assert divisions.base_name("红河哈尼族彝族自治州") == "红河" and divisions.base_name("许昌市") == "许昌"
    assert divisions.lookup("金平县", 2023)[0].name == "金平苗族瑶族傣族自治县"


# ---------------------------------------------------------------- when


def test_year_from_the_opening_sentence_never_from_ranges_or_furniture():
    assert year_in_text("根据《纲要（2021—2025年）》，2023年，某某街道坚持依法行政。", []) == 2023
    assert year_in_text("2022年某某街道法治政府建设工作，深入贯彻落实。", []) == 2022
    report, _ = identity("某某市某某区人民政府 2019年12月3日星期二\n" + BODY.format(who="某某区"))
    assert report.year == 2023


# ---------------------------------------------------------------- pages that cannot be identified


def test_a_page_whose_reporter_cannot_be_identified_builds_with_a_check():
    text = "关于2023年度法治政府建设工作情况的报告\n" + BODY.format(who="我单位")
    data = text.encode("utf-8")
    capture = Capture(hashlib.sha256(data).hexdigest(), "x.txt", url="http://www.example.gov.cn/1.html",
                      content_type="text/plain; charset=utf-8")
    rows = read_report(capture, data, {}, load_taxonomy())
    assert len(rows.reports) == 1 and rows.reports[0]["year"] == 2023 and rows.reports[0]["division_code"] == ""
    assert "unknown_jurisdiction" in [c["check"] for c in rows.checks] and rows.facts


def test_a_page_of_furniture_only_gets_the_unreadable_page_check():
    text = ("某某县人民政府 2024年3月1日星期五\n首页 > 政务公开 > 法治政府建设\n【打印本页】【关闭窗口】\n"
            "版权所有：某某县人民政府 网站标识码：4115210001\nICP备12345678号\n")
    data = text.encode("utf-8")
    capture = Capture(hashlib.sha256(data).hexdigest(), "x.txt", url="http://www.example.gov.cn/2.html",
                      content_type="text/plain; charset=utf-8")
    rows = read_report(capture, data, {}, load_taxonomy())
    assert rows.reports == [] and [c["check"] for c in rows.checks] == ["unreadable_page"]


# ---------------------------------------------------------------- the real pages


def test_identity_on_the_real_pages_meets_the_issue_targets(capsys):
    scores = evaluate_pages(REALPAGES)
    right = {name: s.right for name, s in scores.items()}
    assert min(right["jurisdiction"], right["level"], right["division_code"]) >= 57 and right["year"] >= 59
    assert scores["published"].right >= 0.95 * scores["published"].total
    assert scores["title"].right >= 0.95 * scores["title"].total
    assert main(["--pages-dir", str(REALPAGES)]) == 0 and "division_code" in capsys.readouterr().out
