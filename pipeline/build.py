"""The build: archived captures -> report records, sections, facts, indicators, checks -> validated files.

Each capture is read by `read_report`, a pure function of its bytes and catalogue entry, so one broken page
only costs a row in `checks` and never stops the other reports.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from pipeline.adapters import PageError, read_page
from pipeline.archive import Archive
from pipeline.catalogue import catalogue_entry, read_catalogue
from pipeline.checks import consistency_checks
from pipeline.codebook import codebook_markdown
from pipeline.export import export_tables
from pipeline.extract import extract_facts
from pipeline.indicators import Indicator, assign_indicators, indicator_rows, load_taxonomy
from pipeline.model import Capture, Check, Page
from pipeline.report import make_report
from pipeline.schemas import TABLES, typed_frame
from pipeline.sections import section_for, split_sections
from pipeline.validate import ValidationResult, validate_tables

log = logging.getLogger(__name__)
STUB_CHARS = 300  # a page with less main text than this that links to attachments is read from them
SORT_KEYS = {
    "reports": ["report_id"], "sections": ["report_id", "char_start", "level"], "facts": ["fact_id"],
    "indicators": ["report_id", "indicator_id"], "checks": ["report_id", "fact_id", "check", "message"],
}


class ReleaseBlocked(Exception):
    """Validation failed: nothing was written; the message names table, column and rows."""


@dataclass
class ReportRows:
    """Everything one capture contributes to the tables."""

    reports: list[dict] = field(default_factory=list)
    sections: list[dict] = field(default_factory=list)
    facts: list[dict] = field(default_factory=list)
    indicators: list[dict] = field(default_factory=list)
    checks: list[dict] = field(default_factory=list)


@dataclass
class BuildResult:
    """The built tables, what validation found, and the files written (none when blocked)."""

    frames: dict[str, pd.DataFrame]
    validation: ValidationResult
    written: list[Path] = field(default_factory=list)


def report_id_for(capture: Capture) -> str:
    """A report id that survives rebuilds: derived from the URL, or the bytes when the URL is unknown."""
    key = capture.url or capture.sha256
    return "r" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def _check_row(report_id: str, check: Check) -> dict:
    return {"report_id": report_id, **asdict(check)}


def text_from_attachments(page: Page, attachments: list[tuple[Capture, bytes]]) -> Page:
    """For a stub page that only links to its report, the page with an attachment's text as main text."""
    if len(page.text) >= STUB_CHARS:
        return page
    for capture, data in attachments:
        try:
            attached = read_page(data, capture)
        except PageError:
            continue
        if len(attached.text) > len(page.text):
            page.text, page.tables = attached.text, page.tables + attached.tables
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
        rows.checks.append(_check_row(report_id, Check("unreadable_page", "error", f"{where}: {err}")))
        return rows
    report, checks = make_report(page, capture, entry)
    report.report_id, report.n_chars = report_id, len(page.text)
    sections = split_sections(page.text)
    facts = extract_facts(page.text)
    for n, fact in enumerate(facts, start=1):
        fact.fact_id, fact.section_id = f"{report_id}-{n:04d}", section_for(sections, fact.char_start)
    assign_indicators(facts, page.text, taxonomy)
    checks += consistency_checks(report, facts, page.text)
    indicator_values, indicator_checks = indicator_rows(report, facts, taxonomy)
    report.n_facts = len(facts)
    rows.reports.append(asdict(report))
    rows.sections += [{"report_id": report_id, **asdict(s)} for s in sections]
    rows.facts += [{"report_id": report_id, **asdict(f)} for f in facts]
    rows.indicators += indicator_values
    rows.checks += [_check_row(report_id, c) for c in checks + indicator_checks]
    return rows


def read_report_safely(capture: Capture, data: bytes, entry: dict[str, str], taxonomy: list[Indicator],
                       attachments: list[tuple[Capture, bytes]] = ()) -> ReportRows:
    """read_report, with any unexpected failure turned into an error check so the build goes on."""
    try:
        return read_report(capture, data, entry, taxonomy, attachments)
    except Exception as err:  # one broken page must never stop the other reports
        log.exception("failed to build %s", capture.url or capture.path)
        message = f"{capture.url or capture.path}: {type(err).__name__}: {err}"
        return ReportRows(checks=[_check_row(report_id_for(capture), Check("build_failed", "error", message))])


def _attachments_of(archive: Archive, captures: list[Capture]) -> dict[str, list[tuple[Capture, bytes]]]:
    found: dict[str, list[tuple[Capture, bytes]]] = {}
    for capture in captures:
        if capture.kind == "attachment" and capture.parent_url:
            found.setdefault(capture.parent_url, []).append((capture, archive.read(capture)))
    return found


def collect_rows(raw_dir: Path, taxonomy: list[Indicator]) -> ReportRows:
    """Rows of every report capture in the archive (the newest capture of each page)."""
    archive = Archive(raw_dir)
    catalogue = read_catalogue(raw_dir / "sources.csv")
    captures = archive.latest_captures()
    attachments = _attachments_of(archive, captures)
    total = ReportRows()
    for capture in captures:
        if capture.kind != "report":
            continue
        entry = catalogue_entry(catalogue, capture.url, capture.sha256)
        rows = read_report_safely(capture, archive.read(capture), entry, taxonomy, attachments.get(capture.url, []))
        for table in TABLES:
            getattr(total, table).extend(getattr(rows, table))
    return total


def frames_from_rows(rows: ReportRows) -> dict[str, pd.DataFrame]:
    """Typed, deterministically ordered frames of every table."""
    frames = {}
    for table in TABLES:
        frame = typed_frame(table, getattr(rows, table))
        frames[table] = frame.sort_values(SORT_KEYS[table], kind="stable", na_position="first").reset_index(drop=True)
    return frames


def package_sources(reports: pd.DataFrame) -> list[dict]:
    """The datapackage's sources: the sites the reports were taken from."""
    hosts = sorted({urlsplit(u).netloc for u in reports["url"].dropna() if u})
    sources = [{"title": host, "path": f"http://{host}/"} for host in hosts]
    return sources or [{"title": "Captures archived by hand, see raw/manifest.csv"}]


def build(raw_dir: Path, out_dir: Path) -> BuildResult:
    """Parse, extract, validate and export; raises ReleaseBlocked (writing nothing) when validation fails."""
    taxonomy = load_taxonomy()
    frames = frames_from_rows(collect_rows(raw_dir, taxonomy))
    validation = validate_tables(frames)
    if not validation.success:
        lines = "\n".join("  " + f.describe() for f in validation.failures)
        raise ReleaseBlocked(f"validation failed, nothing was published:\n{lines}")
    written = export_tables(frames, out_dir, package_sources(frames["reports"]), codebook_markdown(taxonomy))
    return BuildResult(frames, validation, written)


def inspect_capture(capture: Capture, data: bytes) -> dict:
    """One capture parsed on its own: {"report": ..., "sections": [...], "facts": [...]} (plus checks)."""
    rows = read_report(capture, data, {}, load_taxonomy())
    return {"report": rows.reports[0] if rows.reports else None, "sections": rows.sections, "facts": rows.facts,
            "checks": rows.checks}
