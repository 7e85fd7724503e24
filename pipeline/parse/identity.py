"""Page + capture + catalogue row -> the Report record: who reports (jurisdiction, level, parent, code) on
which year, and Checks where the sources disagree or the place cannot be pinned down.

The page is the evidence, read in order of trust: the title; the info table (发布机构); the signature; the
opening sentence ("2023年，太康县坚持…"); the places the body names; the site's identity code in its footer
(政府网站标识码, 公安备案号); the URL host last (its label spells the place: xuchang, cqstl). A body that names
itself only by its kind (区政府, 我县, 区司法局) gets its place from the others. The catalogue (entered by
hand) fills what the page lacks, and a catalogue value that contradicts the page becomes a
"catalogue_disagrees" check rather than silently winning.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pipeline.model import Capture, Check, Page, Report
from pipeline.parse import divisions

YEAR = r"(?:19|20)\d{2}"
CN_YEAR = "[〇零一二三四五六七八九]{4}"
CN_YEAR_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
# the body of a title that follows the issuer: "<issuer>[关于]2024年[度]法治政府建设年度报告"
ISSUER_END = re.compile(rf"关于|{YEAR}\s*年|{CN_YEAR}年|法治|依法行政|年度报告|工作报告|报告")
LEADING_YEAR = re.compile(rf"^\s*(?:关于)?\s*(?:{YEAR}|{CN_YEAR})\s*年度?")
GOVERNMENT = re.compile(r"^(?:人民政府|政府|党委|委员会|委|办事处|管委会|党工委)?$")
# a body named by its kind only: 区政府, 我县, 市人民政府, 县委、县政府 (the kind is the group)
GENERIC_GOVERNMENT = re.compile(r"^(?:我|本|全)?(自治区|省|市|区|县|州|旗)(?:委|人民政府|政府|各级政府.*)?$")
KIND_LEVELS = {"自治区": ("province",), "省": ("province",), "市": ("city", "county"), "区": ("district",),
               "县": ("county",), "州": ("city",), "旗": ("county",), "厅": ("province",)}
STREET = re.compile(r"^([\u4e00-\u9fff]{1,12}?(?:街道|镇|乡|苏木))(?:办事处|人民政府|政府|党工委)?$")
DEPARTMENT = re.compile(r"^[\u4e00-\u9fff（）()]{1,24}"
                        r"(?:局|厅|委员会|委|办公室|办公厅|办|署|中心|院|所|支队|大队|部|处)$")
# a place name the division table does not know (深汕特别合作区, 洪江区): kept as written, with its level
UNKNOWN_PLACE = re.compile(r"^[\u4e00-\u9fff]{2,10}?(?:合作区|管理区|新区|开发区|特区|林区|区|县|旗)"
                           r"(?:人民政府|政府|管委会)?$")
GENERIC_PLACE = re.compile(r"^([省市区县州旗])(?!场|政(?!府)|域|级|属|直)(?=[\u4e00-\u9fff])")  # 区司法局, 市政府办公室
SELF_REFERENCE = re.compile(r"^(?:我|本)[局委办厅院署]")  # 我局: names no one
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
YEAR_SUBMITTED = re.compile(rf"现将\s*(?:[我本全][省市区县州旗局委]\s*)?({YEAR})\s*年度?")  # 现将2023年…情况报告如下
LATE_IN_YEAR = 7  # a text dated from July on that says 今年 reports on that year; earlier, 今年 is the plan
TEXT_HEAD = 3000  # where a body states its year, if it does
OPENING_CHARS = 300  # the opening sentence, where a report names its author
_RANGE_YEAR = re.compile(rf"(?:{YEAR}\s*年?\s*[—\-－~～至到]+\s*)({YEAR})\s*年"
                         rf"|({YEAR})\s*年?\s*[—\-－~～至到]+\s*{YEAR}")
# a year that opens a clause: "2023年，…", "2023年以来，…", "2022年南星街道法治政府建设工作，…"
_OPENING_YEAR = re.compile(rf"(?:^|(?<=[，,：:\s]))({YEAR})\s*年度?"
                           r"(?:(?:以来)?\s*[，,]|(?=[\u4e00-\u9fff]{0,12}?法治政府建设))")
_LED_BY = re.compile(r"^(?:在[^，,。]{2,60}?(?:领导|指导|监督|支持|关心|带领)[^，,。]{0,10}?下\s*[，,]\s*)+")
_SUBJECT_END = re.compile(r"坚持|始终|深入|认真|全面|紧紧|紧扣|以|在|高度|把|围绕|笃|扎实|聚焦|锚定|持续|积极|牢牢|立足"
                          r"|着力|不断|大力|切实|践行|贯彻|法治政府建设|按照|坚定|结合|严格|抓|主动|推进")
# weights of the places around a report, in order of trust
WEIGHTS = {"catalogue": 5.0, "publisher": 4.0, "signer": 4.0, "opening": 4.0, "site": 3.0, "code": 3.0, "host": 2.0,
           "body": 1.0}
BODY_MENTIONS = 3  # mentions of a place in the body that count


@dataclass
class Issuer:
    """Who a title (or signature, or catalogue name) says wrote the report."""

    names: list[str] = field(default_factory=list)  # division names as written, outermost first
    street: str = ""  # 华富街道, XX镇
    department: str = ""  # 司法局, 市场监督管理局
    generic: str = ""  # 区 in "区司法局": a place named only by its kind
    other: str = ""  # words after the place that name neither a government nor a department (各区)
    unknown_place: bool = False  # `other` is a place the division table does not know (深汕特别合作区)

    def __bool__(self) -> bool:
        return bool(self.names or self.street or self.department or self.other or self.generic)


@dataclass
class Place:
    """The resolved jurisdiction of a report."""

    jurisdiction: str = ""
    level: str = ""
    parent: str = ""
    division_code: str = ""
    checks: list[Check] = field(default_factory=list)
    government: str = ""  # the government the body is or belongs to


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
    name) only the place names are kept: a publishing office is not the author. Joint issuers (某某街道党工委、
    办事处; 中共某某县委 某某县人民政府) are read as the government among them."""
    issuer = _parse_one(s, own_level)
    parts = [p for p in re.split(r"[、\s]+", (s or "").strip()) if p]
    if own_level and len(parts) > 1 and (issuer.other or not issuer):
        for part in reversed(parts):
            named = _parse_one(part, own_level)
            if named and not named.other:
                return named if named.names or not issuer.names else Issuer(
                    names=issuer.names, street=named.street, department=named.department)
    return issuer


def _parse_one(s: str, own_level: bool) -> Issuer:
    s = re.sub(r"\s+", "", s or "").removeprefix("中共")
    s = re.sub(r"(?:党组|党委|党工委)$", "", s)
    found = divisions.find_names(s)
    names = [n for _, n in found]
    rest = s[found[-1][0] + len(found[-1][1]):] if found else s
    if not own_level:
        return Issuer(names=names)
    street = STREET.match(re.sub(r"^(?:人民政府|政府)", "", rest))  # 某某区人民政府某某街道办事处
    if street:
        return Issuer(names=names, street=street.group(1))
    if not names and SELF_REFERENCE.match(rest):
        return Issuer()
    if GOVERNMENT.match(rest) and names:
        return Issuer(names=names)
    if not names and (kind := GENERIC_GOVERNMENT.match(rest)):
        return Issuer(generic=kind.group(1))
    if UNKNOWN_PLACE.match(rest) and not DEPARTMENT.match(rest):
        return Issuer(names=names, other=rest, unknown_place=True)
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


def opening_sentence(text: str) -> str:
    """The report's first sentence, where it says who reports on which year ("2023年，太康县坚持…")."""
    head = (text or "")[:OPENING_CHARS]
    return head.split("。", 1)[0]


def _opening_year_match(sentence: str) -> re.Match | None:
    """The first year of the opening sentence that is not part of a range (2021—2025年) or a quoted name."""
    ranges = [m.span() for m in _RANGE_YEAR.finditer(sentence)]
    for m in _OPENING_YEAR.finditer(sentence):
        before = sentence[: m.start()]
        quoted = any(before.count(a) > before.count(b) for a, b in ("《》", "“”", "（）", "()"))
        if not quoted and not any(a <= m.start() < b for a, b in ranges):
            return m
    return None


def opening_subject(text: str) -> str:
    """Who the opening sentence says acted: 太康县 in "2023年，太康县坚持…", 区政府 in "2022年,区政府坚持",
    陆良县委 in "在市委的领导下,陆良县委、县政府坚持"; "" when it names no one."""
    sentence = opening_sentence(text)
    m = _opening_year_match(sentence)
    if not m:
        return ""
    rest = _LED_BY.sub("", sentence[m.end():].lstrip(" ，,"))
    verb = _SUBJECT_END.search(rest)
    subject = rest[: verb.start()] if verb else ""
    if not 1 <= len(subject) <= 30:
        return ""
    parts = [p for p in subject.split("、") if p]
    return next((p for p in parts if divisions.find_names(p)), "") or next((p for p in parts if "政府" in p), parts[0])


def year_in_text(text: str, dates: list[str]) -> int | None:
    """The year a body says it covers: its opening sentence's ("2023年，…", "根据…，2023年，…"), else
    "2021年主要工作情况", else the year of its date if it speaks of 今年 and was dated late in that year, else
    the year before a "2020年...工作计划" heading."""
    m = _opening_year_match(opening_sentence(text)) or YEAR_SUBMITTED.search(text[:OPENING_CHARS * 2])
    if m:
        return int(m.group(1))
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


@dataclass
class Context:
    """The divisions named around a report (publisher, signature, opening, site, footer code, host, body), each
    with a weight from how much its source is trusted: where a body names itself only by its kind, or a
    name has namesakes, the best-supported division of the right kind is taken."""

    scores: dict[str, float] = field(default_factory=dict)  # division code -> weight
    by_code: dict[str, divisions.Division] = field(default_factory=dict)
    kind_hint: str = ""  # 市 in "在市委、市政府…领导下，我镇…": the kind of government above a street

    def add(self, found: list[divisions.Division], weight: float, share: bool = True) -> None:
        """Weigh divisions from one source; namesakes share the weight unless `share` is False (a host that
        spells two places of different kinds, 河北省 and 河北区, names either fully: the kind decides)."""
        unique = {d.code: d for d in found}
        for code, d in unique.items():
            self.by_code[code] = d
            self.scores[code] = self.scores.get(code, 0.0) + weight / (len(unique) if share else 1)

    def score(self, d: divisions.Division) -> float:
        """Its own weight, plus support from the places above it named around the report."""
        above = sum(self.scores.get(a.code, 0.0) for a in self.by_code.values() if a.name in (d.city, d.province))
        return self.scores.get(d.code, 0.0) + min(above, 2.0) / 2

    def best(self, kind: str = "", levels: tuple[str, ...] = ()) -> divisions.Division | None:
        """The best-supported division of `kind` (区, 县, 市 …) or `levels`; None when nothing is good enough."""
        pool = [d for d in self.by_code.values() if _of_kind(d, kind, levels)]
        pool += [a for d in self.by_code.values() for a in _ancestors(d) if _of_kind(a, kind, levels)]
        scored = sorted({d.code: d for d in pool}.values(), key=lambda d: (-self._ranked(d), d.code))
        if not scored or self._ranked(scored[0]) < MIN_SUPPORT:
            return None
        tied = len(scored) > 1 and self._ranked(scored[1]) == self._ranked(scored[0])
        return None if tied else scored[0]  # two places equally supported: neither is named

    def _ranked(self, d: divisions.Division) -> float:
        below = sum(w for c, w in self.scores.items() if d.name in (self.by_code[c].city, self.by_code[c].province))
        return self.score(d) + below / 2

    def choose(self, found: list[divisions.Division]) -> divisions.Division | None:
        """The namesake the context supports best, if one is supported more than the others."""
        ranked = sorted(found, key=lambda d: -self._ranked(d))
        if len(ranked) > 1 and self._ranked(ranked[0]) > self._ranked(ranked[1]):
            return ranked[0]
        return ranked[0] if len(ranked) == 1 else None


HOST_NAMESAKES = 3  # a host spelling this many places or fewer names each of them; more share its weight
MIN_SUPPORT = 1.5  # one mention in the body is not enough to name a place; one clear host or two mentions are


def _of_kind(d: divisions.Division, kind: str, levels: tuple[str, ...]) -> bool:
    if levels:
        return d.level in levels
    if not kind:
        return True
    if d.level not in KIND_LEVELS.get(kind, ()):
        return False
    return d.level != "county" or kind not in ("市", "县") or d.name.endswith(kind) or kind == "县" and \
        d.name.endswith("旗")


def _ancestors(d: divisions.Division) -> list[divisions.Division]:
    """The city and province above a division."""
    return [a for name in (d.city, d.province) if name for a in divisions.lookup(name, d.year)[:1]]


def _named_in(s: str, year: int | None) -> list[list[divisions.Division]]:
    """The divisions each place name in `s` may be, namesakes narrowed by the names written before it."""
    names = [n for _, n in divisions.find_names(s)]
    out = []
    for i, name in enumerate(names):
        found = divisions.lookup(name, year)
        narrowed = [d for d in found if any(_inside(d, h) for h in names[:i])] or found
        if narrowed:
            out.append(narrowed)
    return out


def report_context(page: Page, capture: Capture, year: int | None, signer: str) -> Context:
    """The weighted divisions named around a report, from every source but its title."""
    ctx = Context()
    for source, text in (("publisher", page.publisher), ("site", page.site_name), ("signer", signer),
                         ("opening", opening_subject(page.text))):
        for found in _named_in(text, year):
            ctx.add(found, WEIGHTS[source])
    if page.site_code and (coded := divisions.by_code(page.site_code, year)):
        ctx.add([coded], WEIGHTS["code"])
    host = urlsplit(capture.final_url or capture.url).netloc if (capture.final_url or capture.url) else ""
    if host and (spelled := divisions.host_divisions(host, year)):
        ctx.add(spelled, WEIGHTS["host"], share=len(spelled) > HOST_NAMESAKES)
    mentions = Counter(name for _, name in divisions.find_names(re.sub(r"\s+", "", page.text[:TEXT_HEAD])))
    for name, count in mentions.items():
        ctx.add(divisions.lookup(name, year), WEIGHTS["body"] * min(count, BODY_MENTIONS))
    led_by = re.findall(r"([市区县旗])(?:委|政府|人民政府)[、，,和]", opening_sentence(page.text))
    ctx.kind_hint = led_by[0] if led_by else ""
    return ctx


def _government(issuer: Issuer, year: int | None, hints: list[str], ctx: Context) -> tuple[str, divisions.Division |
                                                                                           None, list[Check]]:
    """The government a reporting body is or belongs to: its name, its division (None if unknown), checks."""
    if issuer.names:
        name = issuer.names[-1]
        div, checks = _resolve(name, year, issuer.names[:-1], hints)
        if div is None and (chosen := ctx.choose(divisions.lookup(name, year))):
            return name, chosen, []
        return name, div, checks
    kind = issuer.generic or ("省" if issuer.department.endswith("厅") else "")
    if issuer.street:
        div = (ctx.best(ctx.kind_hint, ()) if ctx.kind_hint in ("市", "区", "县", "旗") else None) or \
            ctx.best(levels=("district", "county"))
    elif issuer.department and not kind:
        div = ctx.best(levels=("province", "city", "district", "county"))
    else:
        div = ctx.best(kind)
    if div:
        return div.name, div, []
    what = issuer.street or issuer.department or (f"{issuer.generic}政府" if issuer.generic else "the report")
    return "", None, [Check("unknown_jurisdiction", "warning", f"{what}: no source names the government it is "
                                                               "or belongs to")]


def _enclosing(entry_parent: str, hints: list[str], kinds: tuple[str, ...]) -> str:
    """The place a street belongs to when nothing else tells: the catalogue parent, else a place named
    around the report whose name ends with one of `kinds`."""
    if entry_parent or not kinds:
        return entry_parent
    return next((h for h in reversed(hints) if h.endswith(kinds)), "")


def _department_name(department: str) -> str:
    """A department's name written in full: 卫生健康委 -> 卫生健康委员会."""
    return department + "员会" if department.endswith("委") else department


def identify(issuer: Issuer, year: int | None, hints: list[str], entry_parent: str,
             ctx: Context | None = None) -> Place:
    """Jurisdiction, level, parent and code for an issuer, hints being places named around the report."""
    ctx = ctx or Context()
    if issuer.other and issuer.names and not issuer.unknown_place:  # a place plus words we cannot classify
        return Place(issuer.names[-1] + issuer.other, "", issuer.names[-1], "", government=issuer.names[-1])
    if issuer.unknown_place:  # a place the table does not know: kept as written, its level from its name
        name = re.sub(r"(?:人民政府|政府|管委会)$", "", issuer.other)
        check = Check("unknown_jurisdiction", "warning", f"{name} is not a division in {divisions.table_year(year)}")
        return Place(name, level_by_suffix(name), issuer.names[-1] if issuer.names else "", "", [check],
                     government=name)
    gov_name, div, checks = _government(issuer, year, hints, ctx)
    gov_name = gov_name or (_enclosing(entry_parent, hints, ("区", "县", "旗")) if issuer.street else "")
    code, parent = (div.code, div.parent) if div else ("", issuer.names[-2] if len(issuer.names) > 1 else "")
    level = div.level if div else level_by_suffix(gov_name)
    if issuer.street:
        return Place(issuer.street, "street", parent, code, checks, government=div.name if div else gov_name)
    if issuer.department:
        written = "".join(issuer.names) if issuer.names else gov_name or issuer.generic  # 区司法局 when unplaced
        return Place(written + _department_name(issuer.department), "department", parent, code, checks,
                     government=div.name if div else gov_name)
    gov_name = div.name if div else gov_name  # the official name: 昌吉回族自治州 for 昌吉州
    return Place(gov_name, level, parent, code, checks, government=gov_name)


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


def _published(page: Page, capture: Capture, entry: dict[str, str], signed: str) -> tuple[str, list[Check]]:
    """Publication date: the page's (labelled, meta tags, date line), else given by hand, else catalogue, else
    the signature's; a catalogue date the page contradicts is a Check. Never the crawl date."""
    listed = entry.get("published", "").strip()
    date = (page.published_date or capture.published or listed or signed).strip()
    if page.published_date and listed and page.published_date[:10] != listed[:10]:
        return date, [Check("catalogue_disagrees", "warning",
                            f"catalogue says published {listed}, the page says {page.published_date}")]
    return date, []


def _issuer(title: str, page: Page, capture: Capture, entry: dict[str, str], signer: str) -> Issuer:
    """Who reports, from the first source that says (title, signature, opening sentence); a source naming the
    body only by its kind (区司法局) takes the place from a later one that names it."""
    texts = [issuer_text(t) for t in (title, capture.title, entry.get("title", "")) if t]
    issuers = [i for i in map(parse_issuer, [*texts, signer, opening_subject(page.text)]) if i]
    if not issuers:
        return Issuer()
    first = issuers[0]
    if not first.names and not first.other:
        named = next((i for i in issuers[1:] if i.names and i.street == first.street and (
            i.department == first.department or not i.department)), None)
        if named:
            return Issuer(names=named.names, street=first.street, department=first.department or named.department)
    return first


def _disagreement(place: Place, ctx: Context, page: Page, year: int | None) -> list[Check]:
    """A check when the site's identity code names a government the report does not belong to."""
    coded = divisions.by_code(page.site_code, year) if page.site_code else None
    if not coded or not place.division_code or coded.code == place.division_code:
        return []
    related = coded.name in (place.parent, place.government) or any(
        d.code == place.division_code and coded.name in (d.city, d.province) for d in ctx.by_code.values())
    if related or place.division_code.endswith("0000") or place.division_code[:4] + "00" == coded.code:
        return []
    return [Check("identity_sources_disagree", "info", f"the report names {place.government or place.jurisdiction} "
                  f"({place.division_code}); the site's identity code is {coded.name}'s ({coded.code})")]


def _place(title: str, page: Page, capture: Capture, entry: dict[str, str], year: int | None,
           signer: str) -> Place:
    """Jurisdiction from the title, else signature, else opening sentence, placed with the evidence around the
    report (else the catalogue), and checked against the catalogue."""
    listed, listed_parent = entry.get("jurisdiction", "").strip(), entry.get("parent", "").strip()
    ctx = report_context(page, capture, year, signer)
    for found in _named_in(listed_parent, year):  # given by hand: the government a street or department is in
        ctx.add(found, WEIGHTS["catalogue"])
    issuer = _issuer(title, page, capture, entry, signer) or parse_issuer(listed) or (
        Issuer(names=[listed]) if listed else Issuer())
    hints = [n for s in (page.site_name, page.publisher, signer, title, listed)
             for n in parse_issuer(s, own_level=False).names]
    hints += [listed_parent] if listed_parent else []
    place = identify(issuer, year, hints, listed_parent, ctx)
    if listed and place.jurisdiction and not _same_place(place.jurisdiction, listed):
        place.checks.append(Check("catalogue_disagrees", "warning",
                                  f"catalogue says {listed}, the page says {place.jurisdiction}"))
    place.checks += _disagreement(place, ctx, page, year)
    place.level = place.level or entry.get("level", "").strip()
    place.parent = place.parent or listed_parent
    return place


def make_report(page: Page, capture: Capture, entry: dict[str, str]) -> tuple[Report, list[Check]]:
    """The Report record of a capture, with the Checks raised while filling it in."""
    entry = {k: (v or "") for k, v in (entry or {}).items()}
    title = report_title(page, capture, entry)
    signer, signed = signature(page.text or "")
    year, checks = _year(title, page, capture, entry, signed)
    published, date_checks = _published(page, capture, entry, signed)
    try:
        place = _place(title, page, capture, entry, year, signer)
    except divisions.DivisionTableError as e:
        place = Place(entry.get("jurisdiction", ""), entry.get("level", ""), entry.get("parent", ""), "",
                      [Check("division_table_missing", "error", str(e))], government=entry.get("jurisdiction", ""))
    report = Report(title=title, jurisdiction=place.jurisdiction, level=place.level, parent=place.parent,
                    government=place.government,
                    division_code=place.division_code, year=year, published_date=published,
                    publisher=page.publisher, url=capture.url, raw_sha256=capture.sha256,
                    capture=capture_kind(capture, page), adapter=page.adapter, index_number=page.index_number)
    return report, checks + date_checks + place.checks
