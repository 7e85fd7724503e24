"""Unattended runs: one at a time, logs that rotate, an exit status cron can act on, and processed/RUN.json
saying what the last run did.

`python -m pipeline all --cron` exits with
  0   built (and released, or nothing new to release),
  1   nothing published: validation blocked the build, or the release failed,
  3   built and released, but some pages failed: a fetch failed in this run, or a capture parsed for the
      first time could not be read (an unreadable page counts once, when it is new, not on every run),
  75  another run holds the lock (EX_TEMPFAIL: nothing was done; the next scheduled run tries again).
`fetch`, `build`, `add`, `withdraw` and `all` without --cron take the same lock; without --cron, `all` exits 0 or 1.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from logging.handlers import RotatingFileHandler
from pathlib import Path

from pipeline.fetch.archive import now_utc, write_atomically

EXIT_OK, EXIT_BLOCKED, EXIT_PAGES_FAILED, EXIT_LOCKED = 0, 1, 3, 75
LOCK_NAME = ".pipeline.lock"  # in the raw dir: runs on the same archive exclude each other
LOG_NAME = "pipeline.log"
LOG_BYTES, LOG_BACKUPS = 5 * 1024 * 1024, 10
RUN_FILE = "RUN.json"
log = logging.getLogger(__name__)


class AlreadyRunning(RuntimeError):
    """Another run holds the lock; the message names it."""


@contextlib.contextmanager
def run_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` for the block, or raise AlreadyRunning at once. The kernel drops
    the lock when the process ends, crash or kill included, so a stale lock file never blocks a run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held open for the whole block
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown process"
        handle.close()
        raise AlreadyRunning(f"another run is in progress ({holder}; lock {path}): exiting, nothing done") from None
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {now_utc()}\n")
        handle.flush()
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def run_exclusively(args: argparse.Namespace) -> int:
    """Run the subcommand under the raw dir's lock; exit EXIT_LOCKED with a message when another run has it."""
    try:
        with run_lock(Path(args.raw_dir) / LOCK_NAME):
            return args.func(args)
    except AlreadyRunning as err:
        log.error("%s", err)
        print(f"error: {err}", file=sys.stderr)
        return EXIT_LOCKED


def cron_logging(log_dir: Path, verbose: bool = False) -> Path:
    """Log everything to log_dir/pipeline.log (rotated at 5 MB, 10 kept) and only warnings and errors to
    stderr, so cron mails problems only; plain text, no colour, no progress bars. Returns the log file."""
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / LOG_NAME
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_pipeline_cron", False)]:
        root.removeHandler(old)
        old.close()
    to_file = RotatingFileHandler(path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8")
    to_file.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    to_file.setLevel(logging.DEBUG if verbose else logging.INFO)
    to_stderr = logging.StreamHandler(sys.stderr)
    to_stderr.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    to_stderr.setLevel(logging.WARNING)
    for handler in (to_file, to_stderr):
        handler._pipeline_cron = True
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    return path


@dataclass
class RunRecord:
    """What processed/RUN.json says: the last command that changed processed/ (`all`, `build` or `release`:
    command, times, status, exit status) and what processed/ holds (pages, rows, checks, validation, release)."""

    command: str
    started: str
    finished: str = ""
    seconds: float = 0.0
    status: str = "running"  # ok | pages_failed | blocked | release_failed | crashed
    exit_status: int | None = None
    pages: dict = field(default_factory=dict)  # fetch outcomes of this run
    pages_unreadable: int = 0  # report pages in the build that could not be read
    pages_unreadable_new: int = 0  # ... of which parsed for the first time in this run
    reports: int = 0
    sections: int = 0
    facts: int = 0
    indicators: int = 0
    checks: dict[str, int] = field(default_factory=dict)  # by severity
    build: dict = field(default_factory=dict)  # cache hits and misses, processes, seconds per step
    validation: dict = field(default_factory=dict)
    release: dict = field(default_factory=dict)
    error: str = ""
    log_file: str = ""


def record_fetch(record: RunRecord, summary) -> None:
    """The fetch summary's totals in the record."""
    record.pages = {"fetched": summary.fetched, "unchanged": summary.unchanged, "skipped": summary.skipped,
                    "failed": summary.failed, "discovered": summary.discovered, "notes": list(summary.notes)}


def record_build(record: RunRecord, result, blocked: bool) -> None:
    """Row counts, checks by severity, unreadable pages, cache use and validation outcome in the record."""
    from pipeline.run.build import FAILED_CHECKS

    for table in ("reports", "sections", "facts", "indicators"):
        setattr(record, table, result.rows[table])
    record.checks = {level: result.severities.get(level, 0) for level in ("error", "warning", "info")}
    record.pages_unreadable = sum(result.check_counts.get(name, 0) for name in FAILED_CHECKS)
    record.pages_unreadable_new = result.stats.failed_new
    record.build = result.stats.as_dict()
    v = result.validation
    record.validation = {"blocked": blocked, "expectations": sum(v.evaluated.values()),
                         "failures": [f.describe() for f in v.failures],
                         "warnings": [f.describe() for f in getattr(v, "warnings", [])]}


def release_hook(out_dir: Path) -> dict:
    """Release the build with pipeline.publish.release.write_release; {"written", "path", "message"}, "ok" False when
    the release failed (a release that finds nothing new is ok)."""
    try:
        from pipeline.publish.release import write_release
    except ImportError as err:
        return {"ok": False, "written": False, "path": None, "message": f"no release module: {err}"}
    try:
        result = write_release(out_dir)
    except Exception as err:  # noqa: BLE001 - recorded in RUN.json and the exit status, never a lost summary
        log.exception("the release failed")
        return {"ok": False, "written": False, "path": None, "message": f"{type(err).__name__}: {err}"}
    return release_outcome(result)


def release_outcome(result) -> dict:
    """A release's result as RUN.json records it: {"ok", "written", "path", "message"}."""
    return {"ok": result.path is not None, "written": result.written,
            "path": str(result.path) if result.path else None, "message": result.message}


def write_run_record(out_dir: Path, record: RunRecord) -> Path:
    """processed/RUN.json, written atomically (also when the run was blocked or crashed)."""
    path = out_dir / RUN_FILE
    write_atomically(path, (json.dumps(asdict(record), ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
    return path


def read_run_record(out_dir: Path) -> RunRecord | None:
    """The RunRecord in processed/RUN.json, None when there is none or it cannot be read (unknown keys dropped)."""
    try:
        data = json.loads((out_dir / RUN_FILE).read_text(encoding="utf-8"))
        return RunRecord(**{k: v for k, v in data.items() if k in RunRecord.__dataclass_fields__})
    except (OSError, ValueError, TypeError):
        return None


@contextlib.contextmanager
def recorded_run(out_dir: Path, command: str, *, keep: bool = False) -> Iterator[RunRecord]:
    """A RunRecord for the block, written to OUT_DIR/RUN.json whatever happens (status `crashed` on an
    exception). With `keep`, it starts from the record there: a release adds its outcome to the build's."""
    previous = read_run_record(out_dir) if keep else None
    record = previous or RunRecord(command=command, started="")
    record.command, record.started, record.finished, record.error = command, now_utc(), "", ""
    record.status, record.exit_status = "running", None
    clock = time.monotonic()
    try:
        yield record
    except BaseException as err:
        record.status, record.error = "crashed", f"{type(err).__name__}: {err}"
        raise
    finally:
        record.finished, record.seconds = now_utc(), round(time.monotonic() - clock, 1)
        write_run_record(out_dir, record)


def exit_status(record: RunRecord, cron: bool) -> tuple[str, int]:
    """(status, exit code) of a finished run."""
    if record.validation.get("blocked"):
        return "blocked", EXIT_BLOCKED
    if record.release and not record.release.get("ok"):
        return "release_failed", EXIT_BLOCKED
    if record.pages.get("failed") or record.pages_unreadable_new:
        return "pages_failed", EXIT_PAGES_FAILED if cron else EXIT_OK
    return "ok", EXIT_OK


def run_all(args: argparse.Namespace) -> int:
    """Fetch, build and (with --cron) release, recording the run in OUT_DIR/RUN.json whatever happens."""
    from pipeline.fetch.crawl import run_fetch
    from pipeline.run.build import ReleaseBlocked, build
    from pipeline.run.progress import progress_bar

    cron, out_dir, raw_dir = args.cron, Path(args.out_dir), Path(args.raw_dir)

    def say(text: str) -> None:  # the terminal gets tables; under cron they go to the log file only
        if cron:
            log.info("%s", text)
        else:
            print(text, file=sys.stderr)

    with recorded_run(out_dir, "all" + (" --cron" if cron else "")) as record:
        record.log_file = str(Path(args.log_dir) / LOG_NAME) if cron else ""
        with progress_bar("fetch", unit=" URL", enabled=False if cron else None) as bar:
            summary = run_fetch(Path(args.sources or raw_dir / "sources.csv"), raw_dir, offline=args.offline,
                                refresh=args.refresh, allow_private=args.allow_private, bar=bar)
        say(summary.render())
        record_fetch(record, summary)
        try:
            result, blocked = build(raw_dir, out_dir, workers=args.workers, use_cache=not args.no_cache,
                                    progress=not cron), False
        except ReleaseBlocked as err:
            log.error("%s", err)
            result, blocked = err.result, True
        if result is not None:
            record_build(record, result, blocked)
            from pipeline.publish.validate import summary_lines

            say("\n".join(summary_lines(result.rows, result.severities, result.validation)))
            say("built " + ", ".join(f"{n} {t}" for t, n in result.rows.items()) + f" into {out_dir}")
        if cron and not blocked:
            record.release = release_hook(out_dir)
            (log.info if record.release["ok"] else log.error)("release: %s", record.release["message"])
        record.status, record.exit_status = exit_status(record, cron)
    line = (f"{record.status}: {record.reports} reports, {record.facts} facts, checks {record.checks}, "
            f"pages failed {record.pages.get('failed', 0)}, unreadable {record.pages_unreadable} "
            f"({record.pages_unreadable_new} new); summary in {out_dir / RUN_FILE}")
    (log.info if record.status == "ok" else log.warning)("%s", line)
    return record.exit_status
