"""Page + capture + catalogue row -> the Report record: who reports (jurisdiction, level, parent, code) on
which year, and Checks where the sources disagree or the place cannot be pinned down.

The page is the evidence; the catalogue (entered by hand) fills what the page lacks, and a catalogue
value that contradicts the page becomes a "catalogue_disagrees" check rather than silently winning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.model import Capture, Check, Page, Report
from pipeline.parse import divisions

YEAR = r"(?:19|20)\d{2}"
CN_YEAR = "[〇零一二三四五六七八九]{4}"
CN_YEAR_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
# the body of a title that follows the issuer: "<issuer>[关于]2024年[度]法治政府建设年度报告"
ISSUER_END = re.compile(rf"关于|{YEAR}\s*年|{CN_YEAR}年|法治|依法行政|年度报告|工作报告|报告")
LEADING_YEAR = re.compile(rf"^\s*(?:关于)?\s*(?:{YEAR}|{CN_YEAR})\s*年度?")
GOVERNMENT = re.compile(r"^(?:人民政府|政府|党委|委员会)?$")
STREET = re.compile(r"^([\u4e00-\u9fff]{1,12}?(?:街道|镇|乡|苏木))(?:办事处|人民政府|政府|党工委)?$")
DEPARTMENT = re.compile(r"^[\u4e00-\u9fff（）()]{1,24}"
                        r"(?:局|厅|委员会|委|办公室|办公厅|办|署|中心|院|所|支队|大队|部|处)$")
GENERIC_PLACE = re.compile(r"^([省市区县州旗])(?!场|政|域|级|属|直)(?=[\u4e00-\u9fff])")
LEVEL_BY_SUFFIX = [("自治区", "province"), ("省", "province"), ("自治州", "city"), ("盟", "city"),
                   ("地区", "city"), ("区", "district"), ("县", "county"), ("旗", "county"), ("市", "city")]
DATE_LINE = re.compile(rf"^\s*({YEAR})\s*年\s*(\d{{1,2}})\s*月\s*(\d{{1,2}})\s*日\s*$")
SIGNATURE = re.compile(r"^\s*([\u4e00-\u9fff（）()]{2,40})\s*$")
# a body that states the year it covers
YEAR_COVERED = re.compile(rf"({YEAR})\s*年度?(?:主要工作|工作情况|工作开展情况|工作总结"
                          r"|法治政府建设(?:工作)?(?:情况|成效|开展))")
YEAR_OPENING = re.compile(rf"(?:^|\n)[ \t\u3000\u00a0]*({YEAR})\s*年度?(?:以来)?[，,]")
YEAR_PLANNED = re.compile(rf"(?:^|\n)[ \t\u3000\u00a0]*[一二三四五六七八九十]{{1,3}}、\s*({YEAR})\s*年.{{0,16}}"
                          r"(?:工作计划|工作安排|工作打算|工作思路|工作要点)")
THIS_YEAR = re.compile(r"今年(?!度)")
LATE_IN_YEAR = 7  # a text dated from July on that says 今年 reports on that year; earlier, 今年 is the plan
TEXT_HEAD = 3000  # where a body states its year, if it does


@dataclass
class Issuer:
    """Who a title (or signature, or catalogue name) says wrote the report."""

    names: list[str] = field(default_factory=list)  # division names as written, outermost first
    street: str = ""  # 华富街道, XX镇
    department: str = ""  # 司法局, 市场监督管理局
    generic: str = ""  # 区 in "区司法局": a place named only by its kind
    other: str = ""  # words after the place that name neither a government nor a department (各区)

    def __bool__(self) -> bool:
        return bool(self.names or self.street or self.department or self.other)


@dataclass
class Place:
    """The resolved jurisdiction of a report."""

    jurisdiction: str = ""
    level: str = ""
    parent: str = ""
    division_code: str = ""
    checks: list[Check] = field(default_factory=list)


def report_title(page: Page, capture: Capture, entry: dict[str, str]) -> str:
    """The page title, else the title given by hand, else the catalogue's."""
    return (page.title or capture.title or entry.get("title", "")).strip()


def issuer_text(title: str) -> str:
    """The leading part of a title that names who reports: 深圳市光明区人民政府 in
    深圳市光明区人民政府关于2021年度法治政府建设情况的报告; "" if the title names no one."""
    t = LEADING_YEAR.sub("", title)
    return ISSUER_END.split(t, maxsplit=1)[0].strip(" \u3000:：-—《》“”\"")


def parse_issuer(s: str, own_level: bool = True) -> Issuer:
    """Division names, street and department in an issuer string. With own_level=False (publisher, site
    name) only the place names are kept: a publishing office is not the author."""
    s = re.sub(r"\s+", "", s or "").removeprefix("中共")
    found = divisions.find_names(s)
    names = [n for _, n in found]
    rest = s[found[-1][0] + len(found[-1][1]):] if found else s
    if not own_level:
        return Issuer(names=names)
    street = STREET.match(rest)
    if street:
        return Issuer(names=names, street=street.group(1))
    if GOVERNMENT.match(rest) and names:
        return Issuer(names=names)
    generic = GENERIC_PLACE.match(rest) if not names else None
    dept = rest[1:] if generic else rest
    if DEPARTMENT.match(dept) and not GOVERNMENT.match(dept):
        return Issuer(names=names, department=dept, generic=generic.group(1) if generic else "")
    return Issuer(names=names, other=rest if names and not GOVERNMENT.match(rest) else "")


def signature(text: str) -> tuple[str, str]:
    """(signer, YYYY-MM-DD) from the closing lines "深圳市光明区人民政府 / 2022年1月5日"; blanks if absent."""
    lines = [ln for ln in text.rstrip().splitlines()[-8:] if ln.strip()]
    for i in range(len(lines) - 1, 0, -1):
        date = DATE_LINE.match(lines[i])
        if date:
            signer = SIGNATURE.match(lines[i - 1])
            y, m, d = date.groups()
            return (signer.group(1) if signer else ""), f"{y}-{int(m):02d}-{int(d):02d}"
    return "", ""


def year_in_title(title: str) -> int | None:
    """The year a title reports on: 2024 in 福田区人民政府2024年法治政府建设年度报告, 二〇二一年 -> 2021."""
    m = re.search(rf"({YEAR})\s*年", title) or re.search(rf"({CN_YEAR})年", title)
    return int(m.group(1).translate(CN_YEAR_DIGITS)) if m else None


def year_in_text(text: str, dates: list[str]) -> int | None:
    """The year a body says it covers ("2021年主要工作情况", "2024年，..."), else the year of its date
    if it speaks of 今年 and was dated late in that year, else the year before a "2020年...工作计划" heading."""
    head = text[:TEXT_HEAD]
    m = YEAR_COVERED.search(head) or YEAR_OPENING.search(head)
    if m:
        return int(m.group(1))
    dated = next((d for d in dates if re.match(rf"{YEAR}-\d\d", d)), "")
    if dated and int(dated[5:7]) >= LATE_IN_YEAR and THIS_YEAR.search(text):
        return int(dated[:4])
    m = YEAR_PLANNED.search(text)
    return int(m.group(1)) - 1 if m else None


def level_by_suffix(name: str) -> str:
    """A level guessed from a place name's suffix, for names the table does not know."""
    return next((level for suffix, level in LEVEL_BY_SUFFIX if name.endswith(suffix)), "")


def _resolve(name: str, year: int | None, outer: list[str],
             hints: list[str]) -> tuple[divisions.Division | None, list[Check]]:
    """The one division called `name` in `year`, choosing among namesakes by the places written before it
    (`outer`, as in 福州市鼓楼区), else by places named around the report (`hints`); None and a Check
    when there is no such division or it cannot be told apart."""
    found = divisions.lookup(name, year)
    for group in (outer, hints):
        if len(found) > 1:
            found = [d for d in found if any(_inside(d, h) for h in group if h != name)] or found
    if len(found) == 1:
        return found[0], []
    if not found:
        years = divisions.known_years(name)
        known = f" (in the table for {years[0]}–{years[-1]})" if years else ""
        return None, [Check("unknown_jurisdiction", "warning",
                            f"{name} is not a division in {divisions.table_year(year)}{known}")]
    options = ", ".join(f"{d.parent}{d.name} {d.code}" for d in found)
    return None, [Check("ambiguous_jurisdiction", "warning",
                        f"{name} names several divisions ({options}); no parent tells which")]


def _inside(d: divisions.Division, hint: str) -> bool:
    return bool(hint) and any(above and (above == hint or above.startswith(hint) and len(hint) >= 2)
                              for above in (d.city, d.province))


def _place_of_government(name: str, year: int | None, hints: list[str], outer: list[str]) -> Place:
    """A government (province, city, district, county) called `name`."""
    div, checks = _resolve(name, year, outer, hints)
    if div:
        return Place(name, div.level, div.parent, div.code, checks)
    parent = outer[-1] if outer else ""
    return Place(name, level_by_suffix(name), parent, "", checks)


def _enclosing(entry_parent: str, hints: list[str], kinds: tuple[str, ...]) -> str:
    """The place a street or an unplaced department belongs to: the catalogue parent, else a place named
    around the report whose name ends with one of `kinds` (区 for 区司法局; 区/县/旗 for streets)."""
    if entry_parent or not kinds:
        return entry_parent
    return next((h for h in reversed(hints) if h.endswith(kinds)), "")


def identify(issuer: Issuer, year: int | None, hints: list[str], entry_parent: str) -> Place:
    """Jurisdiction, level, parent and code for an issuer, hints being places named around the report."""
    outer = issuer.names[:-1]
    if issuer.street:
        county = issuer.names[-1] if issuer.names else _enclosing(entry_parent, hints, ("区", "县", "旗"))
        gov = _place_of_government(county, year, hints, outer) if county else Place()
        checks = gov.checks or ([] if county else [Check(
            "unknown_jurisdiction", "info", f"{issuer.street}: the county or district it belongs to is unknown")])
        return Place(issuer.street, "street", county, gov.division_code, checks)
    if issuer.department:
        gov_name = issuer.names[-1] if issuer.names else _enclosing(entry_parent, hints, tuple(issuer.generic))
        gov = _place_of_government(gov_name, year, hints, outer) if gov_name else Place()
        checks = gov.checks or ([] if gov_name else [Check(
            "unknown_jurisdiction", "info", f"{issuer.department}: the government it belongs to is unknown")])
        return Place(gov_name + issuer.department, "department", gov_name, gov.division_code, checks)
    if issuer.other:  # a place plus words we cannot classify: keep them, claim no code
        return Place(issuer.names[-1] + issuer.other, "", issuer.names[-1], "")
    if issuer.names:
        return _place_of_government(issuer.names[-1], year, hints, outer)
    return Place()


def _same_place(a: str, b: str) -> bool:
    return bool(a and b) and (a == b or a.endswith(b) or b.endswith(a))


def capture_kind(capture: Capture, page: Page) -> str:
    """text / pdf / html: how the report was captured."""
    ctype = capture.content_type.split(";")[0].strip().lower()
    if ctype == "text/plain":
        return "text"
    if ctype == "application/pdf" or capture.path.lower().endswith(".pdf") or page.adapter == "pdf":
        return "pdf"
    return "html"


def _year(title: str, page: Page, capture: Capture, entry: dict[str, str], signed: str) -> tuple[int | None,
                                                                                                 list[Check]]:
    """The year reported on: title, else catalogue, else text; a catalogue year the page contradicts is a Check."""
    raw = entry.get("year", "").strip()
    listed = int(raw) if raw.isdigit() else None
    checks = [] if listed or not raw else [Check("catalogue_disagrees", "warning",
                                                 f"catalogue year {raw!r} is not a year")]
    dates = [page.published_date, capture.published, entry.get("published", ""), signed]
    from_page = year_in_title(title) or year_in_text(page.text, dates)
    if listed and from_page and listed != from_page:
        checks.append(Check("catalogue_disagrees", "warning",
                            f"catalogue says year {listed}, the page says {from_page}"))
    year = year_in_title(title) or listed or from_page
    if year is None:
        checks.append(Check("year_unknown", "warning", "no year in the title, catalogue or text"))
    return year, checks


def _published(page: Page, capture: Capture, entry: dict[str, str]) -> tuple[str, list[Check]]:
    """Publication date: page, else given by hand, else catalogue; a catalogue date the page contradicts is a Check."""
    listed = entry.get("published", "").strip()
    date = (page.published_date or capture.published or listed).strip()
    if page.published_date and listed and page.published_date[:10] != listed[:10]:
        return date, [Check("catalogue_disagrees", "warning",
                            f"catalogue says published {listed}, the page says {page.published_date}")]
    return date, []


def _place(title: str, page: Page, capture: Capture, entry: dict[str, str], year: int | None,
           signer: str) -> Place:
    """Jurisdiction from the title (else the signature, else the catalogue), checked against the catalogue."""
    listed, listed_parent = entry.get("jurisdiction", "").strip(), entry.get("parent", "").strip()
    issuers = [parse_issuer(issuer_text(t)) for t in (title, capture.title, entry.get("title", "")) if t]
    issuer = next((i for i in issuers + [parse_issuer(signer)] if i), Issuer())
    hints = [n for s in (page.site_name, page.publisher, signer, title, listed)
             for n in parse_issuer(s, own_level=False).names]
    hints += [listed_parent] if listed_parent else []
    place = identify(issuer, year, hints, listed_parent) if issuer else Place()
    if not place.jurisdiction and listed:
        place = identify(parse_issuer(listed) or Issuer(names=[listed]), year, hints, listed_parent)
    elif not place.jurisdiction:
        place = identify(_named_around(page), year, hints, listed_parent)
    elif listed and not _same_place(place.jurisdiction, listed):
        place.checks.append(Check("catalogue_disagrees", "warning",
                                  f"catalogue says {listed}, the page says {place.jurisdiction}"))
    place.level = place.level or entry.get("level", "").strip()
    place.parent = place.parent or listed_parent
    return place


def _named_around(page: Page) -> Issuer:
    """Last resort: the government named by the publisher, else by the site (a publishing office or
    department usually publishes its government's report)."""
    for s in (page.publisher, page.site_name):
        names = parse_issuer(s, own_level=False).names
        if names:
            return Issuer(names=names)
    return Issuer()


def make_report(page: Page, capture: Capture, entry: dict[str, str]) -> tuple[Report, list[Check]]:
    """The Report record of a capture, with the Checks raised while filling it in."""
    entry = {k: (v or "") for k, v in (entry or {}).items()}
    title = report_title(page, capture, entry)
    signer, signed = signature(page.text or "")
    year, checks = _year(title, page, capture, entry, signed)
    published, date_checks = _published(page, capture, entry)
    try:
        place = _place(title, page, capture, entry, year, signer)
    except divisions.DivisionTableError as e:
        place = Place(entry.get("jurisdiction", ""), entry.get("level", ""), entry.get("parent", ""), "",
                      [Check("division_table_missing", "error", str(e))])
    report = Report(title=title, jurisdiction=place.jurisdiction, level=place.level, parent=place.parent,
                    division_code=place.division_code, year=year, published_date=published,
                    publisher=page.publisher, url=capture.url, raw_sha256=capture.sha256,
                    capture=capture_kind(capture, page), adapter=page.adapter, index_number=page.index_number)
    return report, checks + date_checks + place.checks
