"""Consistency checks across the facts of one report."""


import pytest
from factmaker import facts_in, gold_facts

from pipeline.extract.checks import consistency_checks, years_in_title
from pipeline.extract.indicators import assign_indicators, load_taxonomy
from pipeline.model import Report


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


def report(title: str = "某区2023年法治政府建设年度报告", year: int | None = 2023) -> Report:
    return Report(title=title, jurisdiction="某区", level="district", parent="某市", division_code="",
                  year=year, published_date="", publisher="", url="", raw_sha256="", capture="html",
                  adapter="text", report_id="r000000000000")


def checks_for(text: str, taxonomy, *written, title: str = "某区2023年法治政府建设年度报告"):
    facts = facts_in(text, *written)
    assign_indicators(facts, text, taxonomy)
    return facts, consistency_checks(report(title), facts, text)


def test_futian_mediation_rate_disagrees_with_its_counts(taxonomy):
    text, facts, _ = gold_facts("futian-2024")
    assign_indicators(facts, text, taxonomy)
    checks = consistency_checks(report("福田区人民政府2024年法治政府建设年度报告", 2024), facts, text)
    rate = next(f for f in facts if f.quote == "调解成功率达96.1%")
    assert [(c.check, c.severity, c.fact_id) for c in checks] == [("rate_disagrees_with_counts", "warning",
                                                                   rate.fact_id)]
    assert "528/551 = 95.83%" in checks[0].message


@pytest.mark.parametrize(("rate", "flagged"), [("96%", False), ("95.8%", False), ("95.83%", False),
                                              ("96.1%", True), ("100%", True), ("95.7%", True)])
def test_rounding_tolerance_is_one_unit_of_the_last_written_digit(rate, flagged, taxonomy):
    text = f"全区行政调解组织受理案件551件，成功调解528件，调解成功率{rate}。"
    _, checks = checks_for(text, taxonomy, "551件", "528件", rate)
    assert bool(checks) is flagged


def test_loss_rate_may_use_any_stated_denominator(taxonomy):
    text = "区政府为被告的行政诉讼案件252宗，生效86宗，败诉3宗，败诉率3.49%。"
    _, checks = checks_for(text, taxonomy, "252宗", "86宗", "3宗", "3.49%")
    assert checks == []
    text = "区政府为被告的行政诉讼案件252宗，生效86宗，败诉3宗，败诉率8%。"
    facts, checks = checks_for(text, taxonomy, "252宗", "86宗", "3宗", "8%")
    assert [(c.check, c.fact_id) for c in checks] == [("rate_disagrees_with_counts", facts[3].fact_id)]


def test_combined_correction_rate_is_not_checked_against_the_corrected_count(taxonomy):
    text = "审结行政复议案件200件，纠错30件，综合纠错率25%。"
    facts, checks = checks_for(text, taxonomy, "200件", "30件", "25%")
    assert [f.indicator_id for f in facts][1:] == ["admin_reconsideration_corrected",
                                                  "admin_reconsideration_correction_rate"]
    assert checks == []
    text = "审结行政复议案件200件，纠错30件，纠错率25%。"
    _, checks = checks_for(text, taxonomy, "200件", "30件", "25%")
    assert [c.check for c in checks] == ["rate_disagrees_with_counts"]


def test_successes_above_the_total_are_flagged(taxonomy):
    text = "全市行政调解组织受理纠纷500件，调解成功520件。"
    facts, checks = checks_for(text, taxonomy, "500件", "520件")
    assert [(c.check, c.severity, c.fact_id) for c in checks] == [("part_exceeds_whole", "warning",
                                                                   facts[1].fact_id)]


def test_lost_cases_above_concluded_cases_are_flagged(taxonomy):
    text = "全年审结行政诉讼案件12件，败诉15件。"
    facts, checks = checks_for(text, taxonomy, "12件", "15件")
    assert [(c.check, c.fact_id) for c in checks] == [("part_exceeds_whole", facts[1].fact_id)]
    assert "admin_litigation_concluded = 12" in checks[0].message


def test_counts_pair_within_their_paragraph_only(taxonomy):
    text = ("全市行政调解组织受理纠纷1000件，调解成功800件，调解成功率80%。\n"
            "市本级行政调解组织受理纠纷100件，调解成功90件，调解成功率90%。")
    _, checks = checks_for(text, taxonomy, "1000件", "800件", "80%", "100件", "90件", "90%")
    assert checks == []


def test_no_check_when_the_partner_is_uncertain(taxonomy):
    text = ("市级行政调解组织受理纠纷1000件，调解成功800件。\n"
            "区级行政调解组织受理纠纷100件，调解成功90件。\n"
            "行政调解成功率70%。")
    _, checks = checks_for(text, taxonomy, "1000件", "800件", "100件", "90件", "70%")
    assert checks == []


@pytest.mark.parametrize(("title", "year", "flagged"), [
    ("福田区人民政府2024年法治政府建设年度报告", 2023, True),
    ("福田区人民政府2024年法治政府建设年度报告", 2024, False),
    ("某县人民政府关于二〇二三年度法治政府建设情况的报告", 2023, False),
    ("某县人民政府关于二〇二三年度法治政府建设情况的报告", 2022, True),
    ("某市2023年法治政府建设情况和2024年工作计划", 2023, False),
    ("某区法治政府建设年度报告", 2023, False),
    ("某区2024年法治政府建设年度报告", None, False),
])
def test_title_year_must_match_the_year_reported_on(title, year, flagged):
    checks = consistency_checks(report(title, year), [], "")
    assert [c.check for c in checks] == (["title_year_mismatch"] if flagged else [])


def test_years_in_title_reads_both_digit_styles():
    assert years_in_title("二〇二三年度与2024年") == {2023, 2024}
    assert years_in_title("第12345号") == set()
