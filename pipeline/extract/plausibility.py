"""Plausibility limits per capture: what a real report looks like, so a freak page cannot flood the tables.

A page far beyond what real reports measure (a body pasted a thousand times, a database dump, a page that
takes minutes to parse) is still read, but cut down to size: repeated blocks collapsed, the text cut, facts
capped. It gets an error check naming what was odd (the measured value and the limit in the check's `value`
and `limit` columns), and its facts are kept out of `indicators`, since a count read from it cannot be trusted.

The limits were set from the real captures in tests/fixtures/corpus, tests/fixtures/pages, tests/heldout,
tests/heldout2 and the 60 real excerpts of the development set (measured 2026-12, see each constant), with
wide margins: a limit is meant to catch pages that are not reports at all, never a long or dense report.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from pipeline.model import Check

# Longest real main text: 7,220 characters (a statistics bulletin in the NFCMS template); the longest report
# 4,367. Full provincial reports with annexes reach some 40,000: the limit is 5 times that.
MAX_TEXT_CHARS = 200_000
# Most facts in a real capture: 363 (the statistics bulletin), in a report 80: a 5-fold margin over the first.
MAX_FACTS = 2_000
# Facts per 1,000 characters, over texts of DENSITY_MIN_CHARS or more: at most 50.3 (the bulletin), reports
# 7 to 43; shorter texts (a table of six numbers) are too short for a rate to mean anything.
MAX_FACTS_PER_KCHAR = 120.0
DENSITY_MIN_CHARS = 2_000
# Share of the text in paragraphs of REPEAT_MIN_CHARS or more that repeat an earlier one word for word: 0 in
# every real capture. A page showing its report twice (body and print view) is at 50%; the limit is 30%.
MAX_REPEATED_SHARE = 0.3
REPEAT_MIN_CHARS = 40
# Slowest real parse: 1.4 s (the first page, imports and all), typically 0.01 s; a parse is cut off after 60 s.
PARSE_SECONDS = 60
# Longest real check message: 124 characters; longer ones are cut (details belong in columns, not prose).
MAX_MESSAGE_CHARS = 500
# Most checks from one real capture: 9; beyond this, one check says how many more were dropped.
MAX_CHECKS = 200
CHECK = "implausible_page"  # the check name of every limit here; the message says which
PARSE_TIMEOUT = "parse_timeout"  # the check of a parse cut off after PARSE_SECONDS


class ParseTimeout(BaseException):
    """A parse ran out of its time budget. A BaseException, so that no `except Exception` on the way (an
    adapter working around bad input) can swallow it."""


@contextlib.contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Raise ParseTimeout in the block after `seconds` of wall time (SIGALRM: Unix, main thread; elsewhere the
    block runs without a budget). Code in C (a regex, lxml) is interrupted when it hands back to Python."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_signum, _frame):
        raise ParseTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass(frozen=True)
class Oddity:
    """One limit a capture went beyond: what, how much, and what was done about it."""

    what: str
    value: float
    limit: float
    action: str

    def check(self) -> Check:
        """The error check recording it."""
        return Check(CHECK, "error", f"{self.what} {self.value:,.6g} beyond the limit {self.limit:,.6g}: "
                     f"{self.action}; its facts are kept out of indicators", value=self.value, limit=self.limit)


def collapse_repeats(text: str) -> tuple[str, Oddity | None]:
    """The text with later copies of every line dropped, when repeated long paragraphs are more than
    MAX_REPEATED_SHARE of it (short lines, headings among them, repeat with them); else the text unchanged."""
    lines = text.split("\n")
    counts = Counter(line for line in lines if len(line.strip()) >= REPEAT_MIN_CHARS)
    repeated = sum(len(line) * (n - 1) for line, n in counts.items() if n > 1)
    share = repeated / max(len(text), 1)
    if share <= MAX_REPEATED_SHARE:
        return text, None
    seen: set[str] = set()
    kept = []
    for line in lines:
        if line.strip():
            if line in seen:
                continue
            seen.add(line)
        kept.append(line)
    collapsed = "\n".join(kept)
    return collapsed, Oddity("repeated paragraphs, share of text", round(share, 4), MAX_REPEATED_SHARE,
                             f"repeats collapsed, {len(text) - len(collapsed):,} characters dropped")


def cut_text(text: str) -> tuple[str, Oddity | None]:
    """The text cut at the last line break before MAX_TEXT_CHARS, when longer."""
    if len(text) <= MAX_TEXT_CHARS:
        return text, None
    end = text.rfind("\n", 0, MAX_TEXT_CHARS)
    cut = text[:end if end > MAX_TEXT_CHARS // 2 else MAX_TEXT_CHARS]
    return cut, Oddity("text length", len(text), MAX_TEXT_CHARS, f"text cut at {len(cut):,} characters")


def plausible_text(text: str) -> tuple[str, list[Oddity]]:
    """The main text as it is parsed: repeats collapsed, then cut to length; and what was odd."""
    text, repeats = collapse_repeats(text)
    text, long = cut_text(text)
    return text, [o for o in (repeats, long) if o]


def fact_oddities(n_facts: int, n_chars: int) -> list[Oddity]:
    """What is odd about how many facts a text of `n_chars` gave (before any cap)."""
    found = []
    if n_facts > MAX_FACTS:
        found.append(Oddity("facts", n_facts, MAX_FACTS, f"only the first {MAX_FACTS:,} kept"))
    density = 1000 * n_facts / max(n_chars, 1)
    if n_chars >= DENSITY_MIN_CHARS and density > MAX_FACTS_PER_KCHAR:
        found.append(Oddity("facts per 1,000 characters", round(density, 1), MAX_FACTS_PER_KCHAR,
                            "not a report's prose"))
    return found


def short_message(message: str) -> str:
    """The message cut to MAX_MESSAGE_CHARS (ending in …)."""
    return message if len(message) <= MAX_MESSAGE_CHARS else message[:MAX_MESSAGE_CHARS - 1] + "…"


def capped_checks(checks: list[Check]) -> list[Check]:
    """At most MAX_CHECKS checks of one capture, the last saying how many more were dropped."""
    if len(checks) <= MAX_CHECKS:
        return checks
    dropped = len(checks) - MAX_CHECKS + 1
    return checks[:MAX_CHECKS - 1] + [Check("too_many_checks", "warning", f"{dropped:,} more checks of this "
                                            "capture not recorded", value=len(checks), limit=MAX_CHECKS)]
