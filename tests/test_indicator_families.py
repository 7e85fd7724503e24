"""What a number counts, for whom and for when: the families of issue 11, on report prose written for these tests."""

import json

import pytest

from pipeline.extract.facts import extract_facts, zero_facts
from pipeline.extract.indicators import assign_indicators, indicator_rows, load_taxonomy
from pipeline.extract.tables import text_table_facts
from pipeline.model import Report
from pipeline.run import evaluate_indicators


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


def read(text: str, taxonomy, year: int | None = 2023):
    facts = sorted(extract_facts(text) + zero_facts(text), key=lambda f: f.char_start) + text_table_facts(text)
    for n, fact in enumerate(facts, start=1):
        fact.fact_id = f"r000000000000-{n:04d}"
    checks = assign_indicators(facts, text, taxonomy, year=year)
    return facts, checks


def pairs(text: str, taxonomy, year: int | None = 2023) -> set[tuple[str, float]]:
    facts, _ = read(text, taxonomy, year)
    return {(f.indicator_id, f.value_normalized) for f in facts if f.indicator_id}


def report() -> Report:
    return Report(title="某县2023年法治政府建设年度报告", jurisdiction="某县", level="county", parent="某市",
                  division_code="110101", year=2023, published_date="", publisher="", url="", raw_sha256="",
                  capture="html", adapter="text", report_id="r000000000000")


def test_a_part_gives_way_to_the_whole_jurisdictions_figure(taxonomy):
    text = ("2023年，全市12345热线共受理群众诉求86.5万件。从受理分布看，市本级平台受理50.2万件，各县区受理36.3万件。"
            "全市各级行政复议机关共收到行政复议申请860件，其中，市政府本级收到210件。")
    facts, checks = read(text, taxonomy)
    assert pairs(text, taxonomy) == {("public_complaints_received", 865000), ("admin_reconsideration_received", 860)}
    assert {c.check for c in checks} == {"part_set_aside"}
    assert any("210" in c.message for c in checks)


def test_a_part_alone_is_kept_and_a_subset_word_closed_in_brackets_does_not_reach_on(taxonomy):
    text = "本局共承办人大代表建议21件（主办15件、协办6件）和政协提案12件。"
    assert pairs(text, taxonomy) == {("npc_suggestions_handled", 21), ("cppcc_proposals_handled", 12)}


def test_received_and_accepted_apart_when_both_are_stated(taxonomy):
    text = "全年新收行政复议申请420件。受理行政复议案件365件，审结330件。"
    assert pairs(text, taxonomy) == {("admin_reconsideration_received", 420),
                                     ("admin_reconsideration_accepted", 365),
                                     ("admin_reconsideration_concluded", 330)}
    assert pairs("全年受理行政复议案件365件。", taxonomy) == {("admin_reconsideration_received", 365)}


@pytest.mark.parametrize("text", [
    "全县法院审结一审行政案件210件，万人成讼率为1.2件/万人。",
    "全区行政复议案件日均受理量3件。",
    "全市行政执法案件平均罚款金额2.4万元。",
    "行政案件成讼率为1.3件/万人。",
])
def test_averages_and_per_capita_figures_are_no_totals(text, taxonomy):
    assert ("admin_litigation_concluded", 210) in pairs(text, taxonomy) or "210" not in text
    assert {p for p in pairs(text, taxonomy) if p[1] != 210} == set()


def test_another_year_and_several_years_are_not_the_year_reported_on(taxonomy):
    text = ("2023年，全县行政机关败诉率为6.5%（2022年为9.8%）。2019年以来，全县累计办理行政复议案件1200件。"
            "全年收到行政复议申请（上年为75件）。"
            "2021年行政机关败诉率为11.2%、2022年为9.8%、2023年为6.5%。")
    assert pairs(text, taxonomy) == {("admin_litigation_loss_rate", 6.5)}
    assert pairs(text, taxonomy, year=None) >= {("admin_litigation_loss_rate", 6.5)}


def test_changes_and_other_quantities_of_the_sentence_stay_silent(taxonomy):
    text = "全市收到行政复议申请980件，同比增长12%，较上年增加105件；以调解、和解方式结案156件，占审结案件的18%。"
    assert pairs(text, taxonomy) == {("admin_reconsideration_received", 980), ("admin_reconsideration_mediated", 156)}


def test_missing_phrasings(taxonomy):
    text = ("全年受办理群众诉求12.6万件，办结率99.1%。开展各类法律宣传活动86场。"
            "审查各类涉法事项230余件，行政机关合同审查48件。随机抽查企业1.2万家次。"
            "开展规范性文件清理，梳理排查相关文件310件，废止21件。")
    assert pairs(text, taxonomy) >= {
        ("public_complaints_received", 126000), ("public_complaints_resolution_rate", 99.1),
        ("legal_publicity_events", 86), ("legality_reviews", 230), ("legality_reviews", 48),
        ("admin_inspections", 12000), ("normative_documents_cleaned_up", 310), ("normative_documents_abolished", 21)}


def test_noun_after_the_number_and_verb_after_the_number(taxonomy):
    text = ("制定《城市更新管理办法》等6项重大行政决策。对本县现行有效的75份规范性文件进行全面清理。"
            "对需修改的9个文件启动修改程序。")
    assert pairs(text, taxonomy) == {("major_decisions_made", 6), ("normative_documents_cleaned_up", 75)}
    assert pairs("重大行政决策事项共涉及4个方面。", taxonomy) == set()


@pytest.mark.parametrize("text", [
    "全年办理以县政府为被告的行政诉讼案件27件，实现零败诉。",
    "县政府作为被告的行政诉讼案件无一败诉。",
    "全县行政应诉案件15件，未发生败诉案件。",
    "全年未发生行政诉讼败诉案件。",
])
def test_zero_statements_are_a_count_of_zero(text, taxonomy):
    assert ("admin_litigation_lost", 0) in pairs(text, taxonomy)


def test_a_table_written_as_text_is_read_under_its_headers(taxonomy):
    text = ("二、主动公开政府信息情况\n"
            "信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |\n"
            "规章 | 0 | 0 | 0 |\n"
            "行政规范性文件 | 4 | 2 | 37 |\n"
            "信息内容 | 本年处理决定数量 | |\n"
            "行政处罚 | 126 | |\n"
            "| 自然人 | 法人或其他组织 | 总计 |\n"
            "| 一、本年新收政府信息公开申请数量 | 9 | 2 | 11 |\n"
            "| 二、上年结转政府信息公开申请数量 | 1 | 0 | 1 |\n")
    assert pairs(text, taxonomy) == {("normative_documents_issued", 4), ("normative_documents_abolished", 2),
                                     ("admin_penalty_cases", 126), ("info_disclosure_requests", 11)}


def test_a_table_written_one_cell_a_line(taxonomy):
    text = "|\n信息内容 |\n本年制发件数 |\n本年废止件数 |\n|\n行政规范性文件 |\n3 |\n5 |\n|\n"
    assert pairs(text, taxonomy) == {("normative_documents_issued", 3), ("normative_documents_abolished", 5)}


def test_rows_keep_qualifier_and_scope(taxonomy):
    text = "全区共受理政府信息公开申请120余件。收到行政复议申请86件（含上年结转4件）。"
    facts, _ = read(text, taxonomy)
    rows, _ = indicator_rows(report(), facts, taxonomy, text)
    by_id = {r["indicator_id"]: r for r in rows}
    assert (by_id["info_disclosure_requests"]["qualifier"], by_id["info_disclosure_requests"]["scope"]) == (
        "more_than", "全区")
    assert by_id["admin_reconsideration_received"]["scope"] == "含上年结转"
    assert by_id["admin_reconsideration_received"]["qualifier"] == ""


def test_named_parts_without_a_total_are_summed_and_said_so(taxonomy):
    text = "开展规范性文件清理，废止规范性文件7件，宣布失效3件。"
    facts, _ = read(text, taxonomy)
    rows, checks = indicator_rows(report(), facts, taxonomy, text)
    assert [(r["indicator_id"], r["value"]) for r in rows if r["indicator_id"].endswith("abolished")] == [
        ("normative_documents_abolished", 10)]
    assert "sum_of_parts" in {c.check for c in checks}
    facts, _ = read("废止和宣布失效规范性文件共12件，其中宣布失效5件。", taxonomy)
    rows, _ = indicator_rows(report(), facts, taxonomy, "")
    assert [(r["indicator_id"], r["value"]) for r in rows] == [("normative_documents_abolished", 12)]


def test_the_evaluation_scores_core_pairs_and_lists_misses_and_wrong_mappings(tmp_path, capsys):
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "01.txt").write_text("2023年，全县收到行政复议申请52件，审结49件，败诉率为3.5%。",
                                               encoding="utf-8")
    (tmp_path / "docs.jsonl").write_text(json.dumps({"doc": "01", "year": 2023}) + "\n", encoding="utf-8")
    gold = [{"doc": "01", "indicator_id": "admin_reconsideration_received", "value": 52, "borderline": False,
             "quote": "收到行政复议申请52件"},
            {"doc": "01", "indicator_id": "admin_reconsideration_corrected", "value": 7, "borderline": False,
             "quote": "纠错7件"},
            {"doc": "01", "indicator_id": "admin_reconsideration_concluded", "value": 49, "borderline": True,
             "quote": "审结49件"}]
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(g, ensure_ascii=False) + "\n" for g in gold),
                                         encoding="utf-8")
    assert evaluate_indicators.main(["--dir", str(tmp_path), "--min-precision", "0.9"]) == 1
    out = capsys.readouterr().out
    assert "01 miss  admin_reconsideration_corrected = 7" in out
    assert "01 wrong admin_litigation_loss_rate = 3.5" in out
    assert "precision 0.500 recall 0.500 (true 1, wrong 1, missed 1, neutral 1" in out


def test_a_wider_places_figure_is_not_the_reports(taxonomy):
    text = "全省行政机关败诉率为11.3%，全市行政机关败诉率为7.2%。全国行政复议机关共收到申请30万件。"
    facts = sorted(extract_facts(text), key=lambda f: f.char_start)
    assign_indicators(facts, text, taxonomy, year=2023, level="city")
    assert {(f.indicator_id, f.value_normalized) for f in facts if f.indicator_id} == {
        ("admin_litigation_loss_rate", 7.2)}
    assign_indicators(facts, text, taxonomy, year=2023, level="province")
    assert ("admin_litigation_loss_rate", 11.3) in {(f.indicator_id, f.value_normalized) for f in facts}


def test_court_intake_in_brackets_is_the_new_case_count(taxonomy):
    text = ("全市法院共审理行政诉讼案件560件（新收案件480件，旧存案件80件），审结505件。"
            "其中行政诉讼一审案件共400件（新收案件350件，旧存案件50件）。")
    found = pairs(text, taxonomy)
    assert {("admin_litigation_cases", 480), ("admin_litigation_concluded", 505)} <= found
    assert not {p for p in found if p[1] in (80, 50, 350) and p[0] == "admin_litigation_cases"}


def test_a_number_that_opens_its_clause_is_read_with_what_follows(taxonomy):
    assert pairs("今年，5件区政府规范性文件全部按时报送备案。", taxonomy) == {("normative_documents_filed", 5)}
    assert pairs("今年，5件区政府规范性文件拟修改。", taxonomy) == set()


def test_a_total_row_takes_the_table_caption(taxonomy):
    text = ("表2：各地受理行政复议案件情况\n"
            "地区 | 数量 | 地区 | 数量 |\n"
            "甲市 | 120 | 乙市 | 80 |\n"
            "总计 | 200 | | |\n")
    assert pairs(text, taxonomy) == {("admin_reconsideration_received", 200)}


def test_an_aim_of_zero_is_no_zero(taxonomy):
    assert pairs("力争实现行政诉讼零败诉。", taxonomy) == set()
    assert [f.is_target for f in zero_facts("确保行政诉讼零败诉。全年实现零败诉。")] == [True, False]


def test_respective_values_pair_with_their_items_by_place(taxonomy):
    text = ("全年办理县人大代表建议、县政协委员提案分别为45件、63件。"
            "共清理规范性文件120件，其中继续有效、修改、废止的分别为90件、18件、12件。")
    assert pairs(text, taxonomy) >= {("npc_suggestions_handled", 45), ("cppcc_proposals_handled", 63),
                                     ("normative_documents_revised", 18), ("normative_documents_abolished", 12)}
    assert not {p for p in pairs(text, taxonomy) if p[1] == 90}
    assert pairs("人大代表建议、政协提案分别为45件。", taxonomy) == set()  # two items, one number


def test_regulations_and_disclosure_cases_are_not_the_general_counts(taxonomy):
    text = ("共清理县政府规章16件。因政府信息公开申请行政复议2件、提起行政诉讼1件。"
            "全年收到行政复议申请40件。")
    assert pairs(text, taxonomy) == {("admin_reconsideration_received", 40)}


@pytest.mark.parametrize("text", [
    "（二）行政复议工作情况\n新收案件 办结案件 直接纠错率\n156 149 9.4%\n",
    "表3 行政复议案件办理情况\n| 新收案件 | 办结案件 | 直接纠错率 |\n| 156 | 149 | 9.4% |\n",
])
def test_a_header_row_then_a_row_of_numbers(text, taxonomy):
    assert pairs(text, taxonomy) == {("admin_reconsideration_received", 156),
                                     ("admin_reconsideration_concluded", 149),
                                     ("admin_reconsideration_direct_correction_rate", 9.4)}


def test_a_header_row_without_a_heading_names_no_topic(taxonomy):
    assert pairs("新收案件 办结案件 纠错率\n156 149 9.4%\n", taxonomy) == set()


def test_a_streets_report_speaks_of_itself_as_street(taxonomy):
    text = "2023年，街道共受理群众诉求3200件。其中，社区网格受理诉求800件。"
    facts = sorted(extract_facts(text), key=lambda f: f.char_start)
    assign_indicators(facts, text, taxonomy, year=2023, level="street")
    assert {(f.indicator_id, f.value_normalized) for f in facts if f.indicator_id} == {
        ("public_complaints_received", 3200)}


def test_an_exact_figure_beside_its_rounding_is_the_same_total_and_the_row_keeps_the_exact_one(taxonomy):
    text = ("全省各级市场监管部门作出行政处罚决定4.37万件，罚没款共计3.06亿元。"
            "其中，行政处罚案件为43712件，罚款金额为30581.26万元；涉企行政处罚案件1200件。")
    facts, _ = read(text, taxonomy)
    assert pairs(text, taxonomy) == {("admin_penalty_cases", 43700), ("admin_penalty_cases", 43712),
                                     ("admin_fines_amount", 306000000), ("admin_fines_amount", 305812600)}
    rows, _ = indicator_rows(report(), facts, taxonomy, text)
    assert {r["indicator_id"]: r["value"] for r in rows} == {"admin_penalty_cases": 43712,
                                                             "admin_fines_amount": 305812600}


def test_a_part_is_no_restatement_of_a_short_round_total(taxonomy):
    text = "全市共作出行政处罚决定1万件，其中，涉企行政处罚案件9600件。"
    assert pairs(text, taxonomy) == {("admin_penalty_cases", 10000)}


def test_a_sentence_without_a_topic_goes_on_about_the_topic_of_the_sentence_before(taxonomy):
    text = "全县行政复议机关共收到行政复议申请150件。通过调解、和解方式结案42件，依法审结120件。"
    assert pairs(text, taxonomy) == {("admin_reconsideration_received", 150),
                                     ("admin_reconsideration_mediated", 42)}


@pytest.mark.parametrize("text", [
    "全县行政复议机关共收到行政复议申请150件。\n通过调解、和解方式结案42件。",  # a new paragraph
    "全县共收到行政复议申请150件，办理人大代表建议30件。通过调解方式结案42件。",  # two topics before
    "全县制定规范性文件15件。编印工作手册3期，发布文件61件。",  # a later clause has its own subject
])
def test_the_topic_is_not_carried_past_a_paragraph_two_topics_or_the_first_clause(text, taxonomy):
    found = pairs(text, taxonomy)
    assert ("admin_reconsideration_mediated", 42) not in found
    assert ("normative_documents_issued", 61) not in found


def test_the_topic_is_carried_only_from_a_sentence_that_counts_it(taxonomy):
    assert pairs("深化行政复议体制改革，提升办案质效。全年通过调解方式结案42件。", taxonomy) == set()


def test_first_instance_suits_named_through_a_shared_head(taxonomy):
    text = "全市法院审理行政、国家赔偿诉讼一审案件（新收案件280件，旧存案件40件）。审理民事诉讼一审案件新收5200件。"
    found = pairs(text, taxonomy)
    assert ("admin_litigation_first_instance_cases", 280) in found
    assert not any(value in (40, 5200) for _, value in found)


def test_case_files_counted_after_a_long_list_of_what_was_drawn(taxonomy):
    text = ("市司法局组织开展行政执法案卷评查，从各执法部门抽取已办结的行政许可、行政处罚及行政检查案卷共120卷"
            "（其中行政处罚案卷80卷），评出优秀案卷共15卷，发现问题案卷共23卷。全市档案馆接收归档案卷共3000卷。")
    assert pairs(text, taxonomy) == {("case_file_reviews", 120)}
