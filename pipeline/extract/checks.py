"""Consistency checks across the facts of one report: rates against their counts, parts above wholes, title year.

They run after assign_indicators and use the indicator ids to find related facts. A rate or part is compared
with the related fact of the same paragraph, the nearest one; with no related fact in the paragraph, with the
report's only fact of that indicator. Reports state one topic several times (province-wide, then the
government's own cases), so a pairing that is not certain is not made: no check is better than a false one.

Rounding tolerance: a stated rate agrees with part/whole x 100 when they differ by less than one unit of the
rate's last written digit (96.1% -> 0.1, 96% -> 1), which covers both rounding and truncation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.model import Check, Fact, Report

CHINESE_DIGITS = {"〇": "0", "零": "0", "○": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5",
                  "六": "6", "七": "7", "八": "8", "九": "9"}
TITLE_YEAR = re.compile(r"((?:19|20)\d{2}|[〇零○一二三四五六七八九]{4})\s*年")


@dataclass(frozen=True)
class RateRule:
    """rate = part / whole x 100, for any one of the wholes (reports differ in the denominator they use)."""

    rate: str
    part: str
    wholes: tuple[str, ...]
    skip_words: tuple[str, ...] = ()  # wording that means another denominator or numerator than ours


@dataclass(frozen=True)
class PartRule:
    """part <= whole for every whole stated."""

    part: str
    wholes: tuple[str, ...]


RATE_RULES = (
    RateRule("admin_mediation_success_rate", "admin_mediation_successful", ("admin_mediation_cases",)),
    RateRule("admin_litigation_loss_rate", "admin_litigation_lost",
             ("admin_litigation_effective_judgments", "admin_litigation_concluded",
              "admin_litigation_first_instance_cases", "admin_litigation_cases")),
    # 综合纠错率 also counts cases corrected through mediation, which the corrected count leaves out
    RateRule("admin_reconsideration_correction_rate", "admin_reconsideration_corrected",
             ("admin_reconsideration_concluded", "admin_reconsideration_accepted", "admin_reconsideration_received"),
             skip_words=("综合",)),
    RateRule("admin_reconsideration_direct_correction_rate", "admin_reconsideration_corrected",
             ("admin_reconsideration_concluded", "admin_reconsideration_accepted", "admin_reconsideration_received")),
)

PART_RULES = (
    PartRule("admin_mediation_successful", ("admin_mediation_cases",)),
    PartRule("admin_reconsideration_corrected", ("admin_reconsideration_concluded",)),
    PartRule("admin_reconsideration_mediated", ("admin_reconsideration_concluded",)),
    PartRule("admin_litigation_lost", ("admin_litigation_concluded", "admin_litigation_cases")),
    PartRule("admin_litigation_first_instance_cases", ("admin_litigation_cases",)),
    PartRule("normative_documents_abolished", ("normative_documents_cleaned_up",)),
    PartRule("normative_documents_revised", ("normative_documents_cleaned_up",)),
)


def consistency_checks(report: Report, facts: list[Fact], text: str) -> list[Check]:
    """Every disagreement found among the report's facts (and between its title and year)."""
    stated = [f for f in facts if f.indicator_id and not f.is_target]
    checks = title_year_checks(report)
    for rule in RATE_RULES:
        checks += rate_checks(rule, stated, text)
    for rule in PART_RULES:
        checks += part_checks(rule, stated, text)
    return checks


# ---------------------------------------------------------------- title year

def title_year_checks(report: Report) -> list[Check]:
    """A title that names years, none of them the year reported on (titles without a year are fine)."""
    years = years_in_title(report.title)
    if report.year is None or not years or report.year in years:
        return []
    named = "、".join(str(y) for y in sorted(years))
    return [Check("title_year_mismatch", "warning",
                  f"title names {named} but the report is recorded for {report.year}: {report.title}")]


def years_in_title(title: str) -> set[int]:
    """The years written in a title, in Arabic or Chinese digits (二〇二三年)."""
    years = set()
    for match in TITLE_YEAR.finditer(title):
        digits = "".join(CHINESE_DIGITS.get(ch, ch) for ch in match.group(1))
        if digits.isdigit() and 1990 <= int(digits) <= 2100:
            years.add(int(digits))
    return years


# ---------------------------------------------------------------- rates and parts

def rate_checks(rule: RateRule, facts: list[Fact], text: str) -> list[Check]:
    """Rates that agree with none of the counts they can be computed from."""
    checks = []
    for rate in (f for f in facts if f.indicator_id == rule.rate):
        if any(w in _phrase(rate, text) for w in rule.skip_words):
            continue
        part = related_fact(rate, rule.part, facts, text)
        wholes = [w for whole_id in rule.wholes if (w := related_fact(rate, whole_id, facts, text))]
        wholes = [w for w in wholes if w.value_normalized > 0]
        if part is None or not wholes:
            continue
        computed = [part.value_normalized / w.value_normalized * 100 for w in wholes]
        tolerance = rate_tolerance(rate, text)
        if all(abs(c - rate.value_normalized) >= tolerance for c in computed):
            shown = "; ".join(f"{part.value_normalized:g}/{w.value_normalized:g} = {c:.2f}%"
                              for w, c in zip(wholes, computed, strict=True))
            checks.append(Check("rate_disagrees_with_counts", "warning",
                                f"{rule.rate} stated {rate.value_normalized:g}% but {shown} "
                                f"(tolerance {tolerance:g})", rate.fact_id))
    return checks


def part_checks(rule: PartRule, facts: list[Fact], text: str) -> list[Check]:
    """Counts of a part (successes, losses) above the whole they belong to."""
    checks = []
    for part in (f for f in facts if f.indicator_id == rule.part):
        for whole_id in rule.wholes:
            whole = related_fact(part, whole_id, facts, text)
            if whole is not None and part.value_normalized > whole.value_normalized:
                checks.append(Check("part_exceeds_whole", "warning",
                                    f"{rule.part} = {part.value_normalized:g} is above "
                                    f"{whole_id} = {whole.value_normalized:g}", part.fact_id))
    return checks


def related_fact(anchor: Fact, indicator_id: str, facts: list[Fact], text: str) -> Fact | None:
    """The fact of indicator_id that goes with anchor: the nearest in the same paragraph; failing that, the
    report's only one, provided the anchor's indicator is also stated only once."""
    same = [f for f in facts if f.indicator_id == indicator_id and f is not anchor]
    paragraph = paragraph_span(anchor, text)
    if paragraph is not None:
        near = [f for f in same if f.char_start is not None and paragraph[0] <= f.char_start < paragraph[1]]
        if near:
            return min(near, key=lambda f: abs(f.char_start - anchor.char_start))
    anchors = sum(f.indicator_id == anchor.indicator_id for f in facts)
    return same[0] if len(same) == 1 and anchors == 1 else None


def paragraph_span(fact: Fact, text: str) -> tuple[int, int] | None:
    """[start, end) of the paragraph ("\\n"-separated) holding the fact, or None when offsets miss the text
    (or the fact, read from a table, has none)."""
    if fact.char_start is None or not 0 <= fact.char_start < len(text):
        return None
    start = text.rfind("\n", 0, fact.char_start) + 1
    end = text.find("\n", fact.char_start)
    return start, len(text) if end < 0 else end


def rate_tolerance(rate: Fact, text: str) -> float:
    """One unit of the rate's last written digit: 96.1 -> 0.1, 96 -> 1, 3.49 -> 0.01."""
    written = _number_as_written(rate, text)
    decimals = len(written.split(".")[1]) if "." in written else 0
    return 10.0 ** -decimals


def _number_as_written(fact: Fact, text: str) -> str:
    """The digits of the fact as written (96.10 keeps its zero); the value's shortest form when not found."""
    if fact.char_start is not None and fact.char_end is not None and 0 <= fact.char_start < fact.char_end <= len(text):
        written = re.match(r"\d+(?:\.\d+)?", text[fact.char_start:fact.char_end])
        if written:
            return written.group()
    for written in re.findall(r"\d+(?:\.\d+)?", fact.quote):
        if float(written) == fact.value:
            return written
    return f"{fact.value:g}"


def _phrase(fact: Fact, text: str) -> str:
    """The quote, or the few characters before the number when the quote is empty."""
    if fact.quote or fact.char_start is None:
        return fact.quote
    return text[max(0, fact.char_start - 15):max(0, fact.char_start)]
