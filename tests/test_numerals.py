"""The number parser: Arabic, full-width, separators, decimals, Chinese numerals, 百分之, multipliers."""

import math

import cn2an
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.extract.numerals import (
    normalize_width,
    parse_arabic,
    parse_chinese,
    parse_number,
    split_multiplier,
    strip_approximation,
)


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("960", 960),
        ("42.5", 42.5),
        ("1,234", 1234),
        ("3,456.7", 3456.7),
        ("１２３４", 1234),
        ("９５．３８", 95.38),
        ("一千二百", 1200),
        ("两", 2),
        ("三十", 30),
        ("十", 10),
        ("一万二千", 12000),
        ("三点五", 3.5),
        ("两千零五", 2005),
        ("〇", 0),
    ],
)
def test_parse_number_reads_plain_numerals(written: str, value: float) -> None:
    assert parse_number(written) == pytest.approx(value)


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("53.7万", 537_000),
        ("79.9亿", 7_990_000_000),
        ("一千二百万", 12_000_000),
        ("两万", 20_000),
        ("266余万", 2_660_000),
        ("3千", 3000),
    ],
)
def test_parse_number_applies_multipliers(written: str, value: float) -> None:
    assert parse_number(written) == pytest.approx(value)


@pytest.mark.parametrize(("written", "value"), [("三十余", 30), ("500多", 500), ("1600余", 1600)])
def test_parse_number_drops_approximation_marks(written: str, value: float) -> None:
    assert parse_number(written) == value


@pytest.mark.parametrize(("written", "value"), [("百分之九十五", 95), ("百分之百", 100), ("百分之12.5", 12.5)])
def test_percent_words_give_the_percentage(written: str, value: float) -> None:
    assert parse_number(written) == value


def test_full_width_comma_groups_thousands() -> None:
    assert parse_arabic("2，048") == 2048
    assert parse_number("12，345，678.5") == 12_345_678.5
    assert parse_number("３，５１７万") == 35_170_000


@pytest.mark.parametrize("bad", ["1，23", "1，2345", "0，120", "1,234，567"])
def test_full_width_comma_needs_whole_groups(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_arabic(bad)


@pytest.mark.parametrize("bad", ["", "万", "余", "abc", "1,2,3", "百分之", "9" * 40, "12a"])
def test_parse_number_rejects_non_numerals_with_value_error(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_number(bad)


def test_parse_number_names_the_bad_input() -> None:
    with pytest.raises(ValueError, match="abc"):
        parse_number("abc")


def test_split_multiplier_keeps_thousands_inside_chinese_numerals() -> None:
    assert split_multiplier("一万二千") == ("一万二千", 1.0)
    assert split_multiplier("53.7万") == ("53.7", 10_000)
    assert split_multiplier("3千") == ("3", 1000)


def test_strip_approximation() -> None:
    assert strip_approximation("三十余") == ("三十", "余")
    assert strip_approximation("余") == ("余", "")


def test_normalize_width_keeps_length_and_maps_digits() -> None:
    text = "受理１２３４件，占比９５．３８％"
    out = normalize_width(text)
    assert len(out) == len(text)
    assert "1234" in out and "95.38%" in out


def test_normalize_width_maps_ratio_colons_and_wave_dashes() -> None:
    text = "之比为1.6∶1，比例３：１，时限10〜15天"
    out = normalize_width(text)
    assert len(out) == len(text)
    assert "1.6:1" in out and "3:1" in out and "10~15" in out


@given(st.integers(min_value=0, max_value=10**12))
def test_arabic_round_trip_with_separators(n: int) -> None:
    assert parse_arabic(f"{n:,}") == n
    assert parse_number(str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))) == n


@given(st.integers(min_value=0, max_value=10**12))
def test_arabic_round_trip_with_full_width_separators(n: int) -> None:
    assert parse_arabic(f"{n:,}".replace(",", "，")) == n


@given(st.integers(min_value=0, max_value=10**8))
def test_chinese_round_trip(n: int) -> None:
    assert parse_chinese(cn2an.an2cn(n)) == n
    assert parse_number(cn2an.an2cn(n)) == n


@given(st.text(max_size=60))
def test_parse_number_only_ever_raises_value_error(text: str) -> None:
    try:
        value = parse_number(text)
    except ValueError:
        return
    assert math.isfinite(value)


@given(st.text(alphabet="零〇一二两三四五六七八九十百千万亿点余多分之1234567890.,", max_size=30))
def test_parse_number_on_numeral_soup_never_crashes(text: str) -> None:
    try:
        value = parse_number(text)
    except ValueError:
        return
    assert math.isfinite(value)
