"""Command line: `python -m pipeline all|fetch|add|build|inspect|suites|release`.

Exit status: 0 success, 1 validation blocked the release (nothing published), 2 usage errors,
3 (`all --cron` only) built but some pages failed, 75 another run holds the lock (see pipeline/run/runlog.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import re
import sys
from pathlib import Path

from pipeline.fetch.archive import Archive
from pipeline.fetch.catalogue import CatalogueError, merge_rows, read_catalogue, write_catalogue

EXIT_OK, EXIT_BLOCKED, EXIT_USAGE = 0, 1, 2
log = logging.getLogger("pipeline")


def sniff_content_type(data: bytes, name: str) -> str:
    """text/html or text/plain for a file saved by hand, from its name, else its first bytes; PDF by magic."""
    if data.startswith(b"%PDF"):
        return "application/pdf"
    if name.lower().endswith((".html", ".htm", ".shtml")) or data.lstrip()[:200].lower().startswith(
            (b"<!doctype html", b"<html", b"<?xml")):
        return "text/html"
    return "text/plain"


def cmd_add(args: argparse.Namespace) -> int:
    """Archive a page or text capture saved by hand, with its provenance, and catalogue it."""
    data = Path(args.file).read_bytes()
    archive = Archive(args.raw_dir)
    capture = archive.store(data, url=args.url, final_url=args.url, content_type=sniff_content_type(data, args.file),
                            kind="report", source=args.source, title=args.title, published=args.published)
    catalogue_path = Path(args.raw_dir) / "sources.csv"
    row = {"kind": "report", "url": args.url, "sha256": "" if args.url else capture.sha256, "title": args.title,
           "published": args.published, "source": args.source, "jurisdiction": args.jurisdiction,
           "parent": args.parent, "level": args.level, "year": args.year}
    write_catalogue(catalogue_path, merge_rows(read_catalogue(catalogue_path), [row]))
    print(f"archived {args.file} as {capture.path} (sha256 {capture.sha256})")
    return EXIT_OK


def cmd_fetch(args: argparse.Namespace) -> int:
    """Fetch what the catalogue lists and the archive lacks."""
    from pipeline.fetch.crawl import run_fetch

    summary = run_fetch(Path(args.sources or Path(args.raw_dir) / "sources.csv"), Path(args.raw_dir),
                        offline=args.offline, refresh=args.refresh, allow_private=args.allow_private)
    print(summary.render(), file=sys.stderr)
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    """Parse, extract, validate and export the archive into the output folder."""
    from pipeline.run.build import ReleaseBlocked, build

    try:
        result = build(Path(args.raw_dir), Path(args.out_dir), workers=args.workers, use_cache=not args.no_cache,
                       progress=True)
    except ReleaseBlocked as err:
        print(f"error: {err}", file=sys.stderr)
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
    from pipeline.model import Capture
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

    result = write_release(Path(args.out_dir))
    print(result.message if result.path else f"error: {result.message}", file=sys.stderr)
    return EXIT_OK if result.path else EXIT_BLOCKED


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
    sp = sub.add_parser("inspect", help="parse one local file and print it as JSON")
    sp.add_argument("file")
    sp.add_argument("--url", default="")
    sp.set_defaults(func=cmd_inspect)
    sp = sub.add_parser("suites", help="rewrite schemas/expectations/ from the schemas, taxonomy and build")
    building(sp)
    sp.set_defaults(func=cmd_suites)
    sp = sub.add_parser("release", help="release the build into OUT_DIR/releases/vYYYY.MM.DD/")
    building(sp)
    sp.set_defaults(func=cmd_release)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run a subcommand; map bad input to exit 2 with a one-line message."""
    args = parser().parse_args(argv)
    if getattr(args, "cron", False):
        from pipeline.run.runlog import cron_logging

        cron_logging(Path(args.log_dir), args.verbose)
    else:
        logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(message)s")
    if getattr(args, "published", "") and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", args.published):
        print(f"error: --published must be YYYY-MM-DD, not {args.published!r}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.command in ("all", "fetch", "build"):  # one run at a time per archive
            from pipeline.run.runlog import run_exclusively

            return run_exclusively(args)
        return args.func(args)
    except (FileNotFoundError, IsADirectoryError, CatalogueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
