"""extract_facts on made-up sentences in the style of reports from other provinces, plus fuzzing."""

from pathlib import Path

import cn2an
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.extract.facts import extract_facts
from pipeline.extract.numerals import MULTIPLIERS, normalize_width
from pipeline.model import Fact

CORPUS = Path(__file__).parent / "fixtures" / "corpus"


def only(text: str) -> Fact:
    """Return the single fact of `text`, failing when there is not exactly one."""
    facts = extract_facts(text)
    assert len(facts) == 1, [(f.value, f.unit, f.quote) for f in facts]
    return facts[0]


def values(text: str) -> list[tuple[float, str]]:
    return [(f.value, f.unit) for f in extract_facts(text)]


# --- numerals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("全年共受理行政复议案件一千二百件。", 1200, "件"),
        ("市政府召开常务会议专题学法两次。", 2, "次"),
        ("走访规上企业三十余家。", 30, "家"),
        ("办结率达百分之九十五。", 95, "%"),
        ("罚没款3,456.7万元。", 3456.7, "万元"),
        ("受理群众来信１２３４件。", 1234, "件"),
        ("审查合同１,２０８份。", 1208, "份"),
        ("群众满意率达98.76%。", 98.76, "%"),
    ],
)
def test_numerals_of_every_writing(text: str, value: float, unit: str) -> None:
    fact = only(text)
    assert (fact.value, fact.unit) == (pytest.approx(value), unit)


def test_bare_one_and_two_are_words_not_counts() -> None:
    assert values("进一步统一执法标准，推进二次开发，采购零件，实行一次办结。") == []


# --- multipliers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "unit", "normalized", "base"),
    [
        ("12345热线受理诉求53.7万件。", 53.7, "万件", 537_000, "件"),
        ("归集政务数据12.5亿条。", 12.5, "亿条", 1_250_000_000, "条"),
        ("追回欠薪2.3亿元。", 2.3, "亿元", 230_000_000, "元"),
        ("惠及群众十万人次。", 10, "万人次", 100_000, "人次"),
        ("发放补贴资金一千二百万元。", 1200, "万元", 12_000_000, "元"),
    ],
)
def test_multiplier_stays_in_unit_and_is_applied_in_normalized(
    text: str, value: float, unit: str, normalized: float, base: str
) -> None:
    fact = only(text)
    assert (fact.value, fact.unit, fact.unit_base) == (pytest.approx(value), unit, base)
    assert fact.value_normalized == pytest.approx(normalized)


def test_approximation_between_number_and_multiplier() -> None:
    fact = only("网上浏览量达120余万次。")
    assert (fact.value, fact.unit, fact.qualifier_raw, fact.qualifier) == (120, "万次", "余", "more_than")
    fact = only("涉案金额达45万余元。")
    assert (fact.value, fact.unit, fact.qualifier_raw) == (45, "万元", "余")


# --- qualifiers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "raw", "enum"),
    [
        ("组织培训约300人。", "约", "about"),
        ("抽检食品近900批次。", "近", "nearly"),
        ("审查涉法事务超过600项。", "超过", "more_than"),
        ("培训执法人员800多人。", "多", "more_than"),
        ("开展普法活动1500余场。", "余", "more_than"),
        ("持证率保持在95%以上。", "以上", "at_least"),
        ("败诉率降至3%以下。", "以下", "at_most"),
        ("办理时长不足2小时。", "不足", "less_than"),
        ("群众满意度大于90%。", "大于", "more_than"),
        ("参训率不低于85%。", "不低于", "at_least"),
        ("平均办理时间压缩在3天以内。", "以内", "at_most"),
        ("出动执法人员200人左右。", "左右", "about"),
    ],
)
def test_qualifiers_raw_and_normalized(text: str, raw: str, enum: str) -> None:
    fact = only(text)
    assert (fact.qualifier_raw, fact.qualifier) == (raw, enum)


def test_exact_number_has_no_qualifier() -> None:
    fact = only("受理行政复议案件88件。")
    assert (fact.qualifier, fact.qualifier_raw) == ("", "")


# --- kinds ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "direction"),
    [
        ("行政复议案件办结率98.5%。", "rate", ""),
        ("追缴税款1200万元。", "amount", ""),
        ("发放奖励资金350元。", "amount", ""),
        ("行政诉讼案件同比增长15.6%。", "change", "up"),
        ("败诉率同比下降12.5个百分点。", "change", "down"),
        ("收案数较上年下降3.2%。", "change", "down"),
        ("信访量比上年减少120件。", "change", "down"),
        ("复议与诉讼案件比值为1.8:1。", "ratio", ""),
        ("审批时限压缩至5个工作日。", "duration", ""),
        ("窗口平均等候时间缩短到15分钟。", "duration", ""),
        ("领导干部年度学法不少于40学时。", "duration", ""),
        ("新聘任法律顾问12名。", "count", ""),
    ],
)
def test_kind_and_direction(text: str, kind: str, direction: str) -> None:
    fact = only(text)
    assert (fact.kind, fact.direction) == (kind, direction)


def test_a_level_reached_is_not_a_change() -> None:
    fact = only("行政败诉率降至4.2%。")
    assert (fact.kind, fact.direction) == ("rate", "")


def test_a_decrease_in_a_count_without_comparison_is_a_count() -> None:
    fact = only("机构改革后减少事业单位23家。")
    assert fact.kind == "count"


def test_ratio_value_and_unit() -> None:
    fact = only("行政复议与行政诉讼案件比达到2.35:1，")
    assert (fact.value, fact.unit, fact.unit_base) == (2.35, ":1", ":1")


def test_count_without_unit_stated_with_wei() -> None:
    fact = only("经复议后被法院判决败诉的案件为0，")
    assert (fact.value, fact.unit, fact.kind) == (0, "", "count")
    assert only("行政机关败诉案件为零。").value == 0


# --- targets --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "力争将败诉率控制在5%以下。",
        "行政复议纠错率有望降至10%以下。",
        "年度目标为办结率达到95%。",
        "完成省考核指标45%以上。",
        "执法人员持证率应不低于90%。",
    ],
)
def test_targets_are_facts_marked_as_targets(text: str) -> None:
    assert only(text).is_target


def test_results_are_not_targets() -> None:
    facts = extract_facts("明确执法证申办率不低于50%，参考人数达386人。")
    assert [f.is_target for f in facts] == [True, False]


# --- subject --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("全省新收行政复议案件960件。", "新收行政复议案件"),
        ("上线147项惠民惠企事项。", "惠民惠企事项"),
        ("建成89个公共法律服务站点，", "公共法律服务站点"),
        ("全市96.3%的矛盾纠纷在基层化解。", "矛盾纠纷"),
        ("行政诉讼败诉率3.5%，", "行政诉讼败诉率"),
    ],
)
def test_subject_is_the_phrase_measured(text: str, subject: str) -> None:
    assert only(text).subject == subject


def test_change_without_own_subject_borrows_the_previous_one_in_its_sentence() -> None:
    facts = extract_facts("受理信息公开申请320件，较上年增长18.5%。")
    assert facts[1].kind == "change"
    assert facts[1].subject == facts[0].subject == "受理信息公开申请"


# --- not facts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2024年，全省法治政府建设取得新成效。",
        "自2023年度起实施，3月1日施行。",
        "信息提供日期 : 2025-02-12 17:44",
        "贯彻党的十九届四中全会精神，落实市委十二届五次全会部署。",
        "获得第二届全省法治创新大赛一等奖，入选首批示范单位。",
        "一是加强领导。（三）完善机制。1.健全制度。",
        "全面落实行政执法三项制度，推进“三合一”改革。",
        "构建“1+10+N”工作体系，开展“五进”活动，实施百日攻坚。",
        "评选十大法治事件。",
        "印发《关于加强行政复议工作的意见》（湘政办发〔2022〕17号）。",
        "咨询电话：0731-88885678，邮编:410011。",
        "湘ICP备05005227号 网站标识码:4300000013 湘公网安备 43010502000177号",
        "索引号：000014349/2024-00123",
        "《行政复议法实施三年行动计划（2023-2025年）》",
        "统筹推进5G基站建设，升级V2.0版本。",
        "本年度办理行政复议案件12",
    ],
)
def test_not_facts(text: str) -> None:
    assert extract_facts(text) == []


def test_document_title_numbers_are_not_facts_but_counts_after_them_are() -> None:
    assert values("修订《某省实施〈中华人民共和国行政复议法〉办法》等3件，") == [(3, "件")]


# --- open-ended units ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("检查企业1433家次。", "家次"),
        ("入户走访2100户次。", "户次"),
        ("开展培训32场次。", "场次"),
        ("完成审计项目15大项。", "大项"),
        ("制作普法微视频46部。", "部"),
        ("提出意见建议232条。", "条"),
        ("组织执法考试4轮。", "轮"),
        ("抽样送检480批次。", "批次"),
        ("发放宣传资料1.2万份。", "万份"),
        ("查处违法建设面积3.6万平方米。", "万平方米"),
    ],
)
def test_units_are_open_ended(text: str, unit: str) -> None:
    assert only(text).unit == unit


# --- real text as it arrives ----------------------------------------------------------------------


def test_page_furniture_and_run_together_paragraphs() -> None:
    text = (
        "首页 > 政务公开 > 法治政府建设年度报告 信息提供日期 : 2024-01-30 09:12来源 : 区司法局 "
        "信息索引号 : /2024-1234567  一、主要成效  受理行政复议案件215件，办结率97.2%。"
        "  分享到: 【打印本页】 【关闭窗口】 浙ICP备12345678号-1 网站标识码:3301000001 "
        "浙公网安备 33010202000123号"
    )
    assert values(text) == [(215, "件"), (97.2, "%")]


def test_mixed_width_punctuation() -> None:
    assert values("受理案件１２０件,办结１１８件;办结率９８．３％.") == [(120, "件"), (118, "件"), (98.3, "%")]


def test_offsets_quote_and_empty_stage_fields() -> None:
    text = "二是强化执法监督。开展案卷评查3次，累计评查案卷428宗，"
    facts = extract_facts(text)
    assert [text[f.char_start : f.char_end] for f in facts] == ["3次", "428宗"]
    assert facts[1].quote == "累计评查案卷428宗"
    assert all(f.section_id == f.indicator_id == f.fact_id == "" for f in facts)


def test_reading_order_on_reference_text() -> None:
    text = (CORPUS / "futian-2024.txt").read_text(encoding="utf-8")
    starts = [f.char_start for f in extract_facts(text)]
    assert starts == sorted(starts)
    assert len(starts) > 50


def test_wrong_type_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="str"):
        extract_facts(b"\xe5\x8f\x97")  # type: ignore[arg-type]


# --- writings seen in other provinces -------------------------------------------------------------


def test_full_width_comma_groups_thousands() -> None:
    text = "全县办理不动产登记3，517件，涉及金额12，604.5万元，抽检食品2，306批次。"
    assert values(text) == [(3517, "件"), (12604.5, "万元"), (2306, "批次")]
    assert only("共接待来访群众1，024人次，").quote == "共接待来访群众1，024人次"


def test_full_width_comma_between_clauses_is_not_a_separator() -> None:
    assert values("整改问题8，36个已销号。") == [(36, "个")]  # 36 is no thousands group
    assert values("复议决定书为0，120件已履行。") == [(0, ""), (120, "件")]  # groups never start with 0


@pytest.mark.parametrize(
    ("text", "value", "qualifier"),
    [
        ("复议与应诉案件之比为2.07∶1，", 2.07, ""),  # U+2236 RATIO
        ("调解与诉讼比例达到３：１，", 3, ""),  # full-width digits and colon
        ("复诉比保持在1.2∶1以上。", 1.2, "以上"),
    ],
)
def test_ratios_with_any_colon(text: str, value: float, qualifier: str) -> None:
    fact = only(text)
    assert (fact.value, fact.unit, fact.kind, fact.qualifier_raw) == (value, ":1", "ratio", qualifier)


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("年内归档执法案卷1,208卷，", 1208, "卷"),
        ("清单事项分为7大类，", 7, "大类"),
        ("举办业务培训班两期，", 2, "期"),
        ("清理整治占道经营点位三十六处，", 36, "处"),
        ("编印《以案释法》读本十二期，", 12, "期"),
        ("热线接听来电1200余通，", 1200, "通"),
        ("发布典型案例8则，", 8, "则"),
    ],
)
def test_more_units_and_word_units_after_longer_chinese_numerals(text: str, value: float, unit: str) -> None:
    fact = only(text)
    assert (fact.value, fact.unit) == (value, unit)


def test_one_character_numerals_before_word_units_stay_words() -> None:
    assert values("推进二期工程建设十分重要，用时四周，三通一平。") == []


@pytest.mark.parametrize(
    "text", ["纪念现行宪法公布施行40周年，", "喜迎建区三十周年，", "十一期间加强巡查，", "两节期间开展检查，"]
)
def test_anniversaries_and_holidays_are_not_facts(text: str) -> None:
    assert values(text) == []


def test_weeks_still_count_after_two() -> None:
    assert values("两周内完成整改。") == [(2, "周")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("每个网格配备3到5名网格员。", [(3, "名"), (5, "名")]),
        ("承诺办结时限为10-15个工作日。", [(10, "个工作日"), (15, "个工作日")]),
        ("每月开展联合巡查一至两次。", [(1, "次"), (2, "次")]),
        ("检测周期缩短为7～10天。", [(7, "天"), (10, "天")]),
        ("编印普法手册1万至2万份。", [(1, "万份"), (2, "万份")]),
        ("开展巡回宣讲20～30场。", [(20, "场"), (30, "场")]),
    ],
)
def test_a_range_gives_two_facts_sharing_the_unit(text: str, expected: list[tuple[float, str]]) -> None:
    assert values(text) == expected


def test_both_ends_of_a_range_share_its_change_verb_and_qualifier() -> None:
    facts = extract_facts("调解成功率同比提高2至4个百分点，约30至40人。")
    assert [(f.kind, f.direction) for f in facts[:2]] == [("change", "up"), ("change", "up")]
    assert [f.qualifier_raw for f in facts[2:]] == ["约", "约"]


def test_the_first_number_of_a_range_spans_to_the_shared_unit() -> None:
    text = "每个网格配备3到5名网格员。"
    first, second = extract_facts(text)
    assert text[first.char_start : first.char_end] == "3到5名"
    assert text[second.char_start : second.char_end] == "5名"


@pytest.mark.parametrize(
    "text",
    ["力争用两到三年时间完成改造，", "6月至8月开展集中整治，", "《规划（2024—2026年）》印发后，", "连续获评第1至3名。",
     "日期2024-05-06，电话0871-6543210。"],
)  # fmt: skip
def test_plan_periods_date_windows_and_ordinal_ranges_are_not_facts(text: str) -> None:
    assert values(text) == []


@pytest.mark.parametrize(
    ("text", "value", "unit", "raw", "normalized"),
    [
        ("全年办理公证逾千件，", 1000, "件", "逾", 1000),
        ("宣传活动惠及群众超万人，", 1, "万人", "超", 10_000),
        ("帮扶近百家企业完成合规整改，", 100, "家", "近", 100),
        ("挽回经济损失约千万元，", 1000, "万元", "约", 10_000_000),
        ("排查安全隐患近千处，", 1000, "处", "近", 1000),
    ],
)
def test_a_bare_round_number_after_an_approximation_word(
    text: str, value: float, unit: str, raw: str, normalized: float
) -> None:
    fact = only(text)
    assert (fact.value, fact.unit, fact.qualifier_raw, fact.value_normalized) == (value, unit, raw, normalized)


def test_a_bare_round_number_before_yu_or_duo() -> None:
    facts = extract_facts("走访企业百余家，化解矛盾千余件，追回欠薪万余元。")
    expected = [(100, "家", "余"), (1000, "件", "余"), (1, "万元", "余")]
    assert [(f.value, f.unit, f.qualifier_raw) for f in facts] == expected
    assert facts[2].value_normalized == 10_000


def test_vague_quantities_are_not_facts() -> None:
    assert values("化解纠纷数千件，培训上千人，成千上万群众受益，走访两三家，约谈七八家企业，数百余人。") == []


def test_approximation_word_before_a_percent_word_keeps_the_percent() -> None:
    fact = only("群众知晓率近百分之八十。")
    assert (fact.value, fact.unit, fact.qualifier_raw) == (80, "%", "近")


def test_bare_one_counts_at_the_end_of_a_clause_or_before_bei() -> None:
    assert values("新增省级示范点一个。") == [(1, "个")]
    fact = only("涉企案件同比增长一倍，")
    assert (fact.value, fact.unit, fact.kind, fact.direction) == (1, "倍", "change", "up")


def test_bare_one_as_an_article_or_adverb_is_not_a_count() -> None:
    assert values("建成一个平台，执行同一个标准，与群众坐在一起，培养了一批。实现最多跑一次。") == []


def test_a_run_of_years_is_a_duration_but_calendar_years_and_plans_are_not() -> None:
    fact = only("已连续5年保持行政诉讼零败诉，")
    assert (fact.value, fact.unit, fact.kind) == (5, "年", "duration")
    assert values("连续两年获评先进，实施三年行动，近三年来成效明显，二〇二三年以来。") == [(2, "年")]


def test_within_a_duration_is_a_qualifier_but_not_inside_a_word() -> None:
    fact = only("群众诉求在3个工作日内办结，")
    assert (fact.qualifier_raw, fact.qualifier) == ("内", "at_most")
    assert only("整合12个内设机构职能，").qualifier_raw == ""


def test_words_ending_in_a_qualifier_character_are_not_qualifiers() -> None:
    assert [f.qualifier_raw for f in extract_facts("新签约项目14个，附近3个村，赶超5家，约300人。")] == [
        "", "", "", "约"
    ]
    assert values("签约千家企业，最近百家。") == []


def test_adverb_bound_before_the_verb_is_the_qualifier() -> None:
    fact = only("每个站点至少配备2名调解员，")
    assert (fact.qualifier_raw, fact.qualifier) == ("至少", "at_least")


@pytest.mark.parametrize(
    ("text", "kind", "direction"),
    [
        ("平均减少办事环节40%，", "change", "down"),
        ("缩短审批时间60%以上，", "change", "down"),
        ("提升办案效能25%，", "change", "up"),
        ("精简证明材料35%，", "change", "down"),
        ("窗口办件提速18.5%，", "change", "up"),
        ("办公经费同比节约9.5%，", "change", "down"),
        ("群众满意率提高至96%，", "rate", ""),
        ("提高群众满意率96%，", "rate", ""),  # the object is a rate: a level, not a change
    ],
)
def test_a_percent_after_a_change_verb_and_its_object(text: str, kind: str, direction: str) -> None:
    fact = only(text)
    assert (fact.kind, fact.direction) == (kind, direction)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("累计培训1.6万余人次，", [(1.6, "万人次")]),
        ("争取上级资金4.2亿元，", [(4.2, "亿元")]),
        ("调解成功率达百分之九十七点二，", [(97.2, "%")]),
        ("行政败诉率下降1.8个百分点，", [(1.8, "个百分点")]),
        ("六成以上纠纷化解在村组，", [(6, "成")]),
        ("首次申领压缩至0.5个工作日，", [(0.5, "个工作日")]),
        ("持证率由71.3%提高到92.4%，", [(71.3, "%"), (92.4, "%")]),
        ("分别出台4项、7项和11项制度，", [(4, "项"), (7, "项"), (11, "项")]),
        ("第2季度起，一季度以来，围绕“3·15”开展宣传，", []),
    ],
)
def test_assorted_report_writings(text: str, expected: list[tuple[float, str]]) -> None:
    assert values(text) == expected


# --- properties -----------------------------------------------------------------------------------

_FRAGMENTS = st.sampled_from(
    ["受理", "案件", "万", "亿", "余", "多", "约", "近", "以上", "%", "件", "个", "人次", "同比增长", "第", "届",
     "年", "月", "日", "，", "。", "、", "“", "”", "《", "》", "（", "）", ":", "1", "0", ".", ",", "两", "三十",
     "百分之", "九十五", " ", "\n", "为", "ICP备", "号", "-", "+", "N", "一", "十九届四中全会", "至", "∶",
     "周年", "连续", "卷", "近千", "逾万", "二百一十三", "期", "倍", "～", "—"]
)  # fmt: skip
_TEXT = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(_FRAGMENTS, st.text(max_size=3), st.integers(0, 10**20).map(str)), max_size=60).map(
        "".join
    ),
)


def check_invariants(text: str) -> None:
    """Facts are in order, their offsets slice to the number and unit, and the slice is in the quote."""
    facts = extract_facts(text)
    previous = -1
    for f in facts:
        assert 0 <= f.char_start < f.char_end <= len(text)
        assert f.char_start >= previous
        previous = f.char_start
        span = text[f.char_start : f.char_end]
        assert span in f.quote
        written = normalize_width(span).replace(" ", "")
        assert written.endswith(f.unit_base) or written.startswith(("百分之", "千分之"))
        multiplier = f.unit.removesuffix(f.unit_base)
        assert f.unit == multiplier + f.unit_base
        assert f.value_normalized == pytest.approx(f.value * MULTIPLIERS.get(multiplier, 1.0))
        assert f.kind in {"count", "rate", "amount", "change", "ratio", "duration"}
        assert f.direction in {"", "up", "down"}


@settings(max_examples=300)
@given(_TEXT)
def test_extract_never_crashes_and_offsets_hold(text: str) -> None:
    check_invariants(text)


@pytest.mark.parametrize("text", ["", "万", "亿", "余", "9" * 5000, "１" * 3000 + "件", "百分之", "为", "1.", ":1"])
def test_edge_inputs(text: str) -> None:
    check_invariants(text)


@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(["件", "宗", "人次", "项"]))
def test_arabic_value_round_trips_in_a_sentence(n: int, unit: str) -> None:
    fact = only(f"全年受理{n:,}{unit}，")
    assert fact.value == n and fact.unit == unit


@given(st.integers(min_value=3, max_value=99_999_999))
def test_chinese_value_round_trips_in_a_sentence(n: int) -> None:
    fact = only(f"全年办理{cn2an.an2cn(n)}件，")
    assert fact.value_normalized == n
    assert fact.unit_base == "件"


@given(st.integers(min_value=1000, max_value=10**9))
def test_full_width_thousands_round_trip(n: int) -> None:
    fact = only(f"全年受理{n:,}件，".replace(",", "，"))
    assert fact.value == n


@given(
    st.integers(min_value=0, max_value=999),
    st.integers(min_value=1, max_value=999),
    st.sampled_from(["至", "到", "-", "～", "~"]),
    st.sampled_from(["名", "个工作日", "万元", "%"]),
)
def test_range_round_trips(low: int, extra: int, join: str, unit: str) -> None:
    assert values(f"每年安排{low}{join}{low + extra}{unit}，") == [(low, unit), (low + extra, unit)]


@given(st.decimals(min_value=0, max_value=100, places=2), st.sampled_from(["%", "％"]))
def test_rate_value_round_trips(d, percent: str) -> None:
    fact = only(f"办结率{d}{percent}。")
    assert fact.value == pytest.approx(float(d))
    assert fact.kind == "rate"


@pytest.mark.parametrize(("text", "expected"), [
    ("应当自收到申请之日起7日内作出答复。", [(7.0, "日", "内", "duration")]),
    ("审批时限压缩至30日以内。", [(30.0, "日", "以内", "duration")]),
    ("条例自2024年5月1日起施行，4月20日内完成清理。", []),
])
def test_day_counts_only_as_a_time_limit(text, expected):
    assert [(f.value, f.unit, f.qualifier_raw, f.kind) for f in extract_facts(text)] == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("复议案件与诉讼案件之比为2.1比1。", [(2.1, ":1", "ratio")]),
    ("政务服务热线实行5×8小时人工值守，接听来电8,600通。", [(8600.0, "通", "count")]),
    ("以3比2的票数通过表决。", []),
])
def test_ratio_in_words_and_names_joined_by_times(text, expected):
    assert [(f.value, f.unit, f.kind) for f in extract_facts(text)] == expected
