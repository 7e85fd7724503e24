"""Report records from page + capture + catalogue row: title, year, place, code, checks."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.model import Capture, Page
from pipeline.parse.identity import issuer_text, make_report, parse_issuer, signature, year_in_text, year_in_title

FIXTURES = Path(__file__).parent / "fixtures" / "corpus"
SHA = "ab" * 32


def read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def build(title="", text="", entry=None, publisher="", site="", published="", ctype="text/html", **capture):
    page = Page("generic", text, title=title, publisher=publisher, site_name=site, published_date=published)
    return make_report(page, Capture(SHA, "x", content_type=ctype, **capture), entry or {})


def names(checks):
    return [c.check for c in checks]


def test_futian_2024_full_record():
    page = Page("nfcms", read("futian-2024.txt"), title="福田区人民政府2024年法治政府建设年度报告",
                published_date="2025-02-12", publisher="福田区政府办公室", index_number="/2025-11998829")
    capture = Capture(SHA, "ab/x.html", url="https://www.szft.gov.cn/a/post_1.html", content_type="text/html")
    report, checks = make_report(page, capture, {"parent": "深圳市", "jurisdiction": "福田区", "year": "2024"})
    assert (report.title, report.jurisdiction, report.level, report.parent, report.division_code, report.year) == (
        "福田区人民政府2024年法治政府建设年度报告", "福田区", "district", "深圳市", "440304", 2024)
    assert (report.published_date, report.publisher, report.url, report.raw_sha256) == (
        "2025-02-12", "福田区政府办公室", "https://www.szft.gov.cn/a/post_1.html", SHA)
    assert (report.capture, report.adapter, report.index_number) == ("html", "nfcms", "/2025-11998829")
    assert (report.report_id, report.n_chars, report.n_facts) == ("", 0, 0)
    assert checks == []


@pytest.mark.parametrize(("title", "entry", "expected"), [
    ("深圳市市场监督管理局2022年法治政府建设年度报告", {}, ("深圳市市场监督管理局", "department", "深圳市", "440300")),
    ("湖北省司法厅关于2022年度法治政府建设工作情况的报告", {}, ("湖北省司法厅", "department", "湖北省", "420000")),
    ("市场监督管理局2022年法治政府建设年度报告", {"parent": "深圳市"},
     ("深圳市市场监督管理局", "department", "深圳市", "440300")),
    ("广东省人民政府办公厅2022年法治政府建设年度报告", {}, ("广东省人民政府办公厅", "department", "广东省", "440000")),
    ("华富街道2025年法治政府建设年度报告", {"parent": "福田区"}, ("华富街道", "street", "福田区", "440304")),
    ("深圳市福田区华富街道办事处2024年法治政府建设年度报告", {}, ("华富街道", "street", "福田区", "440304")),
    ("2023年度罗山县法治政府建设工作情况报告", {}, ("罗山县", "county", "罗山县", "411521")),
    ("四川省人民政府关于2022年法治政府建设情况的报告", {}, ("四川省", "province", "四川省", "510000")),
    ("淮安市2017年法治政府建设工作报告", {}, ("淮安市", "city", "淮安市", "320800")),
    ("上海市闵行区人民政府关于2025年度法治政府建设情况的报告", {}, ("闵行区", "district", "闵行区", "310112")),
])
def test_levels_governments_and_codes(title, entry, expected):
    report, checks = build(title, entry=entry)
    assert (report.jurisdiction, report.level, report.government, report.division_code) == expected
    assert checks == []


@pytest.mark.parametrize(("title", "parent"), [
    ("深圳市市场监督管理局2022年法治政府建设年度报告", "广东省"),  # a department: the government above its own
    ("深圳市福田区华富街道办事处2024年法治政府建设年度报告", "深圳市"),  # a street: the city above its district
    ("2023年度罗山县法治政府建设工作情况报告", "信阳市"),
    ("四川省人民政府关于2022年法治政府建设情况的报告", ""),
    ("上海市闵行区人民政府关于2025年度法治政府建设情况的报告", "上海市"),
])
def test_parent_is_the_government_above_the_reporters_government(title, parent):
    assert build(title)[0].parent == parent


def test_a_2025_report_uses_the_last_table_year():
    report, _ = build("上海市闵行区人民政府关于2025年度法治政府建设情况的报告")
    assert (report.year, report.division_code) == (2025, "310112")


def test_street_placed_by_the_site_name():
    report, _ = build("华富街道办事处2024年法治政府建设年度报告", site="深圳市福田区人民政府")
    assert (report.level, report.government, report.parent, report.division_code) == (
        "street", "福田区", "深圳市", "440304")


def test_street_of_unknown_county_has_no_code():
    report, checks = build("某某街道2024年法治政府建设年度报告")
    assert (report.level, report.division_code) == ("street", "")
    assert "unknown_jurisdiction" in names(checks)


def test_department_named_by_its_kind_of_place_only():
    report, _ = build("区司法局2022年法治政府建设年度报告", site="深圳市福田区人民政府")
    assert (report.jurisdiction, report.level, report.government, report.parent, report.division_code) == (
        "福田区司法局", "department", "福田区", "深圳市", "440304")


def test_ambiguous_name_without_parent_is_not_guessed():
    report, checks = build("鼓楼区2023年法治政府建设年度报告")
    assert report.division_code == ""
    [check] = checks
    assert check.check == "ambiguous_jurisdiction" and "350102" in check.message and "320106" in check.message


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"entry": {"parent": "福州市"}}, "350102"),
    ({"title": "福州市鼓楼区人民政府关于2023年法治政府建设情况的报告"}, "350102"),
    ({"site": "南京市人民政府"}, "320106"),
    ({"publisher": "徐州市鼓楼区人民政府办公室"}, "320302"),
])
def test_ambiguous_name_resolved_by_parent(kwargs, code):
    kwargs = {"title": "鼓楼区2023年法治政府建设年度报告"} | kwargs
    report, checks = build(**kwargs)
    assert (report.jurisdiction, report.division_code) == ("鼓楼区", code)
    assert "ambiguous_jurisdiction" not in names(checks)


def test_body_only_capture_placed_by_catalogue():
    text = read("guangming-2021.txt").rsplit("特此报告。", 1)[0]  # no signature: only the catalogue says where
    report, checks = build(text=text, ctype="text/plain", entry={"jurisdiction": "光明区", "parent": "深圳市",
                                                                "level": "district", "year": "2021"})
    assert (report.jurisdiction, report.level, report.parent, report.division_code, report.year) == (
        "光明区", "district", "深圳市", "440311", 2021)
    assert report.capture == "text"
    assert checks == []


def test_body_only_capture_placed_and_dated_by_its_signature():
    report, checks = build(text=read("longhua-2019.txt"), ctype="text/plain")
    assert (report.jurisdiction, report.parent, report.division_code) == ("龙华区", "深圳市", "440309")
    assert report.year == 2019  # "今年" in a text signed 2019年12月18日
    assert checks == []


def test_publisher_places_a_title_that_names_no_one():
    report, _ = build("关于2021年度法治政府建设情况的报告", publisher="福田区司法局")
    assert (report.jurisdiction, report.level, report.division_code, report.year) == (
        "福田区", "district", "440304", 2021)


def test_departments_of_a_government_and_unclassified_names():
    report, _ = build("福田区人民政府法制办公室2018年法治政府建设年度报告")
    assert (report.jurisdiction, report.level, report.division_code) == (
        "福田区人民政府法制办公室", "department", "440304")
    report, _ = build(entry={"jurisdiction": "北京市各区", "parent": "北京市", "level": "district"})
    assert (report.jurisdiction, report.level, report.division_code) == ("北京市各区", "district", "")


def test_code_must_exist_in_the_year():
    report, checks = build("光明区2017年法治政府建设年度报告")
    assert (report.division_code, report.level) == ("", "district")
    assert "unknown_jurisdiction" in names(checks)


def test_catalogue_disagreements_are_checks_and_the_page_wins():
    report, checks = build("光明区人民政府2025年法治政府建设年度报告", published="2026-01-10",
                           entry={"jurisdiction": "龙华区", "year": "2024", "published": "2026-01-11"})
    assert (report.jurisdiction, report.year, report.published_date) == ("光明区", 2025, "2026-01-10")
    assert names(checks) == ["catalogue_disagrees"] * 3


def test_catalogue_fills_what_the_capture_lacks():
    report, checks = build(text="全年办理案件12件。", entry={"title": "湖北省司法厅2022年法治政府建设年度报告",
                                                        "published": "2023-01-30"})
    assert (report.title, report.jurisdiction, report.year, report.published_date) == (
        "湖北省司法厅2022年法治政府建设年度报告", "湖北省司法厅", 2022, "2023-01-30")
    assert checks == []


def test_page_title_and_date_come_first():
    page = Page("generic", "正文。", title="页面标题2024年", published_date="2025-01-02")
    report, _ = make_report(page, Capture(SHA, "x", title="手工标题2022年", published="2023-01-02"),
                            {"title": "目录标题2023年", "published": "2025-01-02"})
    assert (report.title, report.year, report.published_date) == ("页面标题2024年", 2024, "2025-01-02")


def test_capture_title_and_date_used_when_page_has_none():
    page = Page("text", "正文。")
    report, _ = make_report(page, Capture(SHA, "x", title="手工标题2022年", published="2023-01-02"),
                            {"title": "目录标题2023年", "published": "2023-01-03"})
    assert (report.title, report.year, report.published_date) == ("手工标题2022年", 2022, "2023-01-02")


def test_body_without_year_with_no_date_is_flagged():
    report, checks = build(text="今年以来，我区推进依法行政。")
    assert report.year is None
    assert "year_unknown" in names(checks)


def test_bad_catalogue_year_is_a_check_not_a_crash():
    report, checks = build("福田区人民政府法治政府建设年度报告", entry={"year": "去年"})
    assert report.year is None
    assert names(checks) == ["catalogue_disagrees", "year_unknown"]


def test_empty_inputs_do_not_crash():
    report, checks = make_report(Page("generic", ""), Capture(SHA, "x"), {})
    assert (report.jurisdiction, report.division_code, report.year, report.capture) == ("", "", None, "html")
    assert "year_unknown" in names(checks)


@pytest.mark.parametrize(("ctype", "path", "kind"), [
    ("text/plain; charset=utf-8", "x.txt", "text"), ("application/pdf", "x", "pdf"), ("", "a/b.PDF", "pdf"),
    ("text/html", "x.html", "html")])
def test_capture_kind(ctype, path, kind):
    report, _ = make_report(Page("generic", ""), Capture(SHA, path, content_type=ctype), {})
    assert report.capture == kind


@pytest.mark.parametrize(("title", "year"), [
    ("福田区人民政府2024年法治政府建设年度报告", 2024), ("关于2021年度法治政府建设情况的报告", 2021),
    ("二〇二一年度法治政府建设情况报告", 2021), ("法治政府建设年度报告", None)])
def test_year_in_title(title, year):
    assert year_in_title(title) == year


def test_year_in_text():
    assert year_in_text(read("guangming-2021.txt"), []) == 2021  # 一、2021年主要工作情况
    assert year_in_text(read("futian-2024.txt"), []) == 2024  # opens with "2024年,福田区..."
    assert year_in_text("今年以来，我区……", ["", "2019-12-18"]) == 2019
    assert year_in_text("今年，我区将……", ["2020-01-15"]) is None  # early in the year 今年 is the plan
    assert year_in_text("一、成效\n内容。\n二、2020年工作计划\n内容。", []) == 2019
    assert year_in_text("我区2018年在全市考评中名列第二。", []) is None


def test_issuer_and_signature_parsing():
    assert issuer_text("深圳市光明区人民政府关于2021年度法治政府建设情况的报告") == "深圳市光明区人民政府"
    assert issuer_text("2023年度罗山县法治政府建设工作情况报告") == "罗山县"
    assert issuer_text("关于2021年度法治政府建设情况的报告") == ""
    assert parse_issuer("福田区政府办公室", own_level=False).names == ["福田区"]
    assert parse_issuer("深圳市市场监督管理局").department == "市场监督管理局"
    assert signature("正文。\n特此报告。\n深圳市光明区人民政府\n2022年1月5日") == ("深圳市光明区人民政府", "2022-01-05")
    assert signature("正文没有落款。") == ("", "")


@settings(max_examples=60, deadline=None)
@given(title=st.text(alphabet="福田区鼓楼市省县街道局司法人民政府关于2024年度报告 \n", max_size=40),
       year=st.text(alphabet="20x4 ", max_size=5), published=st.text(max_size=12))
def test_odd_inputs_never_crash(title, year, published):
    report, checks = build(title, text=title, published=published, entry={"year": year, "parent": title})
    assert report.division_code == "" or len(report.division_code) == 6
    assert all(c.severity in ("error", "warning", "info") for c in checks)
