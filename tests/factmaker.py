"""Hand-built facts for the indicator and check tests: find the written number in a text, fill a Fact."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from pipeline.model import Fact

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
GOLD = Path(__file__).parent / "gold"
CHINESE_NUMBER = r"[零〇一二两三四五六七八九十百千]+"
MULTIPLIERS = {"万": 10_000, "亿": 100_000_000}


def fact_at(text: str, start: int, written: str, kind: str = "", is_target: bool = False, fact_id: str = "") -> Fact:
    """A fact for `written` ("1520件", "53.7万件", "180余宗", "12.3%") found at text[start:]."""
    number, approx, unit = re.fullmatch(r"(\d+(?:\.\d+)?)([余多]?)(.*)", written).groups()
    unit = unit.replace("余", "")
    value = float(number)
    multiplier = MULTIPLIERS.get(unit[:1], 1) if len(unit) > 1 else 1
    unit_base = unit[1:] if multiplier != 1 else unit
    if not kind:
        kind = "rate" if unit == "%" else "amount" if unit_base == "元" else "count"
    return Fact(quote=text[max(0, start - 12):start + len(written)], subject="", value=value, unit=unit,
                value_normalized=value * multiplier, unit_base=unit_base, qualifier="more_than" if approx else "",
                qualifier_raw=approx,
                kind=kind, direction="", is_target=is_target, char_start=start, char_end=start + len(written),
                fact_id=fact_id)


def facts_in(text: str, *written: str | tuple[str, str]) -> list[Fact]:
    """Facts for the written numbers, in reading order; ("12%", "change") gives the kind explicitly."""
    facts, pos = [], 0
    for n, item in enumerate(written, start=1):
        word, kind = item if isinstance(item, tuple) else (item, "")
        at = text.index(word, pos)
        facts.append(fact_at(text, at, word, kind, fact_id=f"r000000000000-{n:04d}"))
        pos = at + len(word)
    return facts


def gold_facts(name: str) -> tuple[str, list[Fact], list[str]]:
    """The report text, its gold facts (located in the text) and their gold indicator ids."""
    text = (CORPUS / f"{name}.txt").read_text(encoding="utf-8")
    with (GOLD / f"{name}.facts.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    facts, pos = [], 0
    for n, row in enumerate(rows, start=1):
        at = text.index(row["quote"], pos)
        pos = at + 1
        value = row["value"].removesuffix(".0")
        number = re.search(re.escape(value), row["quote"]) or re.search(CHINESE_NUMBER, row["quote"])
        start = at + number.start()
        unit = re.compile("[余多]?" + "[余多]?".join(map(re.escape, row["unit"]))).match(text, number.end() + at)
        fact = fact_at(text, start, value + row["unit"], row["kind"], fact_id=f"g-{n:04d}")
        fact.quote, fact.char_end = row["quote"], unit.end() if unit and row["unit"] else at + number.end()
        facts.append(fact)
    return text, facts, [row["indicator"] for row in rows]
