"""Command line: `python -m pipeline all|fetch|add|withdraw|build|inspect|suites|release|serve`.

Exit status: 0 success, 1 validation blocked the release (nothing published), 2 usage errors,
3 (`all --cron` only) built but some pages failed, 75 another run holds the lock (see pipeline/run/runlog.py).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import logging
import sys
from pathlib import Path

from pipeline.fetch.archive import Archive, withdrawn_captures
from pipeline.fetch.catalogue import CatalogueError, merge_rows, read_catalogue, report_entries, write_catalogue
from pipeline.model import Capture

EXIT_OK, EXIT_BLOCKED, EXIT_USAGE = 0, 1, 2
log = logging.getLogger("pipeline")


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ADD_FIELDS = {"level": "level", "year": "year", "published": "published_date"}  # add option -> reports field


def sniff_content_type(data: bytes, name: str) -> str:
    """text/html or text/plain for a file saved by hand, from its name, else its first bytes; PDF by magic,
    DOCX by its zip magic and name."""
    if data.startswith(b"%PDF"):
        return "application/pdf"
    if data.startswith(b"PK\x03\x04") and name.lower().endswith(".docx"):
        return DOCX
    if name.lower().endswith((".html", ".htm", ".shtml")) or data.lstrip()[:200].lower().startswith(
            (b"<!doctype html", b"<html", b"<?xml")):
        return "text/html"
    return "text/plain"


def field_value_problem(field: dict, text: str) -> str | None:
    """Why `text` cannot be a value of the schema field (its type, enum, minimum, maximum), or None."""
    constraints = field.get("constraints", {})
    if "enum" in constraints and text not in constraints["enum"]:
        return f"must be one of {', '.join(constraints['enum'])}"
    if field["type"] == "integer":
        if not text.isdigit():
            return "must be a whole number"
        value = int(text)
        if not constraints.get("minimum", value) <= value <= constraints.get("maximum", value):
            return f"must be between {constraints.get('minimum')} and {constraints.get('maximum')}"
    if field["type"] == "date":
        try:
            datetime.date.fromisoformat(text)
        except ValueError:
            return "must be a date, YYYY-MM-DD"
    return None


def add_option_problems(args: argparse.Namespace) -> list[str]:
    """One line per `add` option whose value the reports schema would refuse, or a URL that is not http(s)."""
    from pipeline.publish.schemas import fields

    schema = {f["name"]: f for f in fields("reports")}
    problems = [f"--{opt} {value!r} {problem}" for opt, name in ADD_FIELDS.items()
                if (value := getattr(args, opt)) and (problem := field_value_problem(schema[name], value))]
    if args.url and not args.url.startswith(("http://", "https://")):
        problems.append(f"--url {args.url!r} must start with http:// or https://")
    return problems


def refusal(data: bytes, content_type: str) -> str | None:
    """Why a file cannot be archived as a report (empty, or binary but no PDF or DOCX), or None."""
    if not data.strip():
        return "is empty"
    if content_type.startswith("text/") and b"\x00" in data[:65536]:
        return "is binary (it holds NUL bytes): save the page as HTML or text, or give a PDF or DOCX"
    return None


def what_was_read(capture: Capture, data: bytes, entry: dict[str, str]) -> str:
    """One line saying what a build will read from the capture: title, jurisdiction, level, year, facts."""
    from pipeline.extract.indicators import load_taxonomy
    from pipeline.rows import read_report_safely

    rows = read_report_safely(capture, data, entry, load_taxonomy())
    if not rows.reports:
        return "read: no report: " + "; ".join(c["message"] for c in rows.checks)
    r = rows.reports[0]
    place = ", ".join(str(v) for v in (r.get("level"), r.get("division_code")) if v)
    problems = [c["check"] for c in rows.checks if c["severity"] in ("error", "warning")]
    return (f"read: {r.get('title') or '(no title)'}: {r.get('jurisdiction') or '(jurisdiction unknown)'}"
            f"{f' ({place})' if place else ''}, year {r.get('year') or 'unknown'}, {len(rows.facts)} facts, "
            f"{len(rows.sections)} sections" + (f"; checks: {', '.join(problems)}" if problems else ""))


def cmd_add(args: argparse.Namespace) -> int:
    """Archive a page or text capture saved by hand, with its provenance, and catalogue it; say what a build
    will read from it. Bad options and empty or binary files are refused (exit 2) before anything is written."""
    if problems := add_option_problems(args):
        print("\n".join(f"error: {p}" for p in problems), file=sys.stderr)
        return EXIT_USAGE
    data = Path(args.file).read_bytes()
    content_type = sniff_content_type(data, args.file)
    if reason := refusal(data, content_type):
        print(f"error: {args.file} {reason}; nothing archived", file=sys.stderr)
        return EXIT_USAGE
    archive = Archive(args.raw_dir)
    capture = archive.store(data, url=args.url, final_url=args.url, content_type=content_type,
                            kind="report", source=args.source, title=args.title, published=args.published)
    catalogue_path = Path(args.raw_dir) / "sources.csv"
    row = {"kind": "report", "url": args.url, "sha256": "" if args.url else capture.sha256, "title": args.title,
           "published": args.published, "source": args.source, "jurisdiction": args.jurisdiction,
           "parent": args.parent, "level": args.level, "year": args.year}
    catalogue = merge_rows(read_catalogue(catalogue_path), [row])
    write_catalogue(catalogue_path, catalogue)
    print(f"archived {args.file} as {capture.path} (sha256 {capture.sha256})")
    print(what_was_read(capture, data, report_entries(catalogue)(capture.url, capture.sha256)))
    return EXIT_OK


def cmd_withdraw(args: argparse.Namespace) -> int:
    """Take a capture out of builds (its bytes stay in the archive), or with --undo put it back; recorded as
    a manifest row with status withdrawn or restored."""
    archive = Archive(args.raw_dir)
    try:
        row = archive.capture_row(args.sha256)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    sha, name = row["sha256"], row["url"] or row["title"] or row["path"]
    if (sha in withdrawn_captures(args.raw_dir)) != args.undo:
        print(f"{sha} ({name}) is {'not' if args.undo else 'already'} withdrawn: nothing done", file=sys.stderr)
        return EXIT_OK
    archive.set_withdrawn(sha, not args.undo, args.note)
    print(f"{'restored' if args.undo else 'withdrew'} {sha} ({name}): the next build "
          + ("reads it again" if args.undo else f"leaves it out; undo with `withdraw {sha[:12]} --undo`"))
    return EXIT_OK


def cmd_fetch(args: argparse.Namespace) -> int:
    """Fetch what the catalogue lists and the archive lacks."""
    from pipeline.fetch.crawl import run_fetch
    from pipeline.run.progress import progress_bar

    with progress_bar("fetch", unit=" URL") as bar:
        summary = run_fetch(Path(args.sources or Path(args.raw_dir) / "sources.csv"), Path(args.raw_dir),
                            offline=args.offline, refresh=args.refresh, allow_private=args.allow_private, bar=bar)
    print(summary.render(), file=sys.stderr)
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    """Parse, extract, validate and export the archive into the output folder; the build in OUT_DIR/RUN.json."""
    from pipeline.run.build import ReleaseBlocked, build
    from pipeline.run.runlog import exit_status, record_build, recorded_run

    with recorded_run(Path(args.out_dir), "build") as record:
        try:
            result, blocked = build(Path(args.raw_dir), Path(args.out_dir), workers=args.workers,
                                    use_cache=not args.no_cache, progress=True), False
        except ReleaseBlocked as err:
            print(f"error: {err}", file=sys.stderr)
            result, blocked = err.result, True
        if result is not None:
            record_build(record, result, blocked)
        record.status, record.exit_status = exit_status(record, cron=False)
    if blocked:
        return EXIT_BLOCKED
    from pipeline.publish.validate import summary_lines

    print("\n".join(summary_lines(result.rows, result.severities, result.validation)), file=sys.stderr)
    counts = ", ".join(f"{n} {table}" for table, n in result.rows.items())
    print(f"built {counts} into {args.out_dir}", file=sys.stderr)
    return EXIT_OK


def cmd_all(args: argparse.Namespace) -> int:
    """Fetch (going on from the archive when the network is down), then build (with --cron, release);
    the run is summarised in OUT_DIR/RUN.json."""
    from pipeline.run.runlog import run_all

    return run_all(args)


def cmd_inspect(args: argparse.Namespace) -> int:
    """Print one local file parsed as a report, as JSON with the tables' field names."""
    from pipeline.rows import inspect_capture

    data = Path(args.file).read_bytes()
    capture = Capture(sha256=hashlib.sha256(data).hexdigest(), path=str(args.file), url=args.url,
                      final_url=args.url, content_type=sniff_content_type(data, args.file))
    json.dump(inspect_capture(capture, data), sys.stdout, ensure_ascii=False, indent=1, default=str)
    print()
    return EXIT_OK


def cmd_suites(args: argparse.Namespace) -> int:
    """Rewrite the committed expectation suites from schemas/, and the row counts from the build in OUT_DIR."""
    from pipeline.publish.validate import write_suites

    processed = Path(args.out_dir)
    counts = processed if (processed / "reports.parquet").exists() else None
    for path in write_suites(processed=counts):
        print(f"wrote {path}", file=sys.stderr)
    if counts is None:
        print(f"row counts kept: no build in {processed} (run `make build` first)", file=sys.stderr)
    return EXIT_OK


def cmd_release(args: argparse.Namespace) -> int:
    """Release the build in OUT_DIR into OUT_DIR/releases/ (nothing new when nothing changed)."""
    from pipeline.publish.release import write_release
    from pipeline.run.runlog import exit_status, recorded_run, release_outcome

    with recorded_run(Path(args.out_dir), "release", keep=True) as record:  # the build's record, plus the release
        result = write_release(Path(args.out_dir), accept=args.accept)
        record.release = release_outcome(result)
        record.status, record.exit_status = exit_status(record, cron=False)
    print(result.message if result.path else f"error: {result.message}", file=sys.stderr)
    return EXIT_OK if result.path else EXIT_BLOCKED


def cmd_serve(args: argparse.Namespace) -> int:
    """Browse the build (or release) in OUT_DIR with Datasette on HOST:PORT until interrupted."""
    try:
        from pipeline.publish.site import SiteError, serve
    except ImportError as err:
        print(f"error: serve needs Datasette ({err}): pip install -e '.[site]'", file=sys.stderr)
        return EXIT_USAGE
    try:
        serve(Path(args.out_dir), host=args.host, port=args.port, db_path=Path(args.db))
    except SiteError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def cmd_coverage(args: argparse.Namespace) -> int:
    """Print the build's coverage table by province and level: governments, catalogued, archived, parsed."""
    from pipeline.publish.coverage import coverage_lines, read_coverage

    print("\n".join(coverage_lines(read_coverage(Path(args.out_dir)), args.year)))
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    p = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__.splitlines()[0])
    p.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = p.add_subparsers(dest="command", required=True)

    def raw(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--raw-dir", default="raw", help="the raw archive (default raw)")

    def fetching(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--sources", help="catalogue CSV (default RAW_DIR/sources.csv)")
        sp.add_argument("--offline", action="store_true", help="do not touch the network")
        sp.add_argument("--refresh", action="store_true", help="re-check archived pages (conditional requests)")
        sp.add_argument("--allow-private", action="store_true", help="allow private and loopback addresses")

    def building(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--out-dir", default="processed", help="where the tables go (default processed)")

    def parsing(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--workers", type=int, help="parse processes (default: one per core)")
        sp.add_argument("--no-cache", action="store_true", help="parse every capture again (cache in .cache/build)")

    sp = sub.add_parser("all", help="fetch, then build")
    raw(sp), fetching(sp), building(sp), parsing(sp)
    sp.add_argument("--cron", action="store_true",
                    help="unattended: log to LOG_DIR, only warnings on stderr, release, exit 3 when pages failed")
    sp.add_argument("--log-dir", default="logs", help="where --cron logs go (default logs)")
    sp.set_defaults(func=cmd_all)
    sp = sub.add_parser("fetch", help="fetch the catalogue's pages into the archive")
    raw(sp), fetching(sp)
    sp.set_defaults(func=cmd_fetch)
    sp = sub.add_parser("build", help="parse, extract, validate, export")
    raw(sp), building(sp), parsing(sp)
    sp.set_defaults(func=cmd_build)
    sp = sub.add_parser("add", help="archive a page or text capture saved by hand")
    sp.add_argument("file")
    raw(sp)
    for opt in ("url", "title", "published", "source", "jurisdiction", "parent", "level", "year"):
        sp.add_argument(f"--{opt}", default="", help=f"the capture's {opt}")
    sp.set_defaults(func=cmd_add)
    sp = sub.add_parser("withdraw", help="take a capture out of builds (bytes kept); --undo puts it back")
    sp.add_argument("sha256", help="the capture's sha256 (or a unique prefix of 8 or more hex digits)")
    raw(sp)
    sp.add_argument("--undo", action="store_true", help="put a withdrawn capture back into builds")
    sp.add_argument("--note", default="", help="why, for the manifest")
    sp.set_defaults(func=cmd_withdraw)
    sp = sub.add_parser("inspect", help="parse one local file and print it as JSON")
    sp.add_argument("file")
    sp.add_argument("--url", default="")
    sp.set_defaults(func=cmd_inspect)
    sp = sub.add_parser("suites", help="rewrite schemas/expectations/ from the schemas, taxonomy and build")
    building(sp)
    sp.set_defaults(func=cmd_suites)
    sp = sub.add_parser("release", help="release the build into OUT_DIR/releases/vYYYY.MM.DD/")
    building(sp)
    sp.add_argument("--accept", action="store_true", help="release even with error checks on new reports")
    sp.set_defaults(func=cmd_release)
    sp = sub.add_parser("serve", help="browse OUT_DIR (a build, or a release such as processed/latest) in Datasette")
    building(sp)
    sp.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sp.add_argument("--port", type=int, default=8001, help="port (default 8001)")
    sp.add_argument("--db", default=".cache/site/data.db", help="the SQLite copy (default .cache/site/data.db)")
    sp.set_defaults(func=cmd_serve)
    sp = sub.add_parser("coverage", help="which governments' reports the build has, by province and level")
    building(sp)
    sp.add_argument("--year", type=int, help="one year only (default: every year, as government-years)")
    sp.set_defaults(func=cmd_coverage)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run a subcommand; map bad input to exit 2 with a one-line message."""
    args = parser().parse_args(argv)
    if getattr(args, "cron", False):
        from pipeline.run.runlog import cron_logging

        cron_logging(Path(args.log_dir), args.verbose)
    else:
        logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(message)s")
    try:
        if args.command in ("all", "fetch", "build", "add", "withdraw"):  # one run at a time per archive
            from pipeline.run.runlog import run_exclusively

            return run_exclusively(args)
        return args.func(args)
    except (FileNotFoundError, IsADirectoryError, CatalogueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
