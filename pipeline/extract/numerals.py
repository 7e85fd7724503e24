"""Numbers as Chinese reports write them: Arabic, full-width, Chinese numerals, 百分之, 万/亿 multipliers.

Chinese numerals are read by cn2an; this module only decides which part of a string is the numeral,
which part is a multiplier kept in the unit (万, 亿) and which part is an approximation mark (余, 多).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

import cn2an

# Full-width forms that reports mix with ASCII. Every mapping is one character to one character, so
# offsets into the translated text are offsets into the original.
_WIDTH_PAIRS = {
    **{0xFF10 + i: str(i) for i in range(10)},
    **{0xFF21 + i: chr(0x41 + i) for i in range(26)},
    **{0xFF41 + i: chr(0x61 + i) for i in range(26)},
    ord("．"): ".",
    ord("％"): "%",
    ord("："): ":",
    ord("＋"): "+",
    ord("－"): "-",
    ord("／"): "/",
    ord("～"): "~",
    ord("〜"): "~",  # wave dash, written for ranges (10〜15个工作日)
    ord("∶"): ":",  # ratio colon U+2236 (1.52∶1)
    ord("\u00a0"): " ",
}
WIDTH_TABLE = str.maketrans(_WIDTH_PAIRS)
_WIDE_RE = re.compile("[" + re.escape("".join(map(chr, _WIDTH_PAIRS))) + "]+")

MULTIPLIERS: dict[str, float] = {
    "万亿": 1e12,
    "千万": 1e7,
    "百万": 1e6,
    "亿": 1e8,
    "万": 1e4,
    "千": 1e3,
}
_MARKS_LONGEST_FIRST = sorted(MULTIPLIERS, key=len, reverse=True)
_CHINESE_MULTIPLIERS = ("万亿", "亿", "万")
APPROXIMATE_MARKS = ("余", "多")
CHINESE_DIGITS = "零〇一二两三四五六七八九十百千万亿"
MAX_INTEGER_DIGITS = 15  # longer digit runs are identifiers (phone, ID, index numbers), not quantities

# Thousands are grouped with an ASCII comma or, in text typed with a Chinese input method, a full-width one.
_ARABIC_RE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|[1-9]\d{0,2}(?:，\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
THOUSANDS_SEPARATORS = str.maketrans("", "", ",，")
_CHINESE_RE = re.compile(rf"[{CHINESE_DIGITS}]+(?:点[零〇一二两三四五六七八九]+)?")
_PERCENT_WORD = "百分之"
_PERMILLE_WORD = "千分之"


def normalize_width(text: str) -> str:
    """Return `text` with full-width digits, letters and number punctuation made ASCII, same length."""
    # translating only the runs that need it is several times faster than translating a whole report
    return _WIDE_RE.sub(lambda m: m.group().translate(WIDTH_TABLE), text)


def parse_arabic(text: str) -> float:
    """Return the value of an Arabic numeral such as 1,234.5 or 1，234 (full-width digits allowed)."""
    s = normalize_width(text).strip()
    if not _ARABIC_RE.fullmatch(s):
        raise ValueError(f"not an Arabic numeral: {text!r}")
    digits = s.translate(THOUSANDS_SEPARATORS)
    if len(digits.split(".")[0]) > MAX_INTEGER_DIGITS:
        raise ValueError(f"too many digits to be a quantity: {text[:40]!r}")
    return float(digits)


@lru_cache(maxsize=4096)
def parse_chinese(text: str) -> float:
    """Return the value of a Chinese numeral such as 一千二百, 两, 三点五 (read by cn2an)."""
    s = text.strip()
    if not s or not _CHINESE_RE.fullmatch(s):
        raise ValueError(f"not a Chinese numeral: {text!r}")
    if s[0] in "百千万亿":  # 百分之百, 千余: cn2an wants the leading 一
        s = "一" + s
    try:
        value = float(cn2an.cn2an(s, "normal"))
    except Exception as exc:  # cn2an signals bad input with assorted exception types
        raise ValueError(f"not a Chinese numeral: {text!r}") from exc
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {text!r}")
    return value


def split_multiplier(text: str) -> tuple[str, float]:
    """Split a trailing multiplier off a numeral: 53.7万 -> ("53.7", 10000), 一千二百万 -> ("一千二百", 10000).

    After Chinese digits only 万/亿 are multipliers: in 一万二千 the 千 is part of the numeral.
    """
    for mark in _MARKS_LONGEST_FIRST:
        if len(text) > len(mark) and text.endswith(mark):
            body = text[: -len(mark)]
            if mark in _CHINESE_MULTIPLIERS or body[-1].isdigit():
                return body, MULTIPLIERS[mark]
    return text, 1.0


def strip_approximation(text: str) -> tuple[str, str]:
    """Split a trailing 余/多 off a numeral: 三十余 -> ("三十", "余")."""
    for mark in APPROXIMATE_MARKS:
        if len(text) > 1 and text.endswith(mark):
            return text[:-1], mark
    return text, ""


def parse_plain(text: str) -> float:
    """Return the value of a numeral with no multiplier or mark, Arabic or Chinese."""
    s = normalize_width(text).strip()
    if _ARABIC_RE.fullmatch(s):
        return parse_arabic(s)
    return parse_chinese(s)


def parse_number(text: str) -> float:
    """Return the quantity a numeral states, multiplier applied.

    53.7万 -> 537000, 三十余 -> 30 (the 余 is a qualifier, not part of the value), 两 -> 2,
    百分之九十五 -> 95 (percentages stay in percent, as the facts table stores rates).
    Raises ValueError with the offending text for anything else.
    """
    if not isinstance(text, str):
        raise ValueError(f"expected a string, got {type(text).__name__}")
    s = normalize_width(text).strip()
    for word in (_PERCENT_WORD, _PERMILLE_WORD):
        if s.startswith(word) and len(s) > len(word):
            return parse_plain(s[len(word) :])
    s, _ = strip_approximation(s)
    body, factor = split_multiplier(s)
    body, _ = strip_approximation(body)  # 53.7余万: the mark may sit before the multiplier too
    if body in ("", "万", "亿"):
        raise ValueError(f"no digits in numeral: {text!r}")
    value = parse_plain(body) * factor
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {text!r}")
    return value
