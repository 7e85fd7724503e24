"""The catalogue `raw/sources.csv`: every known report page, column (listing) page and portal (site) root."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from pipeline.fetch.archive import write_atomically

# doc_number (文号), written (成文日期) and column (the column's name) come from the list row a report was
# found in; found_on is the listing row it was found from (for a listing: the portal page linking to it).
FIELDS = ["kind", "url", "jurisdiction", "parent", "level", "year", "title", "published", "sha256", "source",
          "found_on", "doc_number", "written", "column"]
# report: a report page; listing: a column of reports; site: a government portal to find columns from.
KINDS = {"report", "listing", "site"}


class CatalogueError(ValueError):
    """The catalogue file is malformed; the message names the row."""


def read_catalogue(path: Path | str) -> list[dict[str, str]]:
    """Catalogue rows with every field present (missing ones empty); rows checked for kind and url."""
    path = Path(path)
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = [{k: (row.get(k) or "").strip() for k in FIELDS} for row in csv.DictReader(f)]
    for n, row in enumerate(rows, start=2):
        if row["kind"] not in KINDS:
            raise CatalogueError(f"{path}:{n}: kind must be report, listing or site, not {row['kind']!r}")
        if not (row["url"] or row["sha256"]):
            raise CatalogueError(f"{path}:{n}: a row needs a url (or the sha256 of a capture without one)")
    return rows


def write_catalogue(path: Path | str, rows: list[dict[str, str]]) -> None:
    """Write the catalogue atomically, keeping FIELDS order."""
    from io import StringIO

    buf = StringIO()
    writer = csv.DictWriter(buf, FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in FIELDS})
    write_atomically(Path(path), buf.getvalue().encode("utf-8"))


def merge_rows(rows: list[dict[str, str]], new: list[dict[str, str]]) -> list[dict[str, str]]:
    """Rows plus those of `new` not already there (by url, else sha256); known rows gain empty fields."""
    by_key = {r["url"] or r["sha256"]: r for r in rows}
    out = list(rows)
    for row in new:
        key = row.get("url") or row.get("sha256", "")
        if key in by_key:
            known = by_key[key]
            for k, v in row.items():
                if v and not known.get(k):
                    known[k] = v
        else:
            full = {k: row.get(k, "") for k in FIELDS}
            by_key[key] = full
            out.append(full)
    return out


def report_entries(rows: list[dict[str, str]]) -> Callable[[str, str], dict[str, str]]:
    """A lookup of the report row describing a capture: by its URL, else by its sha256; {} when none.

    Indexed once, so a national archive costs no scan of the catalogue per capture."""
    by_url: dict[str, dict[str, str]] = {}
    by_sha: dict[str, dict[str, str]] = {}
    for row in rows:
        if row["kind"] == "report":
            if row["url"]:
                by_url.setdefault(row["url"], row)
            if row["sha256"]:
                by_sha.setdefault(row["sha256"], row)

    def entry(url: str, sha256: str) -> dict[str, str]:
        return (url and by_url.get(url)) or (sha256 and by_sha.get(sha256)) or {}

    return entry
