"""Split a report's text into its numbered section tree (一、 / （一） / 1. / （1） / 一是 ...).

A heading is only recognised where a paragraph starts (line start, or a run of spaces when paragraphs
were run together on one line), and only if its number continues the sequence at its level: this is
what keeps 2024年, 1.04:1, "一、二季度" and list items inside a paragraph from becoming sections.
The one exception: in a paragraph that starts with 一是, the 二是, 三是 … that open its later sentences
are sibling sections too ("一是学习。…二是宣传。…"), each heading running to its first 。.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.model import Section

CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0}
CN = "[一二三四五六七八九十]{1,3}"
# (style, rank, pattern): rank orders nesting, a lower rank is a bigger part of the report
STYLES: list[tuple[str, float, re.Pattern[str]]] = [
    ("cn", 1, re.compile(rf"(?P<n>{CN})[、．.](?![一二三四五六七八九十]+[、，,季月])")),
    ("cn_paren", 2, re.compile(rf"[（(](?P<n>{CN})[)）]")),
    ("arabic", 3, re.compile(r"(?P<n>[0-9]{1,2})[.．、](?![0-9])")),
    ("arabic_paren", 3.5, re.compile(r"[（(](?P<n>[0-9]{1,2})[)）]")),
    ("circled", 3.7, re.compile(r"(?P<n>[①-⑳])")),
    ("cn_shi", 4, re.compile(rf"(?P<n>{CN})是(?![否的])")),
]
# where a paragraph starts: text start, after a newline, or after spaces inside a line
PARAGRAPH_START = re.compile(r"(?:\A|\n|[ \t\u3000\u00a0])[ \t\u3000\u00a0]*(?=\S)")
HEADING_END = re.compile(r"[。！？!?]|\n|[ \t\u3000\u00a0]{2,}|\u3000")
# a run-in 二是 / 三是 …: opens a sentence inside the paragraph (after 。；!? and optional spaces)
RUN_IN_SHI = re.compile(rf"(?<=[。；;！？!?])[ \t\u3000\u00a0]*(?P<n>{CN})是(?![否的])")


@dataclass
class _Candidate:
    start: int
    style: str
    rank: float
    number: int
    line_start: bool  # starts a line (not just a run of spaces inside one)
    heading: str


def chinese_number(s: str) -> int:
    """一 -> 1, 十二 -> 12, 二十 -> 20 (numbers up to 99, as used in headings)."""
    if s.isascii() and s.isdigit():
        return int(s)
    if "①" <= s <= "⑳":
        return ord(s) - ord("①") + 1
    if "十" not in s:
        return CN_DIGITS.get(s, 0)
    tens, _, units = s.partition("十")
    return (CN_DIGITS.get(tens, 0) if tens else 1) * 10 + CN_DIGITS.get(units, 0)


def heading_at(text: str, start: int, stop: int) -> str:
    """The heading that starts at `start`: to the end of its line, or of its first sentence if run in,
    and never past `stop` (where the next marker starts; a 一是…；二是… heading drops its ；)."""
    end = HEADING_END.search(text, start, stop)
    return text[start:end.start() if end else stop].strip().rstrip("；;")


def _candidates(text: str) -> list[_Candidate]:
    """Every numbered marker found where a paragraph starts, in text order."""
    found = []
    for m in PARAGRAPH_START.finditer(text):
        start = m.end()
        for style, rank, pattern in STYLES:
            mm = pattern.match(text, start)
            if mm and _has_heading_text(text, mm.end()):
                line_start = start == 0 or "\n" in m.group()
                found.append((start, style, rank, chinese_number(mm.group("n")), line_start))
                break
    found = sorted(found + _run_in_shi(text, found))
    stops = [f[0] for f in found[1:]] + [len(text)] * bool(found)
    return [_Candidate(start, style, rank, n, line_start, heading_at(text, start, stop))
            for (start, style, rank, n, line_start), stop in zip(found, stops, strict=True)]


def _run_in_shi(text: str, found: list[tuple]) -> list[tuple]:
    """二是, 三是 … run into a paragraph that starts with 一是 (or with a later 是-marker), each opening a
    sentence, in sequence: sibling markers.

    Only a paragraph that itself starts with such a marker has them, so an enumeration inside a sentence
    (…内容一是甲。二是乙。) stays text; the paragraph ends at the line end or at the next paragraph-start marker."""
    extra = []
    for i, (start, style, rank, number, _) in enumerate(found):
        if style != "cn_shi":
            continue
        newline = text.find("\n", start)
        end = min(found[i + 1][0] if i + 1 < len(found) else len(text), len(text) if newline < 0 else newline)
        expected = number + 1
        for m in RUN_IN_SHI.finditer(text, start, end):
            if chinese_number(m.group("n")) == expected and _has_heading_text(text, m.end()):
                extra.append((m.start("n"), style, rank, expected, False))
                expected += 1
    return extra


def _has_heading_text(text: str, pos: int) -> bool:
    """A marker must be followed by words on the same line, not by nothing or by punctuation."""
    return pos < len(text) and not text[pos].isspace() and text[pos] not in "，,。；;：:）)%"


def _accept(candidates: list[_Candidate]) -> list[tuple[_Candidate, list[int]]]:
    """The candidates that continue a numbering sequence, each with its path of numbers."""
    stack: list[_Candidate] = []  # the open heading at each depth
    accepted = []
    for c in candidates:
        depth = len(stack)
        while depth and stack[depth - 1].rank >= c.rank:
            depth -= 1
        sibling = stack[depth] if depth < len(stack) and stack[depth].style == c.style else None
        if not _continues(c, sibling):
            continue
        del stack[depth:]
        stack.append(c)
        accepted.append((c, [s.number for s in stack]))
    return accepted


def _continues(c: _Candidate, sibling: _Candidate | None) -> bool:
    """Whether `c` is the next number after its sibling (or 1 for a first child). A heading on its own
    line may skip one number at the two top levels, as reports sometimes misnumber."""
    if sibling is None:
        return c.number == 1
    gap = c.number - sibling.number
    return gap == 1 or (gap == 2 and c.line_start and c.rank <= 2)


def _trimmed_end(text: str, start: int, end: int) -> int:
    """`end` moved back over trailing whitespace (but not before `start`)."""
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def split_sections(text: str) -> list[Section]:
    """The section tree in text order; text before the first heading is section "0" if not blank."""
    if not isinstance(text, str):
        raise TypeError(f"split_sections needs the report text as str, not {type(text).__name__}")
    accepted = _accept(_candidates(text))
    sections = []
    first = accepted[0][0].start if accepted else len(text)
    lead = len(text[:first]) - len(text[:first].lstrip())
    if text[:first].strip():
        end = _trimmed_end(text, lead, first)
        sections.append(Section("0", 0, "", lead, end, text[lead:end]))
    for i, (c, path) in enumerate(accepted):
        nxt = next((o.start for o, p in accepted[i + 1:] if len(p) <= len(path)), len(text))
        end = _trimmed_end(text, c.start, nxt)
        sections.append(Section(".".join(map(str, path)), len(path), c.heading, c.start, end, text[c.start:end]))
    return sections


def section_for(sections: list[Section], offset: int) -> str:
    """The id of the deepest section containing `offset`; "" if none does."""
    best: Section | None = None
    for s in sections:
        if s.char_start <= offset < s.char_end and (best is None or s.level >= best.level):
            best = s
    return best.section_id if best else ""
