"""extract_facts on made-up sentences in the style of reports from other provinces, plus fuzzing."""

from pathlib import Path

import cn2an
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.extract import extract_facts
from pipeline.model import Fact
from pipeline.numerals import MULTIPLIERS, normalize_width

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


# --- properties -----------------------------------------------------------------------------------

_FRAGMENTS = st.sampled_from(
    ["受理", "案件", "万", "亿", "余", "多", "约", "近", "以上", "%", "件", "个", "人次", "同比增长", "第", "届",
     "年", "月", "日", "，", "。", "、", "“", "”", "《", "》", "（", "）", ":", "1", "0", ".", ",", "两", "三十",
     "百分之", "九十五", " ", "\n", "为", "ICP备", "号", "-", "+", "N", "一", "十九届四中全会"]
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


@given(st.decimals(min_value=0, max_value=100, places=2), st.sampled_from(["%", "％"]))
def test_rate_value_round_trips(d, percent: str) -> None:
    fact = only(f"办结率{d}{percent}。")
    assert fact.value == pytest.approx(float(d))
    assert fact.kind == "rate"
