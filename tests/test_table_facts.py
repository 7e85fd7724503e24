"""Facts from data tables: header subjects, units from cells, unit columns and headers, no years or ordinals."""

from __future__ import annotations

import pytest

from pipeline.extract.checks import consistency_checks
from pipeline.extract.indicators import assign_indicators, indicator_rows, load_taxonomy
from pipeline.extract.tables import table_facts
from pipeline.model import Report, Table


def facts_of(*rows: list[str]):
    return table_facts([Table(rows=[list(r) for r in rows])])


def by_subject(*rows: list[str]) -> dict:
    return {f.subject: f for f in facts_of(*rows)}


def test_two_header_rows_and_a_unit_column():
    facts = by_subject(
        ["指标", "完成情况", "完成情况", "单位"],
        ["指标", "2022年", "2023年", "单位"],
        ["行政复议案件", "1,024", "1,187", "件"],
        ["行政诉讼败诉率", "6.8", "5.2", "%"],
    )
    assert list(facts) == ["行政复议案件 / 完成情况 / 2022年", "行政复议案件 / 完成情况 / 2023年",
                           "行政诉讼败诉率 / 完成情况 / 2022年", "行政诉讼败诉率 / 完成情况 / 2023年"]
    cases = facts["行政复议案件 / 完成情况 / 2023年"]
    assert (cases.value, cases.unit, cases.unit_base, cases.kind) == (1187, "件", "件", "count")
    assert (cases.char_start, cases.char_end, cases.quote) == (None, None, "行政复议案件 1,024 1,187 件")
    rate = facts["行政诉讼败诉率 / 完成情况 / 2022年"]
    assert (rate.value, rate.unit, rate.kind) == (6.8, "%", "rate")


def test_units_in_headers_multipliers_qualifiers_and_changes():
    facts = by_subject(
        ["序号", "项目", "数量（件）", "金额（万元）", "同比增减(%)"],
        ["1", "行政处罚", "215", "约3.5", "-2.1"],
        ["2", "行政许可", "1.2万", "—", "3"],
    )
    assert set(facts) == {"行政处罚 / 数量（件）", "行政处罚 / 金额（万元）", "行政处罚 / 同比增减(%)",
                          "行政许可 / 数量（件）", "行政许可 / 同比增减(%)"}  # 序号 and the dash are no facts
    money = facts["行政处罚 / 金额（万元）"]
    assert (money.value, money.unit, money.value_normalized, money.unit_base, money.kind) == (
        3.5, "万元", 35000, "元", "amount")
    assert (money.qualifier, money.qualifier_raw) == ("about", "约")
    assert (facts["行政许可 / 数量（件）"].unit, facts["行政许可 / 数量（件）"].value_normalized) == ("万件", 12000)
    fall = facts["行政处罚 / 同比增减(%)"]
    assert (fall.value, fall.kind, fall.direction) == (2.1, "change", "down")
    assert facts["行政许可 / 同比增减(%)"].direction == "up"


def test_year_column_and_table_unit_line_and_targets():
    facts = by_subject(
        ["单位：万元", "单位：万元", "单位：万元"],
        ["年份", "罚没收入", "目标值"],
        ["2023", "530.5", "500"],
        ["2024", "612", "600"],
    )
    assert set(facts) == {"2023 / 罚没收入", "2023 / 目标值", "2024 / 罚没收入", "2024 / 目标值"}
    assert facts["2024 / 罚没收入"].unit == "万元" and facts["2024 / 罚没收入"].value_normalized == 6120000
    assert facts["2024 / 目标值"].is_target and not facts["2024 / 罚没收入"].is_target


def test_cell_units_ratio_and_rate_header():
    facts = by_subject(["项目", "2023", "2024"], ["出庭应诉", "12件", "1.04:1"], ["败诉率", "3.49", "2.1"])
    assert (facts["出庭应诉 / 2023"].unit, facts["出庭应诉 / 2024"].unit) == ("件", ":1")
    assert facts["出庭应诉 / 2024"].kind == "ratio"
    assert (facts["败诉率 / 2023"].unit, facts["败诉率 / 2023"].kind) == ("%", "rate")  # a rate header: percent


def test_unit_column_found_by_its_cells_and_ordinals_without_header():
    facts = facts_of(["指标", "数量", "数量"], ["复议", "215", "件"])
    assert [(f.subject, f.value, f.unit) for f in facts] == [("复议 / 数量", 215, "件")]
    numbered = facts_of(["1", "行政复议", "12"], ["2", "行政诉讼", "8"])
    assert [(f.subject, f.value) for f in numbered] == [("行政复议", 12), ("行政诉讼", 8)]


@pytest.mark.parametrize("rows", [
    [["项目", "说明"], ["复议", "依法办理"]],  # no number at all
    [["2022年", "2023年"], ["2022", "2023"]],  # only years
    [],
    [["", ""], ["", ""]],
])
def test_tables_without_facts(rows):
    assert facts_of(*rows) == []


def test_table_facts_pass_through_indicators_and_checks():
    facts = facts_of(["项目", "2024年"], ["行政诉讼案件（宗）", "252"], ["败诉率（%）", "3.49"])
    assert [f.unit for f in facts] == ["宗", "%"]
    taxonomy = load_taxonomy()
    assign_indicators(facts, "", taxonomy)
    assert facts[0].indicator_id == "admin_litigation_cases"
    report = Report(title="某区2024年报告", jurisdiction="某区", level="district", parent="", division_code="",
                    year=2024, published_date="", publisher="", url="", raw_sha256="", capture="html",
                    adapter="trs", report_id="r000000000000")
    for n, fact in enumerate(facts):
        fact.fact_id = f"r000000000000-{n}"
    rows, _ = indicator_rows(report, facts, taxonomy)
    assert {r["indicator_id"] for r in rows} >= {"admin_litigation_cases"}
    assert consistency_checks(report, facts, "") == []
