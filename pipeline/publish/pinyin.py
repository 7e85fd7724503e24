"""Place names in Hanyu Pinyin (pypinyin), for readers and spreadsheets that do not take Chinese.

Names of divisions follow the rule for Chinese place names (GB/T 16159): the specific part in one word, the
generic part (省, 市, 区, 县, 自治州 ...) as a second word, an apostrophe before a syllable starting with a, o or
e inside a word: 福田区 -> Futian Qu, 西安市 -> Xi'an Shi. Other names (departments, streets) have no such rule
and get their syllables in lower case, one per character: a transliteration, not a name.
"""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin

GENERIC_PARTS = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "林区", "特区", "新区", "省", "市",
                 "区", "县", "旗", "盟")  # longest first: 自治区 before 区
NON_NAME_ENDINGS = ("局", "厅", "委", "委员会", "办", "办公室", "院", "署", "处", "所", "中心", "街道", "镇", "乡")
PLACE_READINGS = {"长": "chang"}  # polyphones whose reading in place names pypinyin's phrases miss (长宁, 长治)


def syllables(text: str, place: bool = False) -> list[str]:
    """Toneless pinyin syllables of `text` (with ü), characters without pinyin kept as they are; with `place`,
    polyphones read as in place names."""
    parts = lazy_pinyin(text, style=Style.NORMAL, v_to_u=True)
    if place and len(parts) == len(text):
        parts = [PLACE_READINGS.get(char, part) for char, part in zip(text, parts, strict=True)]
    return parts


def pinyin_word(text: str) -> str:
    """`text` as one capitalised pinyin word, with apostrophes where a syllable would run into the one before."""
    parts = syllables(text, place=True)
    word = parts[0] + "".join(("'" + s if s[:1] in ("a", "o", "e") else s) for s in parts[1:]) if parts else ""
    return word[:1].upper() + word[1:]


def _split_generic(name: str) -> tuple[str, str]:
    """(specific, generic) parts of a division name; generic "" when the name has none."""
    for part in GENERIC_PARTS:
        if name.endswith(part) and len(name) > len(part):
            return name[: -len(part)], part
    return name, ""


@lru_cache(maxsize=65536)
def romanize(name: str | None) -> str:
    """The pinyin of a jurisdiction's name: a place name as GB/T 16159 writes it, anything else transliterated;
    "" for a missing name."""
    if not name:
        return ""
    if name.endswith(NON_NAME_ENDINGS):
        return " ".join(syllables(name))
    specific, generic = _split_generic(name)
    return " ".join(filter(None, (pinyin_word(specific), pinyin_word(generic))))
