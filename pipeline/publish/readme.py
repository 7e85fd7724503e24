"""The README of a release: what the data are, what they cover, how they were made, how to cite them, and
the checks that fired; written from release.toml and the release's own files, so it never disagrees with them.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd

from pipeline.publish.metadata import LICENCES, ReleaseMetadata, author_names

LEVELS = ("province", "city", "district", "county")


def _rows(folder: Path, table: str, columns: list[str] | None = None) -> pd.DataFrame:
    return pd.read_parquet(folder / f"{table}.parquet", columns=columns)


def tables_section(folder: Path) -> list[str]:
    """A row per table: its file, title and rows."""
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    lines = ["| table | what | rows |", "|---|---|---|"]
    for resource in package["resources"]:
        if resource["format"] == "csv":
            rows = pd.read_parquet(folder / f"{resource['name']}.parquet", columns=[]).shape[0]
            lines.append(f"| `{resource['name']}` (.parquet, .csv, .excel.csv) | {resource['title']}: "
                         f"{resource['description']} | {rows:,} |")
    return lines


def coverage_section(folder: Path) -> list[str]:
    """How many governments of county level and above the release covers, by level, over its years."""
    coverage = _rows(folder, "coverage", ["year", "level", "in_catalogue", "archived", "parsed"])
    reports = _rows(folder, "reports", ["level"])
    if coverage.empty:
        return ["No report of a government of county level and above is catalogued yet."]
    years = f"{coverage['year'].min()} to {coverage['year'].max()}"
    lines = [f"Governments of county level and above and years {years} (one row each in `coverage`, from the "
             "Ministry of Civil Affairs division table of the year): how many have their report in the catalogue, "
             "in the archive, and parsed into these tables.", "",
             "| level | government-years | catalogued | archived | parsed |", "|---|---|---|---|---|"]
    for level in LEVELS:
        part = coverage[coverage["level"] == level]
        lines.append(f"| {level} | {len(part):,} | {int(part['in_catalogue'].sum()):,} | "
                     f"{int(part['archived'].sum()):,} | {int(part['parsed'].sum()):,} |")
    by_level = reports["level"].astype("string").fillna("unknown").value_counts()
    lines += ["", "Reports in `reports`, by level (departments and streets included): " +
              ", ".join(f"{level} {n}" for level, n in by_level.items()) + "."]
    return lines


def sources_section(folder: Path) -> list[str]:
    """Where the captures came from: every source of datapackage.json once."""
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    return [f"- {s['title']}" + (f" ({s['path']})" if s.get("path") else "") for s in package.get("sources", [])]


def checks_section(folder: Path) -> list[str]:
    """The checks that fired, by check and severity."""
    checks = _rows(folder, "checks", ["check", "severity"]).astype(str)
    if checks.empty:
        return ["No check fired."]
    counts = checks.value_counts(["severity", "check"]).sort_index()
    return ["| severity | check | rows |", "|---|---|---|"] + [
        f"| {severity} | `{check}` | {n} |" for (severity, check), n in counts.items()]


def reference(meta: ReleaseMetadata, name: str, today: date) -> str:
    """The release as a reference list entry."""
    parts = [", ".join(author_names(meta)), f"({today.year}).", f"{meta.full_title}", f"(Version {name})",
             "[Data set]."]
    parts += [f"https://doi.org/{meta.doi}"] if meta.doi else []
    parts += [meta.repository] if meta.repository and not meta.doi else []
    return " ".join(parts)


def release_readme(meta: ReleaseMetadata, folder: Path, name: str, today: date) -> str:
    """README.md of the release in `folder`."""
    data, code = LICENCES[meta.license_data], LICENCES[meta.license_code]
    lines = [f"# {meta.full_title}", "", f"Release {name}, {today:%Y-%m-%d}.", "", meta.description, "",
             "## The tables", "", *tables_section(folder), "",
             "Every column, and every indicator, is described in Chinese and English in `CODEBOOK.md`; "
             "`datapackage.json` describes the files as a Frictionless Data Package (types, keys, bytes, "
             "sha256); `CHANGES.md` says what changed since the previous release; `SHA256SUMS` checks the files "
             "(`sha256sum -c SHA256SUMS`). `*.excel.csv` is the CSV with a byte order mark, for Excel.", "",
             "## Coverage", "", *coverage_section(folder), "",
             "## How they were made", "",
             "Report pages were fetched politely from the governments' sites (robots.txt, a delay per host), or "
             "archived by hand with their stated source, and kept byte for byte, named by sha256 (`captures`). "
             "Each capture was read by the adapter for its page template into the report's main text; its "
             "author, level, year and division code were read from the page and checked against the division "
             "table; the text was cut into its numbered sections; every number was read with its unit, "
             "qualifier and the sentence it sits in (`facts`), and mapped to a canonical indicator only when "
             "its phrase says exactly that (`indicators`). Every table passed its validation suite before "
             "release. Every report's `raw_sha256` is a row of `captures` with the URL or the stated source "
             "of its bytes. The sources:", "", *sources_section(folder), "",
             "## How to cite", "", reference(meta, name, today), "",
             "`CITATION.cff` holds the same in the Citation File Format.", "",
             "## Checks that fired", "",
             "Problems found while building (`checks`): an unreadable page, a rate that disagrees with its "
             "counts, a value outside its indicator's range. Values that failed a check are kept out of "
             "`indicators`.", "", *checks_section(folder), "",
             "## Licences", "",
             f"The data: {data['title']} ({meta.license_data}), in `{data['file']}`. The code that made them: "
             f"{code['title']} ({meta.license_code}), in `{code['file']}`. The reports themselves are official "
             "documents of state organs, excluded from copyright (Copyright Law of the PRC, art. 5).", ""]
    return "\n".join(lines)
