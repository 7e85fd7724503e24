"""Section splitting on the three captured reports and on made-up texts in other numbering styles."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.parse.sections import chinese_number, section_for, split_sections

FIXTURES = Path(__file__).parent / "fixtures" / "corpus"


def read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def by_id(text: str) -> dict:
    return {s.section_id: s for s in split_sections(text)}


def assert_consistent(text: str) -> None:
    """Every section's text is its slice of the report, and children lie inside their parent."""
    sections = by_id(text)
    for sid, s in sections.items():
        assert text[s.char_start:s.char_end] == s.text
        assert s.text.startswith(s.heading)
        if "." in sid:
            parent = sections[sid.rsplit(".", 1)[0]]
            assert parent.char_start <= s.char_start and s.char_end <= parent.char_end


def test_futian_top_level_and_subsections():
    text = read("futian-2024.txt")
    sections = by_id(text)
    top = [s.heading for s in sections.values() if s.level == 1]
    assert top == ["一、主要工作成效", "二、存在问题", "三、下一步工作计划"]
    subs = [sid for sid in sections if sid.count(".") == 1 and sid.startswith("1.")]
    assert subs == [f"1.{n}" for n in range(1, 10)]
    assert sections["1.1"].heading.startswith("(一)深入学习贯彻习近平法治思想")
    assert sections["1.9"].heading.startswith("(九)健全法治政府建设科技保障体系")
    assert [sid for sid in sections if sid.startswith("3.")] == ["3.1", "3.2", "3.3", "3.4"]
    assert_consistent(text)


def test_futian_run_in_heading_stops_at_first_full_stop():
    s = by_id(read("futian-2024.txt"))["3.1"]
    assert s.heading == "(一)持续加强党对法治政府建设的领导"
    assert "依法治区办协调督促作用" in s.text  # the text goes on past the heading


def test_futian_preamble_is_section_zero_and_ends_before_first_heading():
    text = read("futian-2024.txt")
    sections = split_sections(text)
    assert (sections[0].section_id, sections[0].level, sections[0].heading) == ("0", 0, "")
    assert sections[0].char_end <= sections[1].char_start
    assert "法治政府建设各项工作取得新成效" in sections[0].text


def test_futian_run_in_ershi_sanshi_are_siblings_of_the_paragraph_yishi():
    text = read("futian-2024.txt")
    sections = by_id(text)
    assert sections["1.1.1"].heading == "一是深入学习宣传贯彻习近平法治思想"
    assert sections["1.1.2"].heading == "二是深入学习贯彻党的二十届三中全会精神"
    assert sections["1.1.3"].heading.startswith("三是抓实党政主要负责人履行推进法治建设第一责任人职责")
    assert "二是" not in sections["1.1.1"].text  # 一是 ends where 二是 starts
    assert sections["1.1.1"].char_end <= sections["1.1.2"].char_start
    assert [sid for sid in sections if sid.startswith("1.7.")] == ["1.7.1", "1.7.2", "1.7.3"]
    assert [sections[f"2.{n}"].heading[:2] for n in range(1, 5)] == ["一是", "二是", "三是", "四是"]
    assert section_for(split_sections(text), text.index("调解成功率达96.1%")) == "1.7.1"
    assert_consistent(text)


def test_run_in_shi_after_semicolons_heading_up_to_first_full_stop():
    text = "一、做法\n一是加强领导；二是完善制度，健全机制。三是严格执法。\n二、问题\n"
    sections = by_id(text)
    assert list(sections) == ["1", "1.1", "1.2", "1.3", "2"]
    assert sections["1.1"].heading == "一是加强领导"
    assert sections["1.2"].heading == "二是完善制度，健全机制"
    assert sections["1.3"].text == "三是严格执法。"
    assert_consistent(text)


def test_run_in_shi_only_in_sequence():
    text = "（一）执法\n一是规范执法。内容。三是跳号。二是接续。内容一是不算。三是再续。\n（二）监督\n"
    sections = by_id(text)
    assert list(sections) == ["1", "1.1", "1.2", "1.3", "2"]
    assert [sections[k].heading for k in ("1.1", "1.2", "1.3")] == ["一是规范执法", "二是接续", "三是再续"]
    assert "三是跳号" in sections["1.1"].text


def test_yishi_inside_a_sentence_starts_nothing():
    text = "（一）执法\n全年重点做了三件事：一是规范执法。二是严格监督。三是公开透明。\n（二）监督\n"
    sections = by_id(text)
    assert list(sections) == ["1", "2"]
    assert "二是严格监督" in sections["1"].text


def test_run_in_shi_continues_a_paragraph_started_by_a_later_marker():
    text = "（一）执法\n一是规范执法。内容。\n二是严格监督。三是公开透明。\n（二）监督\n内容二是不算。三是也不算。\n"
    sections = by_id(text)
    assert list(sections) == ["1", "1.1", "1.2", "1.3", "2"]
    assert sections["1.3"].text == "三是公开透明。"
    assert "三是也不算" in sections["2"].text


def test_guangming_heading_starting_with_a_year():
    text = read("guangming-2021.txt")
    sections = by_id(text)
    assert sections["1"].heading == "一、2021年主要工作情况"
    assert [sid for sid in sections if sid.count(".") == 1 and sid.startswith("1.")] == [
        f"1.{n}" for n in range(1, 8)]
    assert sections["2"].heading == "二、存在问题"
    assert sections["3.4"].heading.startswith("（四）坚持强化法治建设工作保障")
    assert sections["0"].text == "现将有关情况报告如下："
    assert_consistent(text)


def test_longhua_eight_parts():
    text = read("longhua-2019.txt")
    sections = by_id(text)
    assert [s.heading[:2] for s in sections.values() if s.level == 1] == [
        "一、", "二、", "三、", "四、", "五、", "六、", "七、", "八、"]
    assert sections["8"].heading == "八、2020年法治政府建设工作计划"
    assert "7.4" not in sections and "8.4" in sections
    assert_consistent(text)


def test_numbers_inside_sentences_are_not_headings():
    text = ("一、工作成效\n（一）执法。2024年，全年一、二季度办理1.5万件，比例1.04:1，主要包括：1.复议；2.诉讼。\n"
            "一、二季度共受理案件120件。\n1.04:1的比例保持稳定。\n2024年完成目标。\n二、存在问题\n问题不少。")
    sections = by_id(text)
    assert list(sections) == ["1", "1.1", "2"]
    assert sections["1.1"].char_end == text.index("\n二、")
    assert_consistent(text)


def test_paragraphs_run_together_with_spaces():
    text = "前言。 一、主要工作 （一）学习。内容一是甲。二是乙。 （二）执法。内容。  二、问题 1.人员不足。 2.经费少。"
    sections = by_id(text)
    assert list(sections) == ["0", "1", "1.1", "1.2", "2", "2.1", "2.2"]
    assert sections["1"].heading == "一、主要工作"
    assert sections["1.1"].heading == "（一）学习"
    assert sections["2.2"].text == "2.经费少。"
    assert_consistent(text)


def test_arabic_and_parenthesised_levels_nest():
    text = ("一、主要做法\n（一）制度建设\n1.完善规则。内容。\n（1）起草。内容。\n（2）审查。内容。\n"
            "2、清理文件。内容。\n（二）执法\n二、下一步\n")
    sections = by_id(text)
    assert list(sections) == ["1", "1.1", "1.1.1", "1.1.1.1", "1.1.1.2", "1.1.2", "1.2", "2"]
    assert [sections[k].level for k in sections] == [1, 2, 3, 4, 4, 3, 2, 1]
    assert sections["1.1.2"].heading == "2、清理文件"
    assert_consistent(text)


def test_report_without_chinese_top_level_starts_at_parentheses():
    text = "现报告如下：\n（一）加强领导。内容。\n（二）完善制度。内容。\n（三）规范执法。内容。"
    sections = by_id(text)
    assert list(sections) == ["0", "1", "2", "3"]
    assert sections["2"].heading == "（二）完善制度"


def test_out_of_sequence_marker_is_not_a_heading():
    text = "一、成效\n内容。\n三、计划\n内容。\n七、保障\n（二）不是子标题\n"
    sections = by_id(text)
    assert list(sections) == ["1", "3"]  # 三 skips one number on its own line (tolerated), 七 skips three
    assert sections["3"].heading == "三、计划"
    assert "七、保障\n（二）不是子标题" in sections["3"].text


def test_skipped_number_is_tolerated_only_on_its_own_line():
    text = "一、成效\n内容。 三、计划\n内容。"
    assert list(by_id(text)) == ["1"]


def test_section_for_returns_deepest_section():
    text = read("futian-2024.txt")
    sections = split_sections(text)
    assert section_for(sections, text.index("全年召开依法治区工作会议2次")) == "1.1.1"
    assert section_for(sections, text.index("(二)健全政府机构职能体系")) == "1.2"
    assert section_for(sections, text.index("法治政府建设各项工作取得新成效")) == "0"
    assert section_for(sections, len(text) + 10) == ""


def test_texts_without_headings():
    assert split_sections("") == []
    assert split_sections("  \n ") == []
    only = split_sections("全年办理案件12件。")
    assert [(s.section_id, s.text) for s in only] == [("0", "全年办理案件12件。")]


def test_non_text_input_is_a_clear_error():
    with pytest.raises(TypeError, match="str"):
        split_sections(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(("written", "value"), [("一", 1), ("十", 10), ("十二", 12), ("二十", 20),
                                                ("二十三", 23), ("7", 7), ("③", 3)])
def test_chinese_number(written, value):
    assert chinese_number(written) == value


@given(st.text(alphabet="一二三十是、（）()1２.。，\n 　年季度甲乙", max_size=200))
def test_any_text_gives_consistent_sections(text):
    sections = split_sections(text)
    ids = [s.section_id for s in sections]
    assert len(ids) == len(set(ids))
    for s in sections:
        assert text[s.char_start:s.char_end] == s.text and s.text.strip()
