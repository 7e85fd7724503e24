"""The build: the archive's report captures -> parsed rows (pipeline/rows.py, cached, by a process pool)
-> typed batches -> validation and files, batch by batch. This module assembles; it decides nothing about how
a page parses.
"""

from __future__ import annotations

import base64
import logging
import os
import pickle
import resource
import shutil
import tempfile
import time
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from itertools import islice
from logging.handlers import RotatingFileHandler
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.extract.indicators import Indicator, load_taxonomy
from pipeline.fetch.archive import Archive, withdrawn_captures
from pipeline.fetch.catalogue import read_catalogue, report_entries
from pipeline.model import Capture
from pipeline.publish.codebook import codebook_markdown
from pipeline.publish.derived import DerivedTableError, derived_inputs, write_derived
from pipeline.publish.export import TableWriter, table_paths, write_package
from pipeline.publish.schemas import TABLES, typed_frame
from pipeline.publish.validate import Failure, TableValidator, ValidationResult, row_counts_of
from pipeline.rows import ReportRows, read_archived, report_id_for
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
from pipeline.run.mirrors import MirrorPlan, Record, RecordSpool, group_mirrors, record_of, spooled_plan
from pipeline.run.progress import progress_bar

log = logging.getLogger(__name__)
POOL_MIN_JOBS = 16  # fewer captures are read in this process: starting a pool costs more
BATCH_REPORTS = 100  # most captures a process reads and types into frames at a time
IN_FLIGHT = 2  # batches per parse process sent ahead of the one being written
STRING_STORAGE = "pyarrow"  # pandas string columns of the built frames
FAILED_CHECKS = {"unreadable_page", "build_failed", "parse_timeout"}  # checks that mean a page could not be read
TRANSIENT_CHECKS = {"build_failed", "parse_timeout"}  # may not happen again (a bug fixed, a busy machine): not cached
SORT_KEYS = {
    "reports": ["report_id"], "sections": ["report_id", "char_start", "level"], "facts": ["fact_id"],
    "indicators": ["report_id", "indicator_id"], "checks": ["report_id", "fact_id", "check", "message"],
    "mirrors": ["report_id", "raw_sha256"],
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
    """Rows per table, checks by severity, what validation found, and the files written (none when blocked).
    The tables themselves are in the files: a build never holds them in memory whole."""

    rows: dict[str, int]
    severities: dict[str, int]  # checks by severity
    check_counts: dict[str, int]  # checks by name (unreadable_page ...)
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
    """A job for every report capture in the archive (the newest capture of each page), ordered by report id:
    every table is sorted by report id first, so batches taken in this order and sorted each within itself
    are the tables in their final order, and can be written as they come."""
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
    return sorted(jobs, key=lambda job: report_id_for(job.capture))


def parse_capture(job: ParseJob, taxonomy: list[Indicator]) -> ReportRows:
    """The rows of one job's capture, its bytes and its attachments' read from the archive."""
    return read_archived(Archive(job.raw_dir), job.capture, job.entry, job.attachments, taxonomy)


def _parse_and_store(job: ParseJob, taxonomy: list[Indicator], cache: RowCache | None) -> dict[str, list[dict]]:
    """The job's rows by table, saved in the cache unless parsing failed unexpectedly (that may be transient)."""
    parsed = parse_capture(job, taxonomy)
    rows = {table: getattr(parsed, table) for table in TABLES}
    if cache is not None and not any(c["check"] in TRANSIENT_CHECKS for c in rows["checks"]):
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


Batch = tuple[dict[str, pd.DataFrame], BuildStats, list[Record]]


def _batch_frames(jobs: list[ParseJob], taxonomy: list[Indicator], cache: RowCache | None) -> Batch:
    """Typed frames of a batch of jobs, each in its table's order, the batch's cache hits and misses, and each
    capture's small identity record (for grouping mirrors). Strings are Arrow-backed: a third of the memory
    of Python strings, and cheap to send between processes."""
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
        return {table: sorted_frame(table, typed_frame(table, pending[table])) for table in TABLES}, stats, records


_WORKER: dict = {}


def _init_worker(taxonomy: list[Indicator], cache: RowCache | None) -> None:
    """Per parse process: the taxonomy and cache once; log files inherited from the parent never rotated
    here (only the parent rotates, or two processes would rename the same file)."""
    _WORKER.update(taxonomy=taxonomy, cache=cache)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, RotatingFileHandler):
            handler.maxBytes = 0


def _batch_job(jobs: list[ParseJob]) -> Batch:
    return _batch_frames(jobs, _WORKER["taxonomy"], _WORKER["cache"])


def _batches(jobs: list[ParseJob], workers: int) -> list[list[ParseJob]]:
    """Jobs cut into batches: at most BATCH_REPORTS, and several per worker so all finish together."""
    size = max(1, min(BATCH_REPORTS, -(-len(jobs) // (workers * 4))))
    return [jobs[i:i + size] for i in range(0, len(jobs), size)]


def _pooled(batches: list[list[ParseJob]], pool: ProcessPoolExecutor,
            workers: int) -> Iterator[Batch]:
    """Each batch's result in batch order, at most IN_FLIGHT batches per worker ahead of the one consumed:
    results the consumer has not taken yet never pile up in memory."""
    ahead = deque()
    todo = iter(batches)
    for batch in islice(todo, IN_FLIGHT * workers):
        ahead.append(pool.submit(_batch_job, batch))
    while ahead:
        result = ahead.popleft().result()
        if (batch := next(todo, None)) is not None:
            ahead.append(pool.submit(_batch_job, batch))
        yield result


def batch_frames(jobs: list[ParseJob], taxonomy: list[Indicator], cache: RowCache | None = None,
                 workers: int = 1, stats: BuildStats | None = None,
                 records: RecordSpool | list[Record] | None = None) -> Iterator[dict[str, pd.DataFrame]]:
    """The jobs' typed frames batch by batch, in job order, by `workers` processes when there are at least
    POOL_MIN_JOBS jobs (else here); cache hits and misses are added to `stats`, and the captures' identity
    records to `records`, as batches arrive. Workers
    read the bytes and cache entries themselves and write their own entries; if the pool dies, the rest is
    done here."""
    stats = stats if stats is not None else BuildStats()
    stats.reports, stats.workers = len(jobs), workers if workers > 1 and len(jobs) >= POOL_MIN_JOBS else 1
    batches = _batches(jobs, stats.workers)

    def counted(result: Batch) -> dict[str, pd.DataFrame]:
        frames, counts, batch_records = result
        if records is not None:
            records.extend(batch_records)
        stats.cache_hits += counts.cache_hits
        stats.cache_misses += counts.cache_misses
        stats.failed_new += counts.failed_new
        return frames

    done = 0
    if stats.workers > 1:
        try:
            with ProcessPoolExecutor(stats.workers, initializer=_init_worker, initargs=(taxonomy, cache)) as pool:
                for result in _pooled(batches, pool, stats.workers):
                    done += 1
                    yield counted(result)
        except BrokenProcessPool as err:
            log.warning("a parse process died (%s); reading the other %d batches in this process",
                        err, len(batches) - done)
    for batch in batches[done:]:
        yield counted(_batch_frames(batch, taxonomy, cache))


def report_hosts(reports: pd.DataFrame) -> set[str]:
    """The sites a batch of reports was taken from."""
    return {urlsplit(u).netloc for u in reports["url"].dropna() if u}


def package_sources(hosts: set[str]) -> list[dict]:
    """The datapackage's sources: the sites the reports were taken from."""
    sources = [{"title": host, "path": f"http://{host}/"} for host in sorted(hosts)]
    return sources or [{"title": "Captures archived by hand, see raw/manifest.csv"}]


def published_check_counts(out_dir: Path) -> tuple[dict[str, int], dict[str, int]]:
    """Checks by severity and by name in the written checks table (two columns read)."""
    checks = pq.read_table(out_dir / "checks.parquet", columns=["severity", "check"])
    return tuple({str(k): int(v) for k, v in Counter(checks.column(c).to_pylist()).items()}
                 for c in ("severity", "check"))


def _reuse_outputs(cache_root: Path, out_dir: Path, digest: str, stats: BuildStats) -> BuildResult | None:
    """The last build's result when it was built from the same inputs and code and its files are intact."""
    stamp = matching_stamp(cache_root, out_dir, digest)
    if stamp is None:
        return None
    try:
        validation = pickle.loads(base64.b64decode(stamp["validation"]))
        rows, (severities, names) = row_counts_of(out_dir), published_check_counts(out_dir)
    except Exception as err:  # noqa: BLE001 - an unreadable stamp or file only means building again
        log.info("cannot reuse the outputs in %s (%s): building them again", out_dir, err)
        return None
    stats.outputs_reused = True
    log.info("nothing new since the last build into %s (same captures, same code, files intact): "
             "validation and export skipped", out_dir)
    return BuildResult(rows, severities, names, validation, [out_dir / name for name in stamp["files"]], stats)


STAGING_PREFIX = ".building-"


def _staging_dir(out_dir: Path) -> Path:
    """A fresh folder in `out_dir` to write the tables in until validation passes (those left by a build that
    was killed are removed first)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for leftover in out_dir.glob(STAGING_PREFIX + "*"):
        shutil.rmtree(leftover, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))


def stream_tables(batches: Iterator[dict[str, pd.DataFrame]], staging: Path, validator: TableValidator,
                  on_batch=None) -> tuple[dict[str, int], Counter, Counter, set[str], list[str]]:
    """Write every batch's frames to the tables' files in `staging` and validate them as they pass; the rows
    per table, checks by severity and by name, the reports' hosts, and why a table could not be written."""
    writers = {table: TableWriter(table, staging / f"{table}.parquet", staging / f"{table}.csv")
               for table in TABLES}
    severities, names, hosts = Counter(), Counter(), set()
    try:
        for frames in batches:
            for table in TABLES:
                validator.add(table, frames[table])
                writers[table].write(frames[table])
            severities.update(frames["checks"]["severity"].dropna().tolist())
            names.update(frames["checks"]["check"].dropna().tolist())
            hosts |= report_hosts(frames["reports"])
            if on_batch is not None:
                on_batch(len(frames["reports"]))
    finally:
        for writer in writers.values():
            writer.close()
    errors = [writer.error for writer in writers.values() if writer.error]
    return {table: writer.rows for table, writer in writers.items()}, severities, names, hosts, errors


def _mirrored(table: str, row: dict, plan: MirrorPlan) -> bool:
    """A row a mirror contributed and its report already has; a mirror's own capture checks (cut off, wrong
    charset) are kept, since they concern that capture."""
    return row["report_id"] in plan.dropped and not (table == "checks" and not row.get("fact_id"))


REWRITE_ROWS = 8192  # rows read back at a time when a staged file is rewritten


def _kept_rows(table: str, batch: pa.RecordBatch, plan: MirrorPlan) -> pa.Table:
    """_mirrored over a batch read back from a staged file: the rows that stay."""
    dropped = pc.is_in(batch.column("report_id"), pa.array(sorted(plan.dropped), pa.string()))
    if table == "checks":
        dropped = pc.and_(dropped, pc.is_valid(batch.column("fact_id")))
    return pa.Table.from_batches([batch.filter(pc.invert(pc.fill_null(dropped, False)))])


@contextmanager
def _rewritten(table: str, staging: Path) -> Iterator[TableWriter]:
    """A fresh writer of `table` whose files replace the staged ones once the block has written it whole."""
    parquet, csv = staging / f"{table}.parquet", staging / f"{table}.csv"
    fresh = TableWriter(table, parquet.with_suffix(".new.parquet"), csv.with_suffix(".new.csv"))
    try:
        yield fresh
    finally:
        fresh.close()
    os.replace(parquet.with_suffix(".new.parquet"), parquet)
    os.replace(csv.with_suffix(".new.csv"), csv)


def _staged_batches(staging: Path, table: str) -> Iterator[pa.RecordBatch]:
    """A staged table read back REWRITE_ROWS rows at a time."""
    return pq.ParquetFile(staging / f"{table}.parquet").iter_batches(batch_size=REWRITE_ROWS)


def merged_checks(staged: Iterator[pd.DataFrame], added: pd.DataFrame) -> Iterator[pd.DataFrame]:
    """The staged checks (in the table's order) with `added` merged in, as one stable sort of both would
    order them, a batch at a time: each batch is sorted with the added checks of the same reports; the
    rows of a batch's last report wait for the next batch, which may hold more of them."""
    added = added.sort_values("report_id", kind="stable")
    held = added.iloc[:0]
    for frame in staged:
        frame = pd.concat([held, frame], ignore_index=True)
        if not len(frame):
            continue
        last = frame["report_id"].iloc[-1]
        ready, held = frame[frame["report_id"] != last], frame[frame["report_id"] == last]
        before = added["report_id"] < last
        yield sorted_frame("checks", pd.concat([ready, added[before]], ignore_index=True))
        added = added[~before]
    yield sorted_frame("checks", pd.concat([held, added], ignore_index=True))


def apply_mirrors(staging: Path, plan: MirrorPlan, validator: TableValidator) -> None:
    """One report, one row: the staged tables without the rows of mirrored captures, streamed back batch by
    batch in Arrow; the grouping's checks merged into the checks and validated, the mirrors table written."""
    if plan.dropped:
        for table in (t for t in TABLES if t not in {"mirrors", "checks"}):
            with _rewritten(table, staging) as writer:
                for batch in _staged_batches(staging, table):
                    writer.write_arrow(_kept_rows(table, batch, plan))
    with pd.option_context("mode.string_storage", STRING_STORAGE):
        added = typed_frame("checks", plan.checks)
        validator.add("checks", added)
        staged = (typed_frame("checks", _kept_rows("checks", batch, plan).to_pylist())
                  for batch in _staged_batches(staging, "checks"))
        with _rewritten("checks", staging) as writer:
            for frame in merged_checks(staged, added):
                writer.write(frame)
        mirrors = sorted_frame("mirrors", typed_frame("mirrors", plan.mirrors))
        validator.add("mirrors", mirrors)
        with _rewritten("mirrors", staging) as writer:
            writer.write(mirrors)


def _move_into(staging: Path, out_dir: Path) -> list[Path]:
    """The tables' files moved from `staging` into `out_dir` (each replaced whole)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    moved = []
    for path in table_paths(staging):
        os.replace(path, out_dir / path.name)
        moved.append(out_dir / path.name)
    return moved


def build(raw_dir: Path, out_dir: Path, *, workers: int | None = None, cache_dir: Path | None = None,
          use_cache: bool = True, progress: bool = False) -> BuildResult:
    """Parse what the cache lacks, extract, validate and export; raises ReleaseBlocked (writing nothing) when
    validation fails. With nothing new since the last build into `out_dir` (same captures, same code, its
    files intact) validation and export are skipped. `workers` parse processes (default: one per core).

    Batches of parsed rows go straight to the files and through validation, in the order of the plan (by
    report id), so memory is bounded by a batch, not by the archive. `progress` shows a bar on a terminal."""
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
    validator = TableValidator(docs_dir=out_dir / "validation")  # Data Docs, published when not blocked
    staging = _staging_dir(out_dir)
    try:
        records = RecordSpool(staging / ".records.parquet")
        with progress_bar("build", len(jobs), unit=" report", enabled=None if progress else False) as bar:
            batches = batch_frames(jobs, taxonomy, cache, workers or os.cpu_count() or 1, stats, records)
            _, _, _, hosts, unwritten = stream_tables(batches, staging, validator, bar.update)
        apply_mirrors(staging, spooled_plan(records), validator)
        rows = row_counts_of(staging)
        severities, names = (Counter(c) for c in published_check_counts(staging))
        log.info("read %d report captures: %d from the cache, %d parsed by %d process(es)", stats.reports,
                 stats.cache_hits, stats.cache_misses, stats.workers)
        lap("parse")
        validation = validator.finish({table: staging / f"{table}.parquet" for table in TABLES})
        validation.failures += [Failure(e.split(":")[0], "", "written_with_its_schema", (), (e,)) for e in unwritten]
        lap("validate")
        if not validation.success:
            lines = "\n".join("  " + f.describe() for f in validation.failures)
            blocked = ReleaseBlocked(f"validation failed, nothing was published:\n{lines}")
            blocked.result = BuildResult(rows, dict(severities), dict(names), validation, [], stats)
            raise blocked
        written = _move_into(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    written += write_package(out_dir, package_sources(hosts), codebook_markdown(taxonomy))
    try:  # captures, coverage, panel: from the written files and the archive
        written += write_derived(raw_dir, out_dir)
    except DerivedTableError as err:
        raise ReleaseBlocked(str(err)) from err
    lap("export")
    if cache is not None:
        docs = sorted(p for p in (out_dir / "validation").rglob("*") if p.is_file())
        write_stamp(cache_root, out_dir, digest, written + docs,
                    {"validation": base64.b64encode(pickle.dumps(validation)).decode()})
    return BuildResult(rows, dict(severities), dict(names), validation, written, stats)
