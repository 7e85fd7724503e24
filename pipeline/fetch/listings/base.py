"""What every column-page reader shares: requests, links, list rows, and which links are reports.

Pure parsing, no I/O. A reader gets the request that fetched a page and its text, and returns a
`ListingPage`: the titled links on it, the next pages of the same list (`more`), and other lists it
leads to (`lists`: gkmlpt categories, year archives, jump_url pages).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urlencode, urljoin, urlsplit

import lxml.html
from lxml import etree

# A report on building rule-of-law government, whatever the exact wording of its title.
REPORT_TOPIC = re.compile(r"法治政府|依法行政|法治建设")
_REPORT_WORD = re.compile(r"报告|情况|总结")
# Titles on the same topic that are not the annual report: plans, notices, reviews, explainers.
_NOT_REPORT = re.compile(
    r"纲要|规划|方案|意见|要点|计划|通知|印发|考核|评估|督察|督查|示范|创建|征求|解读|图解|读懂|答记者问"
    r"|培训|会议|第一责任人|述法|述职|宣传|专栏"
)
_CN_DIGITS = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0", "○": "0", "Ｏ": "0"}
_YEAR = re.compile(r"(20\d\d|[〇零○Ｏ一二三四五六七八九]{4})\s*年")
_DATE = re.compile(r"(20\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
# Dates in article URLs: TRS t20240301_N, Hanweb /art/2024/3/1/, plain /20240301/.
_URL_DATES = (re.compile(r"/t(20\d\d)(\d\d)(\d\d)_"), re.compile(r"/art/(20\d\d)/(\d{1,2})/(\d{1,2})/"),
              re.compile(r"/(20\d\d)(\d\d)(\d\d)/"))
# 文号 such as 深福府〔2024〕12号, 京政发[2023]5号, 司发（2022）3号.
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,8}\s*[〔\[［(（【]\s*20\d\d\s*[〕\]］)）】]\s*\d{1,4}\s*号")
# Column (listing) URLs: index.html, index_3.shtml, /col/col1234/, a folder.
_COLUMN_PATH = re.compile(r"(?:/|/index(?:_\d+)?\.s?html?|/col/col\d+/?(?:index\.html)?)$", re.I)
_ENDPOINT_PATH = re.compile(r"/module/", re.I)
# Pages of one list named at most: a freak pager (totalPage: 99999999999) must not name them all; the
# crawler reads far fewer (FetchConfig.max_listing_pages) and stops early anyway.
MAX_LISTED_PAGES = 1000
ATTACHMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".ofd", ".zip", ".rar")
_DOWNLOAD_PATH = re.compile(r"down(?:load)?(?:file)?\.(?:jsp|do|aspx?|php)$|/download/?$", re.I)
_SCRIPT_HREF = re.compile(r"""href=\\+["']((?:[^"'\\]|\\+/)+)\\+["']""")  # href=\"..\/a.pdf\" in JSON


@dataclass(frozen=True)
class PageRequest:
    """A page to fetch: GET a URL, or POST form `data` to it (Hanweb dataproxy.jsp pages)."""

    url: str
    method: str = "GET"
    data: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        """One name per distinct request: the URL, plus the form for a POST (never sent: after #)."""
        return self.url if self.method == "GET" else f"{urldefrag(self.url).url}#POST:{urlencode(self.data)}"


@dataclass(frozen=True)
class Link:
    """A link found on a listing page and what its list row says about it."""

    url: str
    title: str
    published: str = ""  # YYYY-MM-DD: publication date shown in the list (else from the URL)
    doc_number: str = ""  # 文号
    written: str = ""  # 成文日期, where the list gives it apart from the publication date
    aliases: tuple[str, ...] = ()  # other URLs of the same page (gkmlpt post_url)


@dataclass
class ListingPage:
    """What one listing page yields: its links, the next pages of its list, other lists it leads to."""

    adapter: str
    links: list[Link] = field(default_factory=list)
    more: list[PageRequest] = field(default_factory=list)
    lists: list[PageRequest] = field(default_factory=list)
    column: str = ""  # the column's name, where the page gives it
    expected: int | None = None  # how many items the whole list holds, where the page says

    def report_links(self) -> list[Link]:
        """The links that name an annual rule-of-law government report with a year."""
        return [link for link in self.links if is_report_link(link)]


def as_request(page: PageRequest | str) -> PageRequest:
    return page if isinstance(page, PageRequest) else PageRequest(page)


def is_report_title(title: str) -> bool:
    """True for 2023年法治政府建设年度报告 / 情况报告 / 工作报告 titles naming a year; False for bare column
    names (法治政府建设年度报告), 纲要, 方案, notices and the like."""
    title = re.sub(r"\s+", "", title or "")
    return bool(REPORT_TOPIC.search(title) and _REPORT_WORD.search(title) and not _NOT_REPORT.search(title)
                and year_from_title(title))


def is_column_url(url: str) -> bool:
    """True for URLs of listing shape: a folder, index(_N).html, /col/colN/."""
    return bool(_COLUMN_PATH.search(urlsplit(url).path or "/"))


def is_endpoint_url(url: str) -> bool:
    """True for site machinery (Hanweb /module/ data proxies and forms), never an article."""
    return bool(_ENDPOINT_PATH.search(urlsplit(url).path))


def is_report_link(link: Link) -> bool:
    """A report: its title names a report with a year, and its URL is not that of a column."""
    return is_report_title(link.title) and not is_column_url(link.url) and not is_endpoint_url(link.url)


def year_from_title(title: str) -> int | None:
    """The year a report title names (the year reported on), e.g. 关于2023年度… -> 2023; None if none."""
    for m in _YEAR.finditer(title or ""):
        digits = "".join(_CN_DIGITS.get(c, c) for c in m.group(1))
        if digits.isdigit() and 2000 <= int(digits) <= 2099:
            return int(digits)
    return None


def _valid_date(year: int, month: int, day: int) -> str:
    return f"{year:04d}-{month:02d}-{day:02d}" if 1 <= month <= 12 and 1 <= day <= 31 else ""


def date_in(text: str) -> str:
    """The first YYYY-MM-DD date written in `text` (2024-03-01, 2024/3/1, 2024年3月1日, even broken over
    lines as 2024-\\n03-\\n01), else ""."""
    m = _DATE.search(text or "")
    return _valid_date(*(int(g) for g in m.groups())) if m else ""


def date_in_url(url: str) -> str:
    """The date an article URL carries (tYYYYMMDD_, /art/YYYY/M/D/, /YYYYMMDD/), else ""."""
    path = urlsplit(url).path
    for pattern in _URL_DATES:
        if m := pattern.search(path):
            return _valid_date(*(int(g) for g in m.groups()))
    return ""


def doc_number_in(text: str) -> str:
    """The 文号 written in a list row (深福府〔2024〕12号), whitespace removed, else ""."""
    m = _DOC_NUMBER.search(text or "")
    return re.sub(r"\s+", "", m.group(0)) if m else ""


def parse_html(text: str) -> etree._Element | None:
    """An lxml tree of an HTML page, or None for an empty or unparseable page."""
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text or "")
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def link_title(a: etree._Element) -> str:
    """An anchor's title: the one of text and title attribute that names a report with a year, else the
    fuller (lists often truncate the text)."""
    text = squeeze(a.text_content())
    attr = squeeze(a.get("title") or "")
    for candidate in (attr, text):
        if is_report_title(candidate):
            return candidate
    return attr if len(attr) > len(text.rstrip(".…")) else text


def base_url(tree: etree._Element, page_url: str) -> str:
    base = tree.find(".//base[@href]")
    return urljoin(page_url, base.get("href").strip()) if base is not None else page_url


def absolute_http_url(base: str, href: str) -> str:
    """`href` made absolute against `base` (//host/x too), fragment dropped; "" unless it is http(s)."""
    href = (href or "").strip()
    if not href or href.lower().startswith(("javascript:", "mailto:", "tel:", "data:")):
        return ""
    try:
        url = urldefrag(urljoin(base, href)).url
        parts = urlsplit(url)
        return url if parts.scheme in {"http", "https"} and parts.hostname else ""
    except ValueError:  # a malformed href (//host:[…, a bad port) is no link
        return ""


def entry_of(a: etree._Element) -> etree._Element | None:
    """The list entry (nearest li/tr/dd/dl) an anchor sits in, or None."""
    return next(a.iterancestors("li", "tr", "dd", "dl"), None)


def link_from_anchor(a: etree._Element, url: str, entry: etree._Element | None = None) -> Link:
    """A Link with what its list entry shows: date (else the URL's), 文号."""
    entry = entry if entry is not None else entry_of(a)
    row = entry.text_content() if entry is not None else ""
    return row_link(url, link_title(a), row.replace(a.text_content(), " "))


def row_link(url: str, title: str, row: str) -> Link:
    """A Link with what the rest of its list row shows (the title left out): date, else the URL's; 文号."""
    rest = row.replace(title, " ") if title else row
    return Link(url, title, date_in(rest) or date_in_url(url), doc_number_in(rest))


def page_links(page_url: str, tree: etree._Element) -> list[Link]:
    """Every http(s) link of a page with its title and list row, first occurrence of each URL kept."""
    base = base_url(tree, page_url)
    seen: dict[str, Link] = {}
    for a in tree.iter("a"):
        url = absolute_http_url(base, a.get("href", ""))
        if url and not is_endpoint_url(url) and (url not in seen or (not seen[url].title and squeeze(
                a.text_content() + (a.get("title") or "")))):
            seen[url] = link_from_anchor(a, url)
    return list(seen.values())


def fragment_links(page_url: str, html: str) -> list[Link]:
    """Links of an HTML fragment (a CDATA record, a JSON reply's html, a written script string)."""
    tree = parse_html(f"<html><body>{html}</body></html>")
    return page_links(page_url, tree) if tree is not None else []


def is_attachment_url(url: str) -> bool:
    """True for links to documents: by path extension, by a file name in the query
    (downloadfile.jsp?filepath=…&fText=x.doc), or by a download endpoint."""
    parts = urlsplit(url)
    if parts.path.lower().endswith(ATTACHMENT_SUFFIXES):
        return True
    values = [v for pair in parts.query.split("&") for v in pair.split("=", 1)[1:]]
    if any(urlsplit(v).path.lower().endswith(ATTACHMENT_SUFFIXES) for v in values):
        return True
    return bool(parts.query and _DOWNLOAD_PATH.search(parts.path))


def attachment_links(page_url: str, text: str) -> list[str]:
    """The documents (PDF, DOC(X), WPS, XLS(X), OFD, ZIP …) a report page links to, absolute, in page order.

    Anchors first; then hrefs inside scripts (gkmlpt pages carry their body as an escaped JSON string).
    """
    tree = parse_html(text)
    if tree is None:
        return []
    base = base_url(tree, page_url)
    anchors = [absolute_http_url(base, a.get("href", "")) for a in tree.iter("a")]
    scripted = [absolute_http_url(page_url, re.sub(r"\\+/", "/", m.group(1))) for m in _SCRIPT_HREF.finditer(text)]
    return list(dict.fromkeys(url for url in [*anchors, *scripted] if url and is_attachment_url(url)))


def unique_requests(requests: Iterable[PageRequest], exclude: PageRequest | None = None) -> list[PageRequest]:
    """Requests in order, each once, without `exclude` (the page itself)."""
    skip = {exclude.key} if exclude else set()
    out: dict[str, PageRequest] = {}
    for request in requests:
        if request.key not in skip:
            out.setdefault(request.key, request)
    return list(out.values())


def gets(urls: Iterable[str]) -> list[PageRequest]:
    return [PageRequest(u) for u in urls if u]


def column_name(tree: etree._Element) -> str:
    """The column's name from <meta name=ColumnName>, else the page title's first part."""
    for meta in tree.iter("meta"):
        if (meta.get("name") or "").lower() == "columnname" and meta.get("content"):
            return squeeze(meta.get("content"))
    title = squeeze(tree.findtext(".//title") or "")
    return re.split(r"\s*[-_|—]+\s*", title)[0] if title else ""
