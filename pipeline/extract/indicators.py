"""Canonical indicators: the taxonomy in schemas/indicators.toml, fact -> indicator mapping, indicator rows.

The mapping errs on the side of silence: a wrong indicator is worse than none. A fact gets an indicator when
1. it is an achieved count, rate or amount (no target, no change) in one of the indicator's units;
2. one of the indicator's phrasings occurs in the clause before the number (from the last ，；：。 on; a
   、-list shares its head, so "印发区政府规范性文件7件、部门规范性文件16件" gives both numbers the verb 印发);
   "N件X" (number before the noun) is read as "X N件" when X names a topic and ends the clause; a clause that
   starts with 对/针对/将/把 or with the number itself is read on past the number (对99份规范性文件进行清理);
3. the topic agrees: the topics named from the phrasing's start up to the number are all the indicator's,
   or, when none is named there, the nearest topic named earlier in the same sentence is (the topic is carried
   within a sentence: "行政诉讼案件252宗，生效86宗，败诉3宗"), never across sentences;
4. none of the indicator's exclude words and no change word occurs in the clause, the clause does not name two
   topics at once (人大代表建议和政协提案共120件), and the [mapping] rules of the taxonomy let it through: no
   average or per-capita word (日均, 平均, 万人), no other period (2018年以来, 近三年; the last year the sentence
   names before the number must be the year reported on), no other noun after the unit (5个方面), and the scope
   word nearest the number does not name a wider place than the report's (全省 in a city's report).
Among the indicators that pass, the one whose phrasing ends closest to the number wins, then the higher
priority, then the longer phrasing; a remaining tie between two ids means the fact stays unmapped.

Then the report is read as a whole (assign_indicators): a 受理 count moves to the accepted indicator when the
report also states applications received, and among the numbers of one indicator those that speak for the most
stay (the whole jurisdiction's figure, then a stated total, then plain figures); parts (其中, 市本级, 各县区,
涉企, 主办/协办 ...) and other quantities with another value give way, each with a check that says why; a value
that a kept 万/亿 figure only rounds (132818 beside 13.28万) is the same total and stays.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pipeline import SCHEMA_DIR
from pipeline.model import Check, Fact, Report

TAXONOMY_PATH = SCHEMA_DIR / "indicators.toml"

SENTENCE_ENDS = "。！？!?\n"
CLAUSE_ENDS = SENTENCE_ENDS + "，,；;：:"
LOOKBACK = 400  # characters searched back for the sentence start; sentences in these reports are shorter
WILDCARD = r"[^，,；;。！？!?：:、\n\d]{0,12}"
FORWARD_PREPOSITION = re.compile(r"\s*[并还又共均已再]{0,2}(?:对于|针对|对|将|把)")
NEGATION_REACH = 3  # characters before a phrasing searched for exclude words (不受理, 减免罚款)
MAPPED_KINDS = {"count", "rate", "amount"}
TOTAL_MARKERS = ("共", "累计", "合计", "总", "全年")
YEAR_RE = re.compile(r"((?:19|20)\d\d)\s*年")
BOOK_TITLE_RE = re.compile(r"《[^《》]*》")
LEADING_WORDS_RE = re.compile(r"^(?:今年|全年|年内|本年度|共|共有|另有|有|其中)?$")
RESPECTIVE = "分别"
LIST_NUMBER_RE = re.compile(r"\d+(?:[.,，]\d+)*")
CLOSED_BRACKETS_RE = re.compile(r"[（(][^（()）]*\d[^（()）]*[)）]")


class TaxonomyError(ValueError):
    """The taxonomy file is missing, unreadable or has an invalid entry."""


@dataclass(frozen=True)
class Indicator:
    """One canonical indicator; phrasings are Chinese wordings with * for a short gap inside one clause."""

    id: str
    name_zh: str
    name_en: str
    definition_zh: str
    definition_en: str
    unit: str
    kind: str
    min: float
    max: float
    phrasings: tuple[str, ...]
    topic: str = ""
    topic_words: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    context_requires: tuple[str, ...] = ()
    context_excludes: tuple[str, ...] = ()
    priority: int = 0
    sum_of: tuple[str, ...] = ()
    takes_from: str = ""
    takes_when: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class MappingRules:
    """Words of the taxonomy's [mapping] table that decide for whom and for when a number counts."""

    change_words: tuple[str, ...] = ()
    not_totals: tuple[str, ...] = ()
    part_markers: tuple[str, ...] = ()
    subset_markers: tuple[str, ...] = ()
    whole_markers: tuple[str, ...] = ()
    other_period: tuple[str, ...] = ()
    other_nouns: tuple[str, ...] = ()
    carry_over: tuple[str, ...] = ()
    forward_verbs: tuple[str, ...] = ()
    proposed_words: tuple[str, ...] = ()
    other_places: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # report level -> words
    own_level: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # report level -> not a part there


def load_rules(path: Path | None = None) -> MappingRules:
    """The [mapping] rules of the taxonomy file; raises TaxonomyError when a rule is not a list of words."""
    data = dict(_read_toml(path or TAXONOMY_PATH).get("mapping", {}))
    places = data.pop("other_places", {})
    own = data.pop("own_level", {})
    names = MappingRules.__dataclass_fields__
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise TaxonomyError(f"[mapping]: unknown rules {', '.join(unknown)}")
    lists = [*data.values(), *places.values(), *own.values()]
    if not all(isinstance(v, list) and all(isinstance(w, str) for w in v) for v in lists):
        raise TaxonomyError("[mapping]: every rule must be a list of words")
    return MappingRules(**{k: tuple(v) for k, v in data.items()},
                        other_places={level: tuple(words) for level, words in places.items()},
                        own_level={level: tuple(words) for level, words in own.items()})


@cache
def _default_rules() -> MappingRules:
    return load_rules()


def load_taxonomy(path: Path | None = None) -> list[Indicator]:
    """The indicators of the taxonomy file, in file order; raises TaxonomyError with the reason when invalid."""
    data = _read_toml(path or TAXONOMY_PATH)
    topics = _topics_of(data)
    indicators = [_indicator_from(entry, topics) for entry in data.get("indicator", [])]
    ids = [i.id for i in indicators]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise TaxonomyError(f"duplicate indicator ids: {', '.join(duplicates)}")
    return indicators


def load_topics(path: Path | None = None) -> dict[str, tuple[str, ...]]:
    """All topics of the taxonomy file, those without indicators included: name -> words."""
    return _topics_of(_read_toml(path or TAXONOMY_PATH))


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise TaxonomyError(f"cannot read taxonomy {path}: {err}") from err


def _topics_of(data: dict) -> dict[str, tuple[str, ...]]:
    return {name: tuple(words) for name, words in data.get("topics", {}).items()}


def _indicator_from(entry: dict, topics: Mapping[str, tuple[str, ...]]) -> Indicator:
    """An Indicator from one [[indicator]] table, with its phrasings compiled."""
    ident = entry.get("id", "?")
    try:
        topic = entry.get("topic", "")
        if topic and topic not in topics:
            raise TaxonomyError(f"indicator {ident}: unknown topic {topic!r}")
        phrasings = tuple(entry["phrasings"])
        return Indicator(
            id=entry["id"], name_zh=entry["name_zh"], name_en=entry["name_en"],
            definition_zh=entry["definition_zh"], definition_en=entry["definition_en"],
            unit=entry["unit"], kind=entry["kind"], min=float(entry["min"]), max=float(entry["max"]),
            phrasings=phrasings, topic=topic, topic_words=topics.get(topic, ()),
            units=tuple(entry.get("units", [entry["unit"]])), exclude=tuple(entry.get("exclude", [])),
            context_requires=tuple(entry.get("context_requires", [])), priority=int(entry.get("priority", 0)),
            context_excludes=tuple(entry.get("context_excludes", [])),
            sum_of=tuple(entry.get("sum_of", [])), takes_from=entry.get("takes_from", ""),
            takes_when=tuple(entry.get("takes_when", [])),
            patterns=tuple(phrasing_pattern(p) for p in phrasings))
    except KeyError as err:
        raise TaxonomyError(f"indicator {ident}: missing field {err}") from err


def phrasing_pattern(phrasing: str) -> re.Pattern[str]:
    """The regex of a phrasing: literal text, * = a short gap within the clause."""
    return re.compile(WILDCARD.join(re.escape(part) for part in phrasing.split("*")))


# ---------------------------------------------------------------- mapping facts to indicators

@dataclass(frozen=True)
class Mention:
    """A topic named in the sentence context."""

    start: int
    end: int
    topic: str


@dataclass(frozen=True)
class FactContext:
    """The sentence text before a number, as the number sees it: `clause_start` starts the clause,
    `tail_start` follows the last number of the clause; the number itself sits at len(text)."""

    text: str
    clause_start: int
    tail_start: int
    mentions: tuple[Mention, ...]
    carried: str = ""  # the topic of the sentence before, when this one names none (see _carried_topic)


@dataclass(frozen=True)
class Candidate:
    indicator_id: str
    distance: int
    priority: int
    length: int
    phrasing: str = ""  # the words of the text the phrasing matched

    def rank(self) -> tuple[int, int, int]:
        return (self.distance, -self.priority, -self.length)


# How much a mapped number speaks for the whole: a figure for the whole jurisdiction (全市, 各级), a stated
# total (共, 累计), a plain figure, or a part (其中, 市本级, 各县区, 涉企 ...). See resolve_parts.
WHOLE, TOTAL, PLAIN, PART = 3, 2, 1, 0


@dataclass(frozen=True)
class Reading:
    """What the sentence says about one mapped number: the indicator, the words that said so, whose it is."""

    indicator_id: str
    phrasing: str
    standing: int  # WHOLE, TOTAL, PLAIN or PART


def assign_indicators(facts: list[Fact], text: str, taxonomy: list[Indicator],
                      topics: Mapping[str, Sequence[str]] | None = None, year: int | None = None,
                      rules: MappingRules | None = None, level: str = "") -> list[Check]:
    """Set fact.indicator_id in place ("" when nothing says exactly what the number is); return the checks
    that say why a mapped number was set aside for another fact of the report (a part, another quantity).

    `topics` defaults to the topics of the default taxonomy file (they include topics that have no
    indicator but still end a carried topic); `year` is the year reported on: a number the sentence gives
    for another year is not this report's; `level` is the report's (city, county ...): a figure the sentence
    gives for a wider place (全省 in a city's report) is another place's; `rules` default to the [mapping]
    table of the taxonomy file."""
    rules = rules or _default_rules()
    all_topics = dict(topics) if topics is not None else dict(_default_topics())
    all_topics.update({i.topic: i.topic_words for i in taxonomy if i.topic})
    finder = _topic_finder(tuple((name, tuple(words)) for name, words in sorted(all_topics.items())))
    of_kind: dict[str, list[Indicator]] = {}
    for indicator in taxonomy:
        of_kind.setdefault(indicator.kind, []).append(indicator)
    readings: list[tuple[Fact, Reading]] = []
    for fact in facts:  # only indicators of the fact's kind can fit it (see _candidate)
        reading = reading_for(fact, text, of_kind.get(fact.kind, []), finder, rules, year, level)
        fact.indicator_id = reading.indicator_id if reading else ""
        if reading:
            readings.append((fact, reading))
    _hand_over(readings, taxonomy)
    return resolve_parts(readings)


def _hand_over(readings: list[tuple[Fact, Reading]], taxonomy: list[Indicator]) -> None:
    """A number read through an indicator's `takes_when` words (受理) moves to it when the report also
    states the indicator it takes from (收到/新收 applications): then 受理 is the accepted share."""
    for indicator in taxonomy:
        source, words = indicator.takes_from, indicator.takes_when
        if not source or not words:
            continue
        mine = [(f, r) for f, r in readings if r.indicator_id == source]
        stated = [f for f, r in mine if not any(w in r.phrasing for w in words)]
        if not stated:
            continue
        for fact, reading in mine:
            if any(w in reading.phrasing for w in words):
                fact.indicator_id = indicator.id


def resolve_parts(readings: list[tuple[Fact, Reading]]) -> list[Check]:
    """Among the numbers of one indicator, keep those that speak for the most: a figure for the whole
    jurisdiction over a stated total over a plain figure over a part. A number below the best standing whose
    value differs from every kept one is a part or another quantity: its indicator is cleared, with a check."""
    checks: list[Check] = []
    groups: dict[str, list[tuple[Fact, Reading]]] = defaultdict(list)
    for fact, reading in readings:
        if fact.indicator_id:
            groups[fact.indicator_id].append((fact, reading))
    for indicator_id, group in groups.items():
        best = max(r.standing for _, r in group)
        kept = [f for f, r in group if r.standing == best]
        values = {round(f.value_normalized, 6) for f in kept}  # a restatement of a kept value stays
        for fact, reading in group:
            if reading.standing < best and round(fact.value_normalized, 6) not in values \
                    and not any(rounds_to(fact, k) for k in kept):
                fact.indicator_id = ""
                checks.append(Check("part_set_aside", "info",
                                    f"{indicator_id}: {fact.value_normalized:g} ({fact.quote}) is "
                                    f"{_STANDING_NAMES[reading.standing]}; the report states "
                                    f"{_STANDING_NAMES[best]} {kept[0].value_normalized:g}", fact.fact_id))
    return checks


MIN_ROUNDED_DIGITS = 3  # 1万 beside 8000 is no restatement; 13.28万 beside 132818 is


def rounds_to(exact: Fact, rounded: Fact) -> bool:
    """`rounded` (13.28万份, 116.87亿元) restates `exact` (132818件, 1168659.84万元) to its last stated digit:
    the same quantity written shorter, not a part of it. Only a 万/亿 figure of at least three significant
    digits counts as a rounding, and only of a more precise value."""
    if not rounded.value or rounded.value_normalized == rounded.value or exact.kind != rounded.kind:
        return False
    step = (rounded.value_normalized / rounded.value) * 10.0 ** -_decimals(rounded.value)
    digits = len(f"{rounded.value_normalized / step:.0f}")
    if digits < MIN_ROUNDED_DIGITS or exact.value_normalized == rounded.value_normalized:
        return False
    return abs(exact.value_normalized - rounded.value_normalized) <= step / 2 + 1e-6 * step


def _decimals(value: float) -> int:
    """Digits after the point of a number as written (13.28 -> 2, 132818.0 -> 0)."""
    text = repr(float(value))
    return 0 if "e" in text or text.endswith(".0") else len(text.split(".")[1])


_STANDING_NAMES = {WHOLE: "the whole jurisdiction's figure", TOTAL: "a stated total", PLAIN: "a plain figure",
                   PART: "a part (其中, a sub-unit or subtype)"}


@cache
def _default_topics() -> dict[str, tuple[str, ...]]:
    return load_topics()


@cache
def _topic_finder(topics: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[re.Pattern[str], dict[str, str]]:
    """One regex for all topic words (longest first, so 行政复议 wins over 复议) and word -> topic."""
    topic_of = {word: name for name, words in topics for word in words}
    words = sorted(topic_of, key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in words) or r"(?!)"), topic_of


def reading_for(fact: Fact, text: str, taxonomy: list[Indicator], finder: tuple[re.Pattern[str], dict[str, str]],
                rules: MappingRules, year: int | None, level: str) -> Reading | None:
    """How the fact's sentence reads it: the indicator it states exactly and how much it speaks for, or None."""
    if fact.is_target or fact.kind not in MAPPED_KINDS:
        return None
    context = fact_context(fact, text, finder)
    if RESPECTIVE in context.text[context.clause_start:]:
        context = _respective_context(fact, text, context, finder)  # 建议、提案分别为62件、87件
        if context is None:
            return None
    clause = context.text[context.clause_start:]
    if len({m.topic for m in context.mentions if m.start >= context.tail_start}) > 1:
        return None  # 人大代表建议和政协提案共120件: a sum of two things
    if any(w in clause for w in rules.not_totals) or _names_other_period(context, rules, year):
        return None  # 日均受理量, 案件平均罚款金额; （2023年为867件）, 2018年以来
    if _other_noun_after(fact, text, rules):
        return None  # 重大行政决策事项共涉及5个方面: the number counts 方面, not decisions
    if FORWARD_PREPOSITION.match(context.text, context.clause_start) or _opens_clause(context):
        context = _forward_context(fact, text, context, finder, rules)  # 对99份规范性文件进行清理
        if context is None:
            return None
    present = {m.topic for m in context.mentions} | {context.carried}  # an indicator's topic is among them
    candidates = [c for i in taxonomy if (not i.topic or i.topic in present)
                  and (c := _candidate(fact, i, context, rules))]
    if not candidates:
        return None
    candidates.sort(key=Candidate.rank)
    best = candidates[0]
    if any(c.rank() == best.rank() and c.indicator_id != best.indicator_id for c in candidates):
        return None
    standing = _standing(context, rules, level)
    return Reading(best.indicator_id, best.phrasing, standing) if standing is not None else None


def _respective_context(fact: Fact, text: str, context: FactContext,
                        finder: tuple[re.Pattern[str], dict[str, str]]) -> FactContext | None:
    """For 人大代表建议、政协委员提案分别为62件、87件 (or 继续有效、修改、废止的分别为186件、12件、19件): the item of
    the list before 分别 that stands at the number's place, read as the number's clause; None when the items
    and the numbers do not pair up one to one, or the offsets are missing."""
    if fact.char_start is None or fact.char_end is None:
        return None
    clause = context.text[context.clause_start:]
    at = clause.rfind(RESPECTIVE)
    items = [item for item in re.split(r"[、和及与]", clause[:at]) if item.strip()]
    place = len(LIST_NUMBER_RE.findall(clause[at:]))
    stop = re.search(rf"[{re.escape(CLAUSE_ENDS)}]", text[fact.char_end:])
    rest = text[fact.char_end:fact.char_end + stop.start()] if stop else text[fact.char_end:]
    if len(items) < 2 or place + 1 + len(LIST_NUMBER_RE.findall(rest)) != len(items):
        return None
    prefix = context.text[:context.clause_start]
    joined = prefix + items[place]
    pattern, topic_of = finder
    mentions = tuple(Mention(m.start(), m.end(), topic_of[m.group()]) for m in pattern.finditer(joined))
    return FactContext(joined, len(prefix), len(prefix), mentions, context.carried)


def _names_other_period(context: FactContext, rules: MappingRules, year: int | None) -> bool:
    """The sentence gives the number for another year than the one reported on (the last year named
    before the number decides), or for several years (2018年以来, 近三年, 年均)."""
    clause = context.text[context.clause_start:]
    if any(w in clause for w in rules.other_period):
        return True
    if year is None:
        return False
    named = YEAR_RE.findall(BOOK_TITLE_RE.sub("", context.text))
    return bool(named) and int(named[-1]) != year


def _other_noun_after(fact: Fact, text: str, rules: MappingRules) -> bool:
    """The noun right after the number's unit says it counts something else (5个方面, 3个领域)."""
    if fact.char_end is None or not 0 < fact.char_end <= len(text):
        return False
    after = text[fact.char_end:fact.char_end + 4]
    return any(after.startswith(w) for w in rules.other_nouns)


def _forward_context(fact: Fact, text: str, context: FactContext, finder: tuple[re.Pattern[str], dict[str, str]],
                     rules: MappingRules) -> FactContext | None:
    """For 对99份规范性文件进行清理 (the verb after the number): the clause read on past the number to its end,
    the phrasing looked for after the number only (印发的 before it describes the object, it is not the verb);
    None when the offsets are missing."""
    if fact.char_start is None or fact.char_end is None:
        return None
    stop = re.search(rf"[{re.escape(CLAUSE_ENDS)}]", text[fact.char_end:fact.char_end + 40])
    rest = text[fact.char_end:fact.char_end + stop.start()] if stop else ""
    before = context.text[:len(context.text) - len(_noun_after(text, fact.char_end, finder))]
    opening = _opens_clause(context)
    if not (opening or any(w in rest for w in rules.forward_verbs)):
        return None  # 对需修订的15个文件启动修订工作: not done (进行, 予以)
    if any(w in (rest if opening else before[context.clause_start:]) for w in rules.proposed_words):
        return None  # 对需修订的…, 3件文件拟废止: not certain
    joined = before + rest
    pattern, topic_of = finder
    mentions = tuple(Mention(m.start(), m.end(), topic_of[m.group()]) for m in pattern.finditer(joined))
    return FactContext(joined, len(before), len(before), mentions, context.carried)


def _opens_clause(context: FactContext) -> bool:
    """The number opens its clause (3件政府规范性文件全部报送备案): what it counts and the verb come after it."""
    return bool(LEADING_WORDS_RE.fullmatch(context.text[context.clause_start:].strip()))


def _standing(context: FactContext, rules: MappingRules, level: str) -> int | None:
    """WHOLE, TOTAL, PLAIN or PART from the words of the sentence before the number: the scope word nearest
    the number decides (全市各级 … 其中市本级 is a part; 各县区 … 全市共 is the whole); None when that word
    names a wider place than the report's (全省平均 in a county's report: another place's figure)."""
    text = context.text
    text = text[max(text.rfind("；"), text.rfind(";")) + 1:]  # a ；-part of the sentence has its own subject
    text = CLOSED_BRACKETS_RE.sub("", text)  # (主办34件、协办3件) qualifies the number before it, not this one
    whole = max((text.rfind(w) for w in rules.whole_markers), default=-1)
    own = rules.own_level.get(level, ())
    part = max((text.rfind(w) for w in rules.part_markers + rules.subset_markers if w not in own), default=-1)
    other = max((text.rfind(w) for w in rules.other_places.get(level, ())), default=-1)
    if other > max(part, whole) or (other >= 0 and other == whole):
        return None
    if part > whole:
        return PART
    if whole >= 0:
        return WHOLE
    clause = context.text[context.clause_start:]
    return TOTAL if any(m in clause for m in TOTAL_MARKERS) else PLAIN


def fact_context(fact: Fact, text: str, finder: tuple[re.Pattern[str], dict[str, str]]) -> FactContext:
    """The sentence before the number; falls back to the fact's subject when the offsets miss the text or
    are None (a table cell: its row and column headers, digits of years dropped, read as one clause)."""
    start, end = fact.char_start, fact.char_end
    if start is None or end is None or not 0 <= start < end <= len(text):
        before, clause_start = re.sub(r"[\d.,]+", "", fact.subject.replace(" / ", " ")), 0
    else:
        lo = max(0, start - LOOKBACK)
        sentence_start = max(text.rfind(c, lo, start) for c in SENTENCE_ENDS) + 1
        sentence_start = max(sentence_start, lo)
        clause_start = max(max(text.rfind(c, sentence_start, start) for c in CLAUSE_ENDS) + 1, sentence_start)
        before = text[sentence_start:start] + _noun_after(text, end, finder)
        clause_start -= sentence_start
    pattern, topic_of = finder
    mentions = tuple(Mention(m.start(), m.end(), topic_of[m.group()]) for m in pattern.finditer(before))
    carried = _carried_topic(text, start, end, finder) if clause_start == 0 else ""
    return FactContext(before, clause_start, _tail_start(before, clause_start, mentions), mentions, carried)


def _carried_topic(text: str, start: int | None, end: int | None,
                   finder: tuple[re.Pattern[str], dict[str, str]]) -> str:
    """For "全省行政复议直接纠错率10.77%。以调解、和解方式结案3723件": a sentence that names no topic at all
    goes on about the topic of the sentence right before it, in the same paragraph, when that sentence names
    exactly one topic and gives a number for it (推进行政复议体制改革。 gives none); else "". Only the
    sentence's first clause is read so (fact_context): a later clause (编辑出版公报12期，发布文件61件) has
    turned to a subject of its own."""
    if start is None or end is None or not 0 <= start < end <= len(text):
        return ""
    pattern, topic_of = finder
    sentence_start = max(text.rfind(c, max(0, start - LOOKBACK), start) for c in SENTENCE_ENDS) + 1
    stop = re.search(rf"[{re.escape(SENTENCE_ENDS)}]", text[end:end + LOOKBACK])
    sentence = text[sentence_start:end + stop.start()] if stop else text[sentence_start:end + LOOKBACK]
    if sentence_start == 0 or text[sentence_start - 1] == "\n" or pattern.search(sentence):
        return ""
    previous_start = max(text.rfind(c, max(0, sentence_start - LOOKBACK), sentence_start - 1)
                         for c in SENTENCE_ENDS) + 1
    mentions = list(pattern.finditer(text, previous_start, sentence_start))
    topics = {topic_of[m.group()] for m in mentions}
    counted = mentions and re.search(r"\d", YEAR_RE.sub(_year_blank, text[mentions[-1].end():sentence_start]))
    return topics.pop() if len(topics) == 1 and counted else ""


def _noun_after(text: str, end: int, finder: tuple[re.Pattern[str], dict[str, str]]) -> str:
    """For "办理38宗以区政府为被告的行政诉讼案件": the rest of the clause when it ends with a topic noun."""
    stop = re.search(rf"[{re.escape(CLAUSE_ENDS)}、\d（()）和与及]", text[end:end + 30])
    after = text[end:end + stop.start()] if stop else ""
    noun = re.search(rf"(?:{finder[0].pattern})\w{{0,2}}$", after) if after else None
    return after if noun else ""


def _tail_start(before: str, clause_start: int, mentions: tuple[Mention, ...] = ()) -> int:
    """Where the clause's text after its last number begins (the whole clause when it has no number).
    Years (2022年) and digits inside topic words (12345热线) name, they are not numbers of the clause."""
    blanked = list(YEAR_RE.sub(_year_blank, before))
    for mention in mentions:
        blanked[mention.start:mention.end] = " " * (mention.end - mention.start)
    digits = [m.end() for m in re.finditer(r"\d", "".join(blanked)[clause_start:])]
    return clause_start + (digits[-1] if digits else 0)


def _year_blank(match: re.Match[str]) -> str:
    """A year (2022年) blanked out to its length: years name when, they are not the clause's numbers."""
    return " " * len(match.group())


def _candidate(fact: Fact, indicator: Indicator, context: FactContext, rules: MappingRules) -> Candidate | None:
    """How well the indicator fits the fact, or None when it does not."""
    if fact.kind != indicator.kind or not _unit_fits(fact, indicator):
        return None
    text, clause_start = context.text, context.clause_start
    if indicator.context_requires and not any(w in text for w in indicator.context_requires):
        return None
    if any(w in text for w in indicator.context_excludes):
        return None
    best: Candidate | None = None
    for pattern in indicator.patterns:
        match = _last_match(pattern, text, clause_start)
        if match is None or not _fits_topic(indicator, match.start(), context):
            continue
        if match.start() < context.tail_start and "、" not in text[context.tail_start:]:
            continue  # a verb before an earlier number carries over only along a 、-list
        zone = text[max(clause_start, min(match.start(), context.tail_start) - NEGATION_REACH):]
        if any(w in zone for w in indicator.exclude) or any(w in text[match.start():] for w in rules.change_words):
            continue
        found = Candidate(indicator.id, len(text) - match.end(), indicator.priority, match.end() - match.start(),
                          match.group())
        if best is None or found.rank() < best.rank():
            best = found
    return best


def _unit_fits(fact: Fact, indicator: Indicator) -> bool:
    """The fact's base unit is one the indicator accepts; a bare zero count (败诉案件为0) needs no unit."""
    if fact.unit_base in indicator.units:
        return True
    return indicator.kind == "count" and not fact.unit_base and fact.value == 0


def _last_match(pattern: re.Pattern[str], text: str, clause_start: int) -> re.Match[str] | None:
    """The match of the phrasing that ends closest to the number, inside the clause."""
    last = None
    for match in pattern.finditer(text, clause_start):
        last = match
    return last


def _fits_topic(indicator: Indicator, match_start: int, context: FactContext) -> bool:
    """Topics named from the phrasing on must all be the indicator's; if none, the carried topic must be."""
    named = {m.topic for m in context.mentions if m.end > match_start}
    if not indicator.topic:
        return not named
    if named:
        return named == {indicator.topic}
    earlier = [m for m in context.mentions if m.end <= match_start]
    if not earlier:
        return context.carried == indicator.topic
    return earlier[-1].topic == indicator.topic


# ---------------------------------------------------------------- indicator rows

def indicator_rows(report: Report, facts: list[Fact], taxonomy: list[Indicator],
                   text: str = "") -> tuple[list[dict], list[Check]]:
    """One row per indicator of the report, and the checks found on the way.

    Rule when several facts map to one indicator: a fact whose phrase marks a total (共, 累计, 合计, 总, 全年)
    wins; otherwise the first in reading order; an exact figure wins over its rounding (132818 over 13.28万).
    The others are named in an info check. When the definition names parts (`sum_of`: 废止 and 宣布失效)
    that the report states apart and without a total, the row is their sum, with a check. Values outside
    the indicator's valid range get a warning check and no row.
    `text` (the report text) gives each row the scope its sentence states (全区, 本级, 含上年结转)."""
    by_id = {i.id: i for i in taxonomy}
    grouped: dict[str, list[Fact]] = defaultdict(list)
    checks: list[Check] = []
    for fact in sorted(facts, key=_reading_order):
        if not fact.indicator_id or fact.is_target:
            continue
        indicator = by_id.get(fact.indicator_id)
        if indicator is None:
            checks.append(Check("unknown_indicator", "warning",
                                f"indicator {fact.indicator_id!r} is not in the taxonomy", fact.fact_id))
        elif not indicator.min <= fact.value_normalized <= indicator.max:
            checks.append(Check("out_of_range", "warning",
                                f"{indicator.id} = {fact.value_normalized:g} {indicator.unit} is outside "
                                f"{indicator.min:g}..{indicator.max:g}; kept out of indicators", fact.fact_id))
        else:
            grouped[indicator.id].append(fact)
    rows = []
    for indicator_id, group in grouped.items():
        chosen = chosen_fact(group)
        value, parts = chosen.value_normalized, summed_parts(group, by_id[indicator_id])
        if parts:
            value = sum(f.value_normalized for f in parts)
            named = " + ".join(f"{f.fact_id} ({f.value_normalized:g})" for f in parts)
            checks.append(Check("sum_of_parts", "info",
                                f"{indicator_id}: no total stated; the row is the sum of its parts {named}",
                                parts[0].fact_id))
            chosen = parts[0]
        rows.append({"report_id": report.report_id, "division_code": report.division_code, "year": report.year,
                     "indicator_id": indicator_id, "value": value, "unit": by_id[indicator_id].unit,
                     "qualifier": _row_qualifier(parts or [chosen]), "scope": scope_of(chosen, text),
                     "fact_id": chosen.fact_id})
        others = [f for f in group if f is not chosen and f not in parts]
        if others:
            named = ", ".join(f"{f.fact_id} ({f.value_normalized:g})" for f in others)
            checks.append(Check("several_facts_for_indicator", "info",
                                f"{indicator_id}: took {chosen.fact_id} ({chosen.value_normalized:g}), "
                                f"{_why_chosen(chosen, group)}; also stated: {named}", chosen.fact_id))
    return rows, checks


def _why_chosen(fact: Fact, group: list[Fact]) -> str:
    """Why chosen_fact took this fact: the exact figure of a rounding, a stated total, or the first."""
    if any(rounds_to(fact, other) for other in group):
        return "the exact figure (another fact rounds it)"
    if any(m in fact.quote for m in TOTAL_MARKERS):
        return "a stated total"
    return "the first stated (the others were not marked as parts)"


def _row_qualifier(facts: list[Fact]) -> str:
    """The qualifier of a row: its fact's (余, 约, 以上 ... as the facts' enum); a sum is a lower bound as soon
    as one part is."""
    qualifiers = {f.qualifier for f in facts} - {""}
    if len(facts) == 1 or not qualifiers:
        return facts[0].qualifier
    return qualifiers.pop() if len(qualifiers) == 1 else "about"


def summed_parts(group: list[Fact], indicator: Indicator) -> list[Fact]:
    """The first fact of each part the definition names (废止, 宣布失效), when the report states every part
    apart and no fact names them together or as a total; else []."""
    if len(indicator.sum_of) < 2:
        return []
    named = [[w for w in indicator.sum_of if w in f.quote] for f in group]
    if any(len(words) > 1 for words in named) or any(m in f.quote for f in group for m in TOTAL_MARKERS):
        return []
    first = {}
    for fact, words in zip(group, named, strict=True):
        if words:
            first.setdefault(words[0], fact)
    return [first[w] for w in indicator.sum_of] if len(first) == len(indicator.sum_of) else []


def scope_of(fact: Fact, text: str, rules: MappingRules | None = None) -> str:
    """The scope the fact's sentence states: 含上年结转 when the carry-over is included, else the nearest
    whole-jurisdiction word (全区, 全县 ...) or 本级 before the number; "" when none is stated."""
    rules = rules or _default_rules()
    if not text or fact.char_start is None or not 0 <= fact.char_start < len(text):
        return ""
    start = max(max(text.rfind(c, 0, fact.char_start) for c in SENTENCE_ENDS) + 1, fact.char_start - LOOKBACK)
    before = text[max(start, 0):fact.char_start]
    after = text[fact.char_end or fact.char_start:(fact.char_end or fact.char_start) + 12]
    if re.search("含(?:{})".format("|".join(map(re.escape, rules.carry_over))), after + before[-12:]):
        return "含上年结转"
    found = [(before.rfind(w), w) for w in (*rules.whole_markers, "本级") if w in before]
    return max(found)[1] if found else ""


def _reading_order(fact: Fact) -> tuple[bool, int]:
    """Text facts by offset, then table facts (no offset) in the order given."""
    return fact.char_start is None, fact.char_start or 0


def chosen_fact(group: list[Fact]) -> Fact:
    """The fact that speaks for an indicator: the first stated total, else the first in reading order; the
    exact figure when another fact states that one's value more precisely (132818件 beside 13.28万件)."""
    totals = [f for f in group if any(m in f.quote for m in TOTAL_MARKERS)]
    chosen = (totals or group)[0]
    exact = [f for f in group if rounds_to(f, chosen)]  # 132818件 over its restatement 13.28万份
    return exact[0] if exact else chosen
