"""Tables derived after the build from its Parquet files, the archive and the catalogue.

- `captures`: every archived capture with where its bytes came from (URL or stated source), when, the page
  it hangs off and the listing it was found on, and whether it was withdrawn;
- `coverage`: every government of county level and above, for every year reports are about, with whether
  its report is catalogued, archived, parsed and how many indicators it gave;
- `panel`: one row per report, one column per indicator, place names also in pinyin.

They are derived from the written files rather than while parsing, so they need no change when the build's
batching changes; they are typed, validated (their suites in schemas/expectations/) and described in
datapackage.json like the tables built from the reports.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from pipeline.extract.indicators import Indicator, load_taxonomy
from pipeline.fetch.archive import Archive, file_sha256, write_atomically
from pipeline.fetch.catalogue import read_catalogue, report_entries
from pipeline.parse.divisions import Division, divisions_of_year, lookup
from pipeline.publish.export import TableWriter, file_resource
from pipeline.publish.metadata import METADATA_PATH
from pipeline.publish.pinyin import romanize
from pipeline.publish.schemas import DERIVED_TABLES, column_names, typed_frame

WITHDRAWN = "withdrawn"  # manifest status of a withdrawn capture (`pipeline withdraw`)
GOVERNMENT_LEVELS = ("province", "city", "district", "county")
NOT_REPORTING = ("71", "81", "82")  # Taiwan, Hong Kong, Macau: outside the mainland's rule-of-law reports
SOURCE_DETAIL = ";"  # a stated source names the source first; details (dates, signatures) follow a semicolon


class DerivedTableError(Exception):
    """A derived table failed its validation; nothing of it was written. The message names table and rows."""


# ---------------------------------------------------------------- captures

def captures_frame(raw_dir: Path) -> pd.DataFrame:
    """One row per archived capture (first successful manifest row of each sha256), with its listing."""
    rows = Archive(raw_dir).rows()
    withdrawn = {r["sha256"] for r in rows if r.get("status") == WITHDRAWN and r.get("sha256")}
    found_on = {r["url"]: r["found_on"] for r in read_catalogue(Path(raw_dir) / "sources.csv") if r["url"]}
    first: dict[str, dict] = {}
    for row in rows:
        sha = row.get("sha256")
        if sha and not row.get("error") and row.get("status") != WITHDRAWN and sha not in first:
            first[sha] = {"sha256": sha, "kind": row.get("kind") or "report", "url": row.get("url"),
                          "final_url": row.get("final_url"), "source": row.get("source"),
                          "fetched_at": row.get("fetched_at"), "content_type": row.get("content_type"),
                          "bytes": int(row["bytes"]) if row.get("bytes", "").isdigit() else None,
                          "parent_url": row.get("parent_url"), "found_on": found_on.get(row.get("url", ""), ""),
                          "path": row.get("path"), "withdrawn": sha in withdrawn}
    return typed_frame("captures", sorted(first.values(), key=lambda r: r["sha256"]))


def source_title(capture: dict) -> str:
    """The source a capture is credited to: its site's host, else its stated source up to the details."""
    if capture.get("url"):
        return urlsplit(capture["url"]).netloc
    return (capture.get("source") or "").split(SOURCE_DETAIL)[0].strip()


def package_sources(captures: pd.DataFrame) -> list[dict]:
    """The datapackage's sources: every site and every stated source the captures came from, each once."""
    sources: dict[str, dict] = {}
    for capture in captures.astype(object).where(captures.notna(), "").to_dict("records"):
        title = source_title(capture)
        if title and title not in sources:
            url = urlsplit(capture["url"]) if capture["url"] else None
            sources[title] = {"title": title, "path": f"{url.scheme}://{url.netloc}/"} if url else {"title": title}
    return [sources[t] for t in sorted(sources)]


# ---------------------------------------------------------------- coverage

def government_code(name: str, parent: str, level: str, year: int | None) -> str:
    """The division code of the government a catalogue row names (county level and above), "" when the row
    is about a department or street, or the name does not single out one division in that year."""
    if not name or year is None or (level and level not in GOVERNMENT_LEVELS):
        return ""
    found = [d for d in lookup(name, year, parent) if not level or d.level == level]
    return found[0].code if len(found) == 1 else ""


def _year(value: object) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else None


def coverage_years(catalogue: list[dict[str, str]], reports: pd.DataFrame) -> list[int]:
    """The years any catalogued or built report is about."""
    years = {_year(r["year"]) for r in catalogue if r["kind"] == "report"}
    years |= {int(y) for y in reports["year"].dropna()}
    return sorted(y for y in years if y is not None)


def _governments(year: int) -> list[Division]:
    return [d for d in divisions_of_year(year) if d.code[:2] not in NOT_REPORTING]


def catalogued_governments(catalogue: list[dict[str, str]]) -> set[tuple[int, str]]:
    """(year, division code) of every government whose report of that year the catalogue lists."""
    found = set()
    for row in catalogue:
        year = _year(row["year"])
        if row["kind"] == "report" and (code := government_code(row["jurisdiction"], row["parent"], row["level"],
                                                                 year)):
            found.add((year, code))
    return found


def archived_governments(catalogue: list[dict[str, str]], captures: pd.DataFrame) -> set[tuple[int, str]]:
    """(year, division code) of every government with a report capture in the archive, read or not, by the
    capture's catalogue row; withdrawn captures do not count."""
    entry = report_entries(catalogue)
    found = set()
    for capture in captures[(captures["kind"] == "report") & ~captures["withdrawn"]].itertuples():
        row = entry(capture.url if isinstance(capture.url, str) else "", capture.sha256)
        year = _year(row.get("year"))
        if code := government_code(row.get("jurisdiction", ""), row.get("parent", ""), row.get("level", ""), year):
            found.add((year, code))
    return found


def parsed_governments(reports: pd.DataFrame, indicators: pd.DataFrame) -> dict[tuple[int, str], tuple[str, int]]:
    """(year, division code) -> (report_id, indicators) of the government reports the build read; of several
    reports of one government and year (mirrors), the one with most indicators."""
    counts = indicators.groupby("report_id", observed=True).size()
    governing = reports[reports["level"].isin(GOVERNMENT_LEVELS) & reports["division_code"].notna()
                        & reports["year"].notna()]
    parsed: dict[tuple[int, str], tuple[str, int]] = {}
    for report in governing.itertuples():
        key, n = (int(report.year), report.division_code), int(counts.get(report.report_id, 0))
        if key not in parsed or n > parsed[key][1]:
            parsed[key] = (report.report_id, n)
    return parsed


def coverage_frame(raw_dir: Path, reports: pd.DataFrame, indicators: pd.DataFrame,
                   captures: pd.DataFrame) -> pd.DataFrame:
    """One row per government of county level and above and year: catalogued, archived, parsed, indicators.
    The flags are a funnel: what was parsed was archived, and what was archived counts as catalogued."""
    catalogue = read_catalogue(Path(raw_dir) / "sources.csv")
    catalogued, archived = catalogued_governments(catalogue), archived_governments(catalogue, captures)
    parsed = parsed_governments(reports, indicators)
    rows = []
    for year in coverage_years(catalogue, reports):
        for d in _governments(year):
            key = (year, d.code)
            report_id, n = parsed.get(key, (None, 0))
            is_archived = key in archived or key in parsed
            rows.append({"year": year, "division_code": d.code, "government": d.name, "level": d.level,
                         "province": d.province or d.name, "parent": d.parent,
                         "in_catalogue": key in catalogued or is_archived, "archived": is_archived,
                         "parsed": key in parsed, "report_id": report_id, "n_indicators": n})
    return typed_frame("coverage", rows)


# ---------------------------------------------------------------- panel

@lru_cache(maxsize=64)
def _province_names(year: int) -> dict[str, str]:
    return {d.code[:2]: d.name for d in divisions_of_year(year) if d.level == "province"}


def province_name(code: object, year: object) -> str:
    """The name of the province a 6-digit division code lies in, in the division table of `year`."""
    if not isinstance(code, str) or len(code) != 6 or year is None or pd.isna(year):
        return ""
    return _province_names(int(year)).get(code[:2], "")


def panel_frame(reports: pd.DataFrame, indicators: pd.DataFrame, taxonomy: list[Indicator]) -> pd.DataFrame:
    """One row per report: its place (names also in pinyin) and one column per indicator of the taxonomy."""
    places = reports[["report_id", "jurisdiction", "level", "parent", "division_code", "year"]].astype(object)
    places = places.where(places.notna(), None)
    places["province"] = [province_name(c, y) for c, y in zip(places["division_code"], places["year"], strict=True)]
    for column in ("jurisdiction", "province", "parent"):
        places[f"{column}_pinyin"] = places[column].map(romanize)
    values = indicators.pivot_table(index="report_id", columns="indicator_id", values="value", aggfunc="first",
                                    observed=True)
    values = values.reindex(columns=[i.id for i in taxonomy]).astype(object)
    panel = places.merge(values.where(values.notna(), None), left_on="report_id", right_index=True, how="left")
    return typed_frame("panel", panel.reindex(columns=column_names("panel")).to_dict("records"))


# ---------------------------------------------------------------- writing them

def derived_inputs(raw_dir: Path) -> list[str]:
    """What the derived files depend on besides the captures: the whole catalogue (coverage counts the reports
    not archived yet) and the release metadata (datapackage.json); a build keyed on these too is redone when
    they change."""
    paths = (Path(raw_dir) / "sources.csv", METADATA_PATH)
    return [f"{path.name} {file_sha256(path) if path.is_file() else ''}" for path in paths]


def derived_frames(raw_dir: Path, out_dir: Path) -> dict[str, pd.DataFrame]:
    """captures, coverage and panel of the build in `out_dir` from the archive in `raw_dir`."""
    reports = pd.read_parquet(out_dir / "reports.parquet")
    indicators = pd.read_parquet(out_dir / "indicators.parquet")
    captures = captures_frame(raw_dir)
    return {"captures": captures, "coverage": coverage_frame(raw_dir, reports, indicators, captures),
            "panel": panel_frame(reports, indicators, load_taxonomy())}


def _validated(frames: dict[str, pd.DataFrame]) -> None:
    from pipeline.publish.validate import load_suites, validate_tables

    result = validate_tables(frames, suites=load_suites(tables=tuple(frames)), row_counts={})
    if not result.success:
        raise DerivedTableError("derived tables failed validation, not written:\n" +
                                "\n".join("  " + f.describe() for f in result.failures))


def _with_resources(package: dict, resources: Iterable[dict], sources: list[dict]) -> dict:
    names = {r["name"] for r in resources}
    kept = [r for r in package["resources"] if r["name"] not in names]
    return {**package, "sources": sources, "resources": kept + list(resources)}


def write_derived(raw_dir: Path, out_dir: Path) -> list[Path]:
    """Derive, validate and write captures, coverage and panel beside the build, add them to datapackage.json
    with every source once; returns the paths written. Raises DerivedTableError when validation fails."""
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    frames = derived_frames(raw_dir, out_dir)
    _validated(frames)
    written, resources = [], []
    for table in DERIVED_TABLES:
        paths = {fmt: out_dir / f"{table}.{fmt}" for fmt in ("csv", "parquet")}
        staged = {fmt: path.with_name(f".{path.name}.new") for fmt, path in paths.items()}
        writer = TableWriter(table, staged["parquet"], staged["csv"])
        try:
            writer.write(frames[table])
        finally:
            writer.close()
        for fmt, path in paths.items():
            os.replace(staged[fmt], path)  # each file replaced whole, never half written
            written.append(path)
            resources.append(file_resource(table, path))
    package_path = out_dir / "datapackage.json"
    package = _with_resources(json.loads(package_path.read_text(encoding="utf-8")), resources,
                              package_sources(frames["captures"]))
    write_atomically(package_path, (json.dumps(package, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    return written
