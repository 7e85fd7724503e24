"""The build: archived captures -> report records, sections, facts, indicators, checks -> validated files.

Each capture is read by `read_report`, a pure function of its bytes and catalogue entry, so one broken page
only costs a row in `checks` and never stops the other reports.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import pickle
import resource
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from logging.handlers import RotatingFileHandler
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from pipeline.adapters import PageError, read_page
from pipeline.archive import Archive
from pipeline.cache import (
    RowCache,
    capture_key,
    default_cache_dir,
    encode_rows,
    inputs_digest,
    matching_stamp,
    parser_version,
    write_stamp,
)
from pipeline.catalogue import read_catalogue
from pipeline.checks import consistency_checks
from pipeline.codebook import codebook_markdown
from pipeline.export import export_tables
from pipeline.extract import extract_facts
from pipeline.indicators import Indicator, assign_indicators, indicator_rows, load_taxonomy
from pipeline.model import Capture, Check, Page
from pipeline.report import make_report
from pipeline.schemas import TABLES, typed_frame
from pipeline.sections import section_for, split_sections
from pipeline.table_facts import table_facts
from pipeline.validate import ValidationResult, validate_tables

log = logging.getLogger(__name__)
TABLE_SECTION = "0"  # section_id of facts read from tables, which have no place in the text
STUB_CHARS = 300  # a page with less main text than this that links to attachments is read from them
POOL_MIN_JOBS = 16  # fewer captures are read in this process: starting a pool costs more
BATCH_REPORTS = 250  # most captures a process reads and types into frames at a time
STRING_STORAGE = "pyarrow"  # pandas string columns of the built frames
FAILED_CHECKS = {"unreadable_page", "build_failed"}  # checks that mean a page could not be read
SORT_KEYS = {
    "reports": ["report_id"], "sections": ["report_id", "char_start", "level"], "facts": ["fact_id"],
    "indicators": ["report_id", "indicator_id"], "checks": ["report_id", "fact_id", "check", "message"],
}


class ReleaseBlocked(Exception):
    """Validation failed: nothing was written; the message names table, column and rows."""

    result: BuildResult | None = None  # the tables and what validation found, for the run summary


@dataclass
class ReportRows:
    """Everything one capture contributes to the tables."""

    reports: list[dict] = field(default_factory=list)
    sections: list[dict] = field(default_factory=list)
    facts: list[dict] = field(default_factory=list)
    indicators: list[dict] = field(default_factory=list)
    checks: list[dict] = field(default_factory=list)


@dataclass
class BuildStats:
    """How a build went, for the log, processed/RUN.json and the benchmark."""

    reports: int = 0  # report captures in the archive
    cache_hits: int = 0
    cache_misses: int = 0  # captures parsed by this build
    failed_new: int = 0  # captures parsed by this build that could not be read (unreadable_page, build_failed)
    workers: int = 1  # processes that parsed
    outputs_reused: bool = False  # nothing new: validation and export skipped, the files from last time kept
    seconds: dict[str, float] = field(default_factory=dict)
    peak_mb: dict[str, float] = field(default_factory=dict)  # this process's peak memory after each step

    def as_dict(self) -> dict:
        """The stats as plain JSON-ready values."""
        return asdict(self)


@dataclass
class BuildResult:
    """The built tables, what validation found, and the files written (none when blocked)."""

    frames: dict[str, pd.DataFrame]
    validation: ValidationResult
    written: list[Path] = field(default_factory=list)
    stats: BuildStats = field(default_factory=BuildStats)


def record_fields(record: object) -> dict:
    """A flat record's fields as a dict; dataclasses.asdict deep-copies and costs 30x more per fact."""
    return dict(vars(record))


def report_id_for(capture: Capture) -> str:
    """A report id that survives rebuilds: derived from the URL, or the bytes when the URL is unknown."""
    key = capture.url or capture.sha256
    return "r" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


def _check_row(report_id: str, check: Check) -> dict:
    return {"report_id": report_id, **record_fields(check)}


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
        rows.checks.append(_check_row(report_id, Check("unreadable_page", "error", f"{where}: {err}")))
        return rows
    report, checks = make_report(page, capture, entry)
    checks = page.checks + checks
    report.report_id, report.n_chars = report_id, len(page.text)
    sections = split_sections(page.text)
    facts = extract_facts(page.text)
    for fact in facts:
        fact.section_id = section_for(sections, fact.char_start)
    for fact in table_facts(page.tables):  # after the text's facts; no offsets, so section "0" (facts schema)
        fact.section_id = TABLE_SECTION
        facts.append(fact)
    for n, fact in enumerate(facts, start=1):
        fact.fact_id = f"{report_id}-{n:04d}"
    assign_indicators(facts, page.text, taxonomy)
    checks += consistency_checks(report, facts, page.text)
    indicator_values, indicator_checks = indicator_rows(report, facts, taxonomy)
    report.n_facts = len(facts)
    rows.reports.append(record_fields(report))
    rows.sections += [{"report_id": report_id, **record_fields(s)} for s in sections]
    rows.facts += [{"report_id": report_id, **record_fields(f)} for f in facts]
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


@dataclass(frozen=True)
class ParseJob:
    """One capture to parse; small, so it is cheap to send to a worker, which reads the bytes itself."""

    raw_dir: Path
    capture: Capture
    entry: dict[str, str]
    attachments: tuple[Capture, ...]
    key: str  # cache key: bytes, provenance, catalogue entry, attachments and parser version


def _catalogue_index(rows: list[dict[str, str]]) -> tuple[dict[str, int], dict[str, int]]:
    """Position of the first report row of each URL and of each sha256 (catalogue_entry's choice, in O(1))."""
    by_url: dict[str, int] = {}
    by_sha: dict[str, int] = {}
    for n, row in enumerate(rows):
        if row["kind"] == "report":
            if row["url"]:
                by_url.setdefault(row["url"], n)
            if row["sha256"]:
                by_sha.setdefault(row["sha256"], n)
    return by_url, by_sha


def _attachment_captures(captures: list[Capture]) -> dict[str, list[Capture]]:
    found: dict[str, list[Capture]] = {}
    for capture in captures:
        if capture.kind == "attachment" and capture.parent_url:
            found.setdefault(capture.parent_url, []).append(capture)
    return found


def parse_plan(raw_dir: Path, version: str | None = None) -> list[ParseJob]:
    """A job for every report capture in the archive (the newest capture of each page), in archive order."""
    raw_dir = Path(raw_dir)
    catalogue = read_catalogue(raw_dir / "sources.csv")
    by_url, by_sha = _catalogue_index(catalogue)
    captures = Archive(raw_dir).latest_captures()
    attachments = _attachment_captures(captures)
    version = version or parser_version()
    jobs = []
    for capture in captures:
        if capture.kind != "report":
            continue
        found = [n for n in (by_url.get(capture.url) if capture.url else None,
                             by_sha.get(capture.sha256) if capture.sha256 else None) if n is not None]
        entry = catalogue[min(found)] if found else {}
        attached = tuple(attachments.get(capture.url, []))
        jobs.append(ParseJob(raw_dir, capture, entry, attached, capture_key(capture, entry, list(attached), version)))
    return jobs


def parse_capture(job: ParseJob, taxonomy: list[Indicator]) -> ReportRows:
    """read_report_safely on one job, its bytes and its attachments' read from the archive."""
    archive = Archive(job.raw_dir)
    try:
        data = archive.read(job.capture)
        attachments = [(a, archive.read(a)) for a in job.attachments]
    except OSError as err:
        message = f"{job.capture.url or job.capture.path}: cannot read the archived capture: {err}"
        return ReportRows(checks=[_check_row(report_id_for(job.capture), Check("build_failed", "error", message))])
    return read_report_safely(job.capture, data, job.entry, taxonomy, attachments)


def _parse_and_store(job: ParseJob, taxonomy: list[Indicator], cache: RowCache | None) -> dict[str, list[dict]]:
    """The job's rows by table, saved in the cache unless parsing failed unexpectedly (that may be transient)."""
    parsed = parse_capture(job, taxonomy)
    rows = {table: getattr(parsed, table) for table in TABLES}
    if cache is not None and not any(c["check"] == "build_failed" for c in rows["checks"]):
        cache.store(job.key, encode_rows(rows))
    return rows


def _rows_for(job: ParseJob, taxonomy: list[Indicator], cache: RowCache | None,
              stats: BuildStats) -> dict[str, list[dict]]:
    """The job's rows by table: from the cache when there (a corrupt entry counts as missing), else parsed."""
    rows = cache.load(job.key, TABLES) if cache is not None and cache.path(job.key).is_file() else None
    if rows is not None:
        stats.cache_hits += 1
        return rows
    rows = _parse_and_store(job, taxonomy, cache)
    stats.cache_misses += 1
    stats.failed_new += any(c["check"] in FAILED_CHECKS for c in rows["checks"])
    return rows


def collect_rows(raw_dir: Path, taxonomy: list[Indicator], *, cache: RowCache | None = None,
                 stats: BuildStats | None = None) -> ReportRows:
    """Rows of every report capture in the archive (the newest capture of each page)."""
    stats = stats if stats is not None else BuildStats()
    total = ReportRows()
    jobs = parse_plan(raw_dir, cache.version if cache else None)
    stats.reports = len(jobs)
    for job in jobs:
        rows = _rows_for(job, taxonomy, cache, stats)
        for table in TABLES:
            getattr(total, table).extend(rows[table])
    return total


def sorted_frame(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame in the table's deterministic order."""
    return frame.sort_values(SORT_KEYS[table], kind="stable", na_position="first").reset_index(drop=True)


def frames_from_rows(rows: ReportRows) -> dict[str, pd.DataFrame]:
    """Typed, deterministically ordered frames of every table."""
    return {table: sorted_frame(table, typed_frame(table, getattr(rows, table))) for table in TABLES}


def _batch_frames(jobs: list[ParseJob], taxonomy: list[Indicator],
                  cache: RowCache | None) -> tuple[dict[str, pd.DataFrame], BuildStats]:
    """Typed frames of a batch of jobs, and its cache hits and misses. Strings are Arrow-backed: a third of
    the memory of Python strings, and cheap to send between processes."""
    stats = BuildStats()
    pending: dict[str, list[dict]] = {table: [] for table in TABLES}
    for job in jobs:
        rows = _rows_for(job, taxonomy, cache, stats)
        for table in TABLES:
            pending[table].extend(rows[table])
    with pd.option_context("mode.string_storage", STRING_STORAGE):
        return {table: typed_frame(table, pending[table]) for table in TABLES}, stats


_WORKER: dict = {}


def _init_worker(taxonomy: list[Indicator], cache: RowCache | None) -> None:
    """Per parse process: the taxonomy and cache once; log files inherited from the parent never rotated
    here (only the parent rotates, or two processes would rename the same file)."""
    _WORKER.update(taxonomy=taxonomy, cache=cache)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, RotatingFileHandler):
            handler.maxBytes = 0


def _batch_job(jobs: list[ParseJob]) -> tuple[dict[str, pd.DataFrame], BuildStats]:
    return _batch_frames(jobs, _WORKER["taxonomy"], _WORKER["cache"])


def _batches(jobs: list[ParseJob], workers: int) -> list[list[ParseJob]]:
    """Jobs cut into batches: at most BATCH_REPORTS, and several per worker so all finish together."""
    size = max(1, min(BATCH_REPORTS, -(-len(jobs) // (workers * 4))))
    return [jobs[i:i + size] for i in range(0, len(jobs), size)]


def _frames_of_batches(batches: list[list[ParseJob]], taxonomy: list[Indicator], cache: RowCache | None,
                       workers: int) -> Iterator[tuple[dict[str, pd.DataFrame], BuildStats]]:
    """Each batch's frames in batch order, by `workers` processes (here when 1). Workers read the bytes and
    cache entries themselves and write their own entries; if the pool dies, the rest is done here."""
    done = 0
    if workers > 1:
        try:
            with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(taxonomy, cache)) as pool:
                for result in pool.map(_batch_job, batches):
                    done += 1
                    yield result
        except BrokenProcessPool as err:
            log.warning("a parse process died (%s); reading the other %d batches in this process",
                        err, len(batches) - done)
    for batch in batches[done:]:
        yield _batch_frames(batch, taxonomy, cache)


def collect_frames(jobs: list[ParseJob], taxonomy: list[Indicator], cache: RowCache | None = None,
                   workers: int = 1, stats: BuildStats | None = None) -> dict[str, pd.DataFrame]:
    """frames_from_rows of every job's rows (strings Arrow-backed), built in batches, by a process pool when
    there are at least POOL_MIN_JOBS jobs: row dicts take several times the memory of typed columns, so
    those of a large archive never pile up, and loading or parsing uses every core."""
    stats = stats if stats is not None else BuildStats()
    stats.reports, stats.workers = len(jobs), workers if workers > 1 and len(jobs) >= POOL_MIN_JOBS else 1
    chunks: dict[str, list[pd.DataFrame]] = {table: [] for table in TABLES}
    for frames, counts in _frames_of_batches(_batches(jobs, stats.workers), taxonomy, cache, stats.workers):
        stats.cache_hits += counts.cache_hits
        stats.cache_misses += counts.cache_misses
        stats.failed_new += counts.failed_new
        for table in TABLES:
            if len(frames[table]):
                chunks[table].append(frames[table])
    frames = {}
    with pd.option_context("mode.string_storage", STRING_STORAGE):
        for table in TABLES:  # one table at a time, its batches dropped once joined: a lower peak
            parts = chunks.pop(table)
            joined = pd.concat(parts, ignore_index=True) if parts else typed_frame(table, [])
            del parts
            frames[table] = sorted_frame(table, joined)
            del joined
    return frames


def package_sources(reports: pd.DataFrame) -> list[dict]:
    """The datapackage's sources: the sites the reports were taken from."""
    hosts = sorted({urlsplit(u).netloc for u in reports["url"].dropna() if u})
    sources = [{"title": host, "path": f"http://{host}/"} for host in hosts]
    return sources or [{"title": "Captures archived by hand, see raw/manifest.csv"}]


def _published_frames(out_dir: Path) -> dict[str, pd.DataFrame]:
    return {table: pd.read_parquet(out_dir / f"{table}.parquet") for table in TABLES}


def _reuse_outputs(cache_root: Path, out_dir: Path, digest: str, stats: BuildStats) -> BuildResult | None:
    """The last build's result when it was built from the same inputs and code and its files are intact."""
    stamp = matching_stamp(cache_root, out_dir, digest)
    if stamp is None:
        return None
    try:
        validation = pickle.loads(base64.b64decode(stamp["validation"]))
        frames = _published_frames(out_dir)
    except Exception as err:  # noqa: BLE001 - an unreadable stamp or file only means building again
        log.info("cannot reuse the outputs in %s (%s): building them again", out_dir, err)
        return None
    stats.outputs_reused = True
    log.info("nothing new since the last build into %s (same captures, same code, files intact): "
             "validation and export skipped", out_dir)
    return BuildResult(frames, validation, [out_dir / name for name in stamp["files"]], stats)


def build(raw_dir: Path, out_dir: Path, *, workers: int | None = None, cache_dir: Path | None = None,
          use_cache: bool = True) -> BuildResult:
    """Parse what the cache lacks, extract, validate and export; raises ReleaseBlocked (writing nothing) when
    validation fails. With nothing new since the last build into `out_dir` (same captures, same code, its
    files intact) validation and export are skipped. `workers` parse processes (default: one per core)."""
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    stats, clock = BuildStats(), time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        stats.seconds[step] = round(time.perf_counter() - clock, 3)
        stats.peak_mb[step] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        clock = time.perf_counter()

    taxonomy = load_taxonomy()
    cache_root = Path(cache_dir) if cache_dir else default_cache_dir(raw_dir)
    cache = RowCache(cache_root) if use_cache else None
    if cache is not None:
        cache.drop_other_versions()
    jobs = parse_plan(raw_dir, cache.version if cache else None)
    stats.reports, digest = len(jobs), inputs_digest([job.key for job in jobs])
    if cache is not None and (reused := _reuse_outputs(cache_root, out_dir, digest, stats)):
        lap("reuse")
        return reused
    lap("plan")
    frames = collect_frames(jobs, taxonomy, cache, workers or os.cpu_count() or 1, stats)
    log.info("read %d report captures: %d from the cache, %d parsed by %d process(es)", stats.reports,
             stats.cache_hits, stats.cache_misses, stats.workers)
    lap("parse")
    validation = validate_tables(frames, docs_dir=out_dir / "validation")  # Data Docs, published when not blocked
    lap("validate")
    if not validation.success:
        lines = "\n".join("  " + f.describe() for f in validation.failures)
        blocked = ReleaseBlocked(f"validation failed, nothing was published:\n{lines}")
        blocked.result = BuildResult(frames, validation, [], stats)
        raise blocked
    written = export_tables(frames, out_dir, package_sources(frames["reports"]), codebook_markdown(taxonomy))
    lap("export")
    if cache is not None:
        docs = sorted(p for p in (out_dir / "validation").rglob("*") if p.is_file())
        write_stamp(cache_root, out_dir, digest, written + docs,
                    {"validation": base64.b64encode(pickle.dumps(validation)).decode()})
    return BuildResult(frames, validation, written, stats)


def inspect_capture(capture: Capture, data: bytes) -> dict:
    """One capture parsed on its own: {"report": ..., "sections": [...], "facts": [...]} (plus checks)."""
    rows = read_report(capture, data, {}, load_taxonomy())
    return {"report": rows.reports[0] if rows.reports else None, "sections": rows.sections, "facts": rows.facts,
            "checks": rows.checks}
