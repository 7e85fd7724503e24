"""`pipeline coverage`: the coverage table of a build, summed by province and level, for a terminal."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd

COUNTS = ("in_catalogue", "archived", "parsed", "with_indicators")
HEADER = ("province", "level", "governments", "catalogued", "archived", "parsed", "with indicators")
LEVEL_ORDER = ("province", "city", "district", "county")


def read_coverage(out_dir: Path) -> pd.DataFrame:
    """The coverage table of the build in `out_dir`; FileNotFoundError saying how to make it."""
    path = Path(out_dir) / "coverage.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"no coverage table in {out_dir}: run `python -m pipeline build` first")
    return pd.read_parquet(path)


def coverage_by_province(coverage: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    """Governments (government-years over several years) and how many are catalogued, archived, parsed and
    gave at least one indicator, by province and level, provinces in division-code order."""
    rows = coverage if year is None else coverage[coverage["year"] == year]
    rows = rows.assign(with_indicators=rows["n_indicators"] > 0, code=rows["division_code"].str[:2],
                       level=pd.Categorical(rows["level"].astype(str), categories=LEVEL_ORDER, ordered=True))
    grouped = rows.groupby(["code", "province", "level"], observed=True)
    summary = grouped[list(COUNTS)].sum().astype(int)
    summary.insert(0, "governments", grouped.size())
    return summary.reset_index().drop(columns="code")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    space = " " * max(0, width - _width(text))
    return space + text if right else text + space


def coverage_lines(coverage: pd.DataFrame, year: int | None = None) -> list[str]:
    """The summary as aligned text lines, with a total line."""
    summary = coverage_by_province(coverage, year)
    years = (f"{year}" if year is not None else
             f"{coverage['year'].min()}-{coverage['year'].max()}, government-years" if len(coverage) else "no years")
    body = [[str(r.province), str(r.level), *(str(getattr(r, c)) for c in ("governments", *COUNTS))]
            for r in summary.itertuples()]
    body.append(["total", "", str(int(summary["governments"].sum())),
                 *(str(int(summary[c].sum())) for c in COUNTS)])
    widths = [max(_width(row[i]) for row in [list(HEADER), *body]) for i in range(len(HEADER))]
    lines = [f"coverage of governments of county level and above ({years})"]
    for row in [list(HEADER), *body]:
        lines.append("  ".join(_pad(cell, widths[i], right=i > 1) for i, cell in enumerate(row)))
    return lines
