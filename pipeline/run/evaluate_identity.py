"""Score report identity (who reports, for which year, published when) against hand-checked real pages.

Run as `python -m pipeline.run.evaluate_identity [--pages-dir DIR]`. Each line of `docs.jsonl` in the dir
names a text in `texts/` and its gold identity; the text is read as a crawl knows it (a text capture with
its URL) through the real parse path (adapters, then identity), and each field is compared with the gold.
Title counts only on pages that show one, published only on pages that show a date; every miss is printed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.model import Capture
from pipeline.parse.adapters import PageError, read_page
from pipeline.parse.identity import make_report

DEFAULT_PAGES_DIR = Path("tests/realpages")
FIELDS = ("title", "jurisdiction", "government", "level", "parent", "year", "published", "division_code")


@dataclass
class FieldScore:
    """Right answers and misses of one field."""

    right: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)


def _squash(value: object) -> str:
    """A value compared without whitespace (titles broken over lines, padded names)."""
    return re.sub(r"\s+", "", "" if value is None else str(value))


def read_identity(text: bytes, url: str) -> dict[str, object]:
    """The identity fields the parse path gives a text capture of `url` ({} when the page is unreadable)."""
    capture = Capture(sha256=hashlib.sha256(text).hexdigest(), path="", url=url, final_url=url,
                      content_type="text/plain; charset=utf-8")
    try:
        page = read_page(text, capture)
    except PageError:
        return {}
    report, _ = make_report(page, capture, {})
    return {"title": report.title, "jurisdiction": report.jurisdiction,
            "government": getattr(report, "government", ""), "level": report.level, "parent": report.parent,
            "year": report.year, "published": report.published_date or None,
            "division_code": report.division_code}


def scored_fields(doc: dict) -> list[str]:
    """The fields a gold doc is scored on: title only when the page shows it, published only when shown."""
    shown = {"title": bool(doc.get("title_in_text")), "published": bool(doc.get("published"))}
    return [f for f in FIELDS if shown.get(f, True)]


def evaluate_pages(pages_dir: Path) -> dict[str, FieldScore]:
    """Per-field scores over every doc of `pages_dir`."""
    scores = {f: FieldScore() for f in FIELDS}
    for line in (pages_dir / "docs.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        doc = json.loads(line)
        got = read_identity((pages_dir / "texts" / f"{doc['doc']}.txt").read_bytes(), doc["url"])
        for name in scored_fields(doc):
            score = scores[name]
            score.total += 1
            if _squash(got.get(name)) == _squash(doc.get(name)):
                score.right += 1
            else:
                score.misses.append(f"{doc['doc']}: got {got.get(name)!r}, want {doc.get(name)!r}")
    return scores


def report(scores: dict[str, FieldScore]) -> str:
    """Accuracy per field, then every miss."""
    lines = [f"{'field':<14}{'right':>6}{'of':>5}{'accuracy':>10}"]
    for name, s in scores.items():
        lines.append(f"{name:<14}{s.right:>6}{s.total:>5}{s.right / s.total if s.total else 1:>10.1%}")
    for name, s in scores.items():
        if s.misses:
            lines.append(f"\nmisses: {name}")
            lines += [f"  {m}" for m in s.misses]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the scores of the pages dir; exit 2 when it has no docs.jsonl."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages-dir", type=Path, default=DEFAULT_PAGES_DIR)
    args = parser.parse_args(argv)
    if not (args.pages_dir / "docs.jsonl").is_file():
        print(f"no docs.jsonl in {args.pages_dir}", file=sys.stderr)
        return 2
    print(report(evaluate_pages(args.pages_dir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
