"""The build: the archive's report captures -> parsed rows (pipeline/rows.py, cached, by a process pool)
-> typed tables -> validation -> files. This module assembles; it decides nothing about how a page parses.
"""

from __future__ import annotations

import base64
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

from pipeline.extract.indicators import Indicator, load_taxonomy
from pipeline.fetch.archive import Archive, withdrawn_captures
from pipeline.fetch.catalogue import read_catalogue, report_entries
from pipeline.model import Capture
from pipeline.publish.codebook import codebook_markdown
from pipeline.publish.derived import DerivedTableError, derived_inputs, write_derived
from pipeline.publish.export import export_tables
from pipeline.publish.schemas import TABLES, typed_frame
from pipeline.publish.validate import ValidationResult, validate_tables
from pipeline.rows import ReportRows, read_archived
from pipeline.run.cache import (
    RowCache,
    capture_key,
    default_cache_dir,
    encode_rows,
    inputs_digest,
    matching_stamp,
    parser_version,
    write_stamp,
)
from pipeline.run.mirrors import MirrorPlan, Record, group_mirrors, record_of

log = logging.getLogger(__name__)
POOL_MIN_JOBS = 16  # fewer captures are read in this process: starting a pool costs more
BATCH_REPORTS = 250  # most captures a process reads and types into frames at a time
STRING_STORAGE = "pyarrow"  # pandas string columns of the built frames
FAILED_CHECKS = {"unreadable_page", "build_failed"}  # checks that mean a page could not be read
SORT_KEYS = {
    "reports": ["report_id"], "sections": ["report_id", "char_start", "level"], "facts": ["fact_id"],
    "indicators": ["report_id", "indicator_id"], "checks": ["report_id", "fact_id", "check", "message"],
    "mirrors": ["report_id", "url", "raw_sha256"],
}


class ReleaseBlocked(Exception):
    """Validation failed: nothing was written; the message names table, column and rows."""

    result: BuildResult | None = None  # the tables and what validation found, for the run summary


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


@dataclass(frozen=True)
class ParseJob:
    """One capture to parse; small, so it is cheap to send to a worker, which reads the bytes itself."""

    raw_dir: Path
    capture: Capture
    entry: dict[str, str]
    attachments: tuple[Capture, ...]
    key: str  # cache key: bytes, provenance, catalogue entry, attachments and parser version


def _attachment_captures(captures: list[Capture]) -> dict[str, list[Capture]]:
    found: dict[str, list[Capture]] = {}
    for capture in captures:
        if capture.kind == "attachment" and capture.parent_url:
            found.setdefault(capture.parent_url, []).append(capture)
    return found


def parse_plan(raw_dir: Path, version: str | None = None) -> list[ParseJob]:
    """A job for every report capture in the archive (the newest capture of each page), in archive order."""
    raw_dir = Path(raw_dir)
    entry_for = report_entries(read_catalogue(raw_dir / "sources.csv"))
    captures = Archive(raw_dir).latest_captures(skip=withdrawn_captures(raw_dir))
    attachments = _attachment_captures(captures)
    version = version or parser_version()
    jobs = []
    for capture in captures:
        if capture.kind != "report":
            continue
        entry = entry_for(capture.url, capture.sha256)
        attached = tuple(attachments.get(capture.url, []))
        jobs.append(ParseJob(raw_dir, capture, entry, attached, capture_key(capture, entry, list(attached), version)))
    return jobs


def parse_capture(job: ParseJob, taxonomy: list[Indicator]) -> ReportRows:
    """The rows of one job's capture, its bytes and its attachments' read from the archive."""
    return read_archived(Archive(job.raw_dir), job.capture, job.entry, job.attachments, taxonomy)


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
    records = []
    for job in jobs:
        rows = _rows_for(job, taxonomy, cache, stats)
        records.append(record_of(rows, job.capture.fetched_at))
        for table in TABLES:
            getattr(total, table).extend(rows[table])
    plan = group_mirrors([r for r in records if r])
    for table in TABLES:
        setattr(total, table, [row for row in getattr(total, table) if not _mirrored(table, row, plan)])
    total.mirrors, total.checks = plan.mirrors, total.checks + plan.checks
    return total


def sorted_frame(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame in the table's deterministic order."""
    return frame.sort_values(SORT_KEYS[table], kind="stable", na_position="first").reset_index(drop=True)


def frames_from_rows(rows: ReportRows) -> dict[str, pd.DataFrame]:
    """Typed, deterministically ordered frames of every table."""
    return {table: sorted_frame(table, typed_frame(table, getattr(rows, table))) for table in TABLES}


def _batch_frames(jobs: list[ParseJob], taxonomy: list[Indicator],
                  cache: RowCache | None) -> tuple[dict[str, pd.DataFrame], BuildStats, list[Record]]:
    """Typed frames of a batch of jobs, its cache hits and misses, and each capture's small identity record
    (for grouping mirrors). Strings are Arrow-backed: a third of the memory of Python strings, and cheap to
    send between processes."""
    stats = BuildStats()
    pending: dict[str, list[dict]] = {table: [] for table in TABLES}
    records = []
    for job in jobs:
        rows = _rows_for(job, taxonomy, cache, stats)
        if record := record_of(rows, job.capture.fetched_at):
            records.append(record)
        for table in TABLES:
            pending[table].extend(rows[table])
    with pd.option_context("mode.string_storage", STRING_STORAGE):
        return {table: typed_frame(table, pending[table]) for table in TABLES}, stats, records


_WORKER: dict = {}


def _init_worker(taxonomy: list[Indicator], cache: RowCache | None) -> None:
    """Per parse process: the taxonomy and cache once; log files inherited from the parent never rotated
    here (only the parent rotates, or two processes would rename the same file)."""
    _WORKER.update(taxonomy=taxonomy, cache=cache)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, RotatingFileHandler):
            handler.maxBytes = 0


def _batch_job(jobs: list[ParseJob]) -> tuple[dict[str, pd.DataFrame], BuildStats, list[Record]]:
    return _batch_frames(jobs, _WORKER["taxonomy"], _WORKER["cache"])


def _batches(jobs: list[ParseJob], workers: int) -> list[list[ParseJob]]:
    """Jobs cut into batches: at most BATCH_REPORTS, and several per worker so all finish together."""
    size = max(1, min(BATCH_REPORTS, -(-len(jobs) // (workers * 4))))
    return [jobs[i:i + size] for i in range(0, len(jobs), size)]


def _frames_of_batches(batches: list[list[ParseJob]], taxonomy: list[Indicator], cache: RowCache | None,
                       workers: int) -> Iterator[tuple[dict[str, pd.DataFrame], BuildStats, list[Record]]]:
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
    records: list[Record] = []
    for frames, counts, batch_records in _frames_of_batches(_batches(jobs, stats.workers), taxonomy, cache,
                                                            stats.workers):
        records += batch_records
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
    return without_mirrors(frames, group_mirrors(records))


def _mirrored(table: str, row: dict, plan: MirrorPlan) -> bool:
    """A row a mirror contributed and its report already has; a mirror's own capture checks (cut off, wrong
    charset) are kept, since they concern that capture."""
    return row["report_id"] in plan.dropped and not (table == "checks" and not row.get("fact_id"))


def _mirrored_rows(table: str, frame: pd.DataFrame, plan: MirrorPlan) -> pd.Series:
    """_mirrored over a frame."""
    dropped = frame["report_id"].isin(plan.dropped)
    return dropped & frame["fact_id"].notna() if table == "checks" else dropped


def without_mirrors(frames: dict[str, pd.DataFrame], plan: MirrorPlan) -> dict[str, pd.DataFrame]:
    """The tables with the rows of mirrored captures dropped, the mirrors table and the mirror checks added."""
    with pd.option_context("mode.string_storage", STRING_STORAGE):
        out = {table: frame[~_mirrored_rows(table, frame, plan)].reset_index(drop=True) if plan.dropped
               else frame for table, frame in frames.items()}
        out["mirrors"] = sorted_frame("mirrors", typed_frame("mirrors", plan.mirrors))
        if plan.checks:
            checks = pd.concat([out["checks"], typed_frame("checks", plan.checks)], ignore_index=True)
            out["checks"] = sorted_frame("checks", checks)
    return out


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
    stats.reports, digest = len(jobs), inputs_digest([job.key for job in jobs] + derived_inputs(raw_dir))
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
    try:  # captures, coverage, panel: from the written files and the archive
        written += write_derived(raw_dir, out_dir)
    except DerivedTableError as err:
        raise ReleaseBlocked(str(err)) from err
    lap("export")
    if cache is not None:
        docs = sorted(p for p in (out_dir / "validation").rglob("*") if p.is_file())
        write_stamp(cache_root, out_dir, digest, written + docs,
                    {"validation": base64.b64encode(pickle.dumps(validation)).decode()})
    return BuildResult(frames, validation, written, stats)
