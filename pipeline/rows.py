"""The parse stage: one archived capture (and its attachments) -> the rows it adds to every table.

`read_report` is a pure function of the capture's bytes, its catalogue entry and the taxonomy, so its result
can be cached per capture (pipeline/run/cache.py) and computed in any process; one broken page only costs a row
in `checks` and never stops the other reports.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.extract.checks import consistency_checks
from pipeline.extract.facts import extract_facts, zero_facts
from pipeline.extract.indicators import SENTENCE_ENDS, Indicator, assign_indicators, indicator_rows, load_taxonomy
from pipeline.extract.plausibility import (
    MAX_FACTS,
    PARSE_SECONDS,
    PARSE_TIMEOUT,
    ParseTimeout,
    capped_checks,
    fact_oddities,
    plausible_text,
    short_message,
    time_budget,
)
from pipeline.extract.tables import table_facts, text_table_facts
from pipeline.fetch.archive import Archive
from pipeline.model import Capture, Check, Fact, Page
from pipeline.parse.adapters import PageError, read_page
from pipeline.parse.identity import make_report
from pipeline.parse.sections import section_for, split_sections

log = logging.getLogger(__name__)
TABLE_SECTION = "0"  # section_id of facts read from tables, which have no place in the text
STUB_CHARS = 300  # a page with less main text than this that links to attachments is read from them


@dataclass
class ReportRows:
    """Everything one capture contributes to the tables."""

    reports: list[dict] = field(default_factory=list)
    sections: list[dict] = field(default_factory=list)
    facts: list[dict] = field(default_factory=list)
    indicators: list[dict] = field(default_factory=list)
    checks: list[dict] = field(default_factory=list)
    mirrors: list[dict] = field(default_factory=list)  # filled by the build across captures, never per capture


def record_fields(record: object) -> dict:
    """A flat record's fields as a dict; dataclasses.asdict deep-copies and costs 30x more per fact."""
    return dict(vars(record))


def report_id_for(capture: Capture) -> str:
    """A report id that survives rebuilds: derived from the URL, or the bytes when the URL is unknown."""
    key = capture.url or capture.sha256
    return "r" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def check_row(report_id: str, check: Check) -> dict:
    """A check as a row of `checks`, its message cut to the plausible length wherever it was made."""
    return {"report_id": report_id, **record_fields(check), "message": short_message(check.message)}


def sentence_of(text: str, fact: Fact) -> str:
    """The sentence a fact's number sits in, as written: from the previous sentence end (or line) to the next,
    that included; a table fact's quote (its table row), having no place in the text."""
    if fact.char_start is None or fact.char_end is None:
        return fact.quote
    start = max(text.rfind(mark, 0, fact.char_start) for mark in SENTENCE_ENDS) + 1
    ends = [i for i in (text.find(mark, fact.char_end) for mark in SENTENCE_ENDS) if i != -1]
    return text[start:min(ends) + 1 if ends else len(text)].strip()


def text_from_attachments(page: Page, attachments: list[tuple[Capture, bytes]]) -> Page:
    """For a stub page that only links to its report, the page with an attachment's text as main text."""
    if len(page.text) >= STUB_CHARS:
        return page
    for capture, data in attachments:
        try:
            attached = read_page(data, capture)
        except PageError as err:
            page.checks.append(Check("unreadable_attachment", "warning", f"{capture.url or capture.path}: {err}"))
            continue
        if len(attached.text) > len(page.text):
            page.text, page.tables = attached.text, page.tables + attached.tables
            page.checks += attached.checks
            return page
    return page


def read_report(capture: Capture, data: bytes, entry: dict[str, str], taxonomy: list[Indicator],
                attachments: list[tuple[Capture, bytes]] = ()) -> ReportRows:
    """Parse one capture into its table rows; unreadable input becomes a check row, never an exception."""
    report_id = report_id_for(capture)
    rows = ReportRows()
    try:
        page = text_from_attachments(read_page(data, capture), list(attachments))
    except PageError as err:
        where = capture.url or capture.source or capture.path
        rows.checks.append(check_row(report_id, Check("unreadable_page", "error", f"{where}: {err}")))
        return rows
    page.text, oddities = plausible_text(page.text)
    report, checks = make_report(page, capture, entry)
    checks = page.checks + checks
    report.report_id, report.n_chars = report_id, len(page.text)
    sections = split_sections(page.text)
    facts = sorted(extract_facts(page.text) + zero_facts(page.text), key=lambda f: f.char_start)  # 零败诉 = 0
    for fact in facts:
        fact.section_id = section_for(sections, fact.char_start)
    tables = table_facts(page.tables) if page.tables else text_table_facts(page.text)  # tables kept as text
    for fact in tables:  # after the text's facts; no offsets, so section "0" (facts schema)
        fact.section_id = TABLE_SECTION
        facts.append(fact)
    oddities += fact_oddities(len(facts), len(page.text))
    facts = facts[:MAX_FACTS]
    for n, fact in enumerate(facts, start=1):
        fact.fact_id = f"{report_id}-{n:04d}"
    checks += assign_indicators(facts, page.text, taxonomy, year=report.year, level=report.level)
    checks += consistency_checks(report, facts, page.text)
    indicator_values, indicator_checks = indicator_rows(report, facts, taxonomy, page.text)
    if oddities:  # nothing read from a freak page is compared across reports
        indicator_values, indicator_checks = [], []
        checks = [o.check() for o in oddities] + checks
    report.n_facts = len(facts)
    rows.reports.append(record_fields(report))
    rows.sections += [{"report_id": report_id, **record_fields(s)} for s in sections]
    rows.facts += [{"report_id": report_id, **record_fields(f), "sentence": sentence_of(page.text, f)} for f in facts]
    rows.indicators += indicator_values
    rows.checks += [check_row(report_id, c) for c in capped_checks(checks + indicator_checks)]
    return rows


def read_report_safely(capture: Capture, data: bytes, entry: dict[str, str], taxonomy: list[Indicator],
                       attachments: list[tuple[Capture, bytes]] = ()) -> ReportRows:
    """read_report, with any unexpected failure, and a parse beyond its time budget, turned into an error
    check so the build goes on."""
    try:
        with time_budget(PARSE_SECONDS):
            return read_report(capture, data, entry, taxonomy, attachments)
    except ParseTimeout:
        log.error("parse of %s cut off after %d s", capture.url or capture.path, PARSE_SECONDS)
        message = f"{capture.url or capture.path}: parse cut off after {PARSE_SECONDS} s; nothing of it is kept"
        check = Check(PARSE_TIMEOUT, "error", message, value=PARSE_SECONDS, limit=PARSE_SECONDS)
        return ReportRows(checks=[check_row(report_id_for(capture), check)])
    except Exception as err:  # one broken page must never stop the other reports
        log.exception("failed to build %s", capture.url or capture.path)
        message = f"{capture.url or capture.path}: {type(err).__name__}: {err}"
        return ReportRows(checks=[check_row(report_id_for(capture), Check("build_failed", "error", message))])


def read_archived(archive: Archive, capture: Capture, entry: dict[str, str], attachments: Sequence[Capture],
                  taxonomy: list[Indicator]) -> ReportRows:
    """read_report_safely on an archived capture; archive files that cannot be read become an error check."""
    try:
        data = archive.read(capture)
        attached = [(a, archive.read(a)) for a in attachments]
    except OSError as err:
        message = f"{capture.url or capture.path}: cannot read the archived capture: {err}"
        return ReportRows(checks=[check_row(report_id_for(capture), Check("build_failed", "error", message))])
    return read_report_safely(capture, data, entry, taxonomy, attached)


def inspect_capture(capture: Capture, data: bytes) -> dict:
    """One capture parsed on its own: {"report": ..., "sections": [...], "facts": [...]} (plus checks)."""
    rows = read_report(capture, data, {}, load_taxonomy())
    return {"report": rows.reports[0] if rows.reports else None, "sections": rows.sections, "facts": rows.facts,
            "checks": rows.checks}
