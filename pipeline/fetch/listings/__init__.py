"""Discovery: read column (listing) pages for links to reports, and which pages to read next.

Pure parsing, no I/O: pipeline.fetch.crawl downloads a page, calls `parse_listing`, keeps the report
links and fetches the `more` URLs. One adapter per page template, tried in order:
gkmlpt (Guangdong disclosure platform, list API), NFCMS (index_N.html pagers), TRS
(createPageHTML(N, ...) scripts), then a generic fallback (下一页 links, index_N links).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
from lxml import etree

# A report on building rule-of-law government, whatever the exact wording of its title.
_TOPIC = re.compile(r"法治政府|依法行政|法治建设")
_REPORT_WORD = re.compile(r"报告|情况|总结")
# Titles on the same topic that are not the annual report: plans, notices, reviews, explainers.
_NOT_REPORT = re.compile(
    r"纲要|规划|方案|意见|要点|计划|通知|印发|考核|评估|督察|督查|示范|创建|征求|解读|图解|读懂|答记者问"
    r"|培训|会议|第一责任人|述法|述职|宣传|专栏"
)
_CN_DIGITS = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0", "○": "0", "Ｏ": "0"}
_YEAR = re.compile(r"(20\d\d|[〇零○Ｏ一二三四五六七八九]{4})\s*年")
_DATE = re.compile(r"(20\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_ATTACHMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".wps")
_SCRIPT_HREF = re.compile(r"""href=\\+["']((?:[^"'\\]|\\+/)+)\\+["']""")  # href=\"..\/a.pdf\" in JSON
_INDEX_N = re.compile(r"^(?P<prefix>[A-Za-z]+)_(?P<n>\d+)\.(?P<ext>s?html?)$")
_CREATE_PAGE = re.compile(r"createPage(?:HTML)?\s*\(([^()]*)\)")
_NEXT_PAGE = re.compile(r"^\s*(下一页|下页|后一页)\s*[>»›]*\s*$")
_GKMLPT_SID = re.compile(r"""\bSID["']?\s*[:=]\s*["']?([\w-]+)""")
_GKMLPT_NODE = re.compile(r"""["']?id["']?\s*:\s*["']?(\d+)["']?\s*,[^{}\[\]]*?["']?name["']?\s*:\s*["']([^"']+)""")
GKMLPT_PAGE_SIZE = 100
_CHINA_TZ = timedelta(hours=8)


@dataclass(frozen=True)
class Link:
    """A link found on a listing page: where it points, its title, and a date if the list shows one."""

    url: str
    title: str
    published: str = ""  # YYYY-MM-DD


@dataclass
class ListingPage:
    """What one listing page yields: every titled link on it, and the pages to read next."""

    adapter: str
    links: list[Link] = field(default_factory=list)
    more: list[str] = field(default_factory=list)

    def report_links(self) -> list[Link]:
        """The links whose titles read like an annual rule-of-law government report."""
        return [link for link in self.links if is_report_title(link.title)]


def is_report_title(title: str) -> bool:
    """True for 法治政府建设年度报告 / 情况报告 / 工作报告 titles; False for 纲要, 方案, notices and the like."""
    title = re.sub(r"\s+", "", title or "")
    return bool(_TOPIC.search(title) and _REPORT_WORD.search(title) and not _NOT_REPORT.search(title))


def year_from_title(title: str) -> int | None:
    """The year a report title names (the year reported on), e.g. 关于2023年度… -> 2023; None if none."""
    for m in _YEAR.finditer(title or ""):
        digits = "".join(_CN_DIGITS.get(c, c) for c in m.group(1))
        if digits.isdigit() and 2000 <= int(digits) <= 2099:
            return int(digits)
    return None


def date_in(text: str) -> str:
    """The first YYYY-MM-DD date written in `text` (2024-03-01, 2024/3/1, 2024年3月1日), else ""."""
    m = _DATE.search(text or "")
    if not m:
        return ""
    year, month, day = (int(g) for g in m.groups())
    return f"{year:04d}-{month:02d}-{day:02d}" if 1 <= month <= 12 and 1 <= day <= 31 else ""


def parse_html(text: str) -> etree._Element | None:
    """An lxml tree of an HTML page, or None for an empty or unparseable page."""
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text or "")
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None


def _link_title(a: etree._Element) -> str:
    """The fuller of an anchor's text and its title attribute (lists often truncate the text)."""
    text = re.sub(r"\s+", " ", a.text_content() or "").strip()
    attr = re.sub(r"\s+", " ", a.get("title") or "").strip()
    return attr if len(attr) > len(text.rstrip(".…")) else text


def _entry_date(a: etree._Element) -> str:
    """The date shown beside a link in its list entry (the nearest li/tr/dd), else ""."""
    for node in a.iterancestors("li", "tr", "dd", "dl"):
        return date_in(node.text_content())
    return ""


def _base_url(tree: etree._Element, page_url: str) -> str:
    base = tree.find(".//base[@href]")
    return urljoin(page_url, base.get("href").strip()) if base is not None else page_url


def absolute_http_url(base: str, href: str) -> str:
    """`href` made absolute against `base`, fragment dropped; "" unless it is http(s)."""
    href = (href or "").strip()
    if not href or href.lower().startswith(("javascript:", "mailto:", "tel:", "data:")):
        return ""
    url = urldefrag(urljoin(base, href)).url
    return url if urlsplit(url).scheme in {"http", "https"} and urlsplit(url).hostname else ""


def page_links(page_url: str, tree: etree._Element) -> list[Link]:
    """Every http(s) link of a page with its title and list date, first occurrence of each URL kept."""
    base = _base_url(tree, page_url)
    seen: dict[str, Link] = {}
    for a in tree.iter("a"):
        url = absolute_http_url(base, a.get("href", ""))
        title = _link_title(a)
        if url and (url not in seen or (title and not seen[url].title)):
            seen[url] = Link(url, title, _entry_date(a))
    return list(seen.values())


def attachment_links(page_url: str, text: str) -> list[str]:
    """The PDF/DOC/DOCX/WPS files a report page links to, as absolute URLs, in page order.

    Anchors first; then hrefs inside scripts (gkmlpt pages carry their body as an escaped JSON string).
    """
    tree = parse_html(text)
    if tree is None:
        return []
    anchors = [link.url for link in page_links(page_url, tree)]
    scripted = [absolute_http_url(page_url, re.sub(r"\\+/", "/", m.group(1))) for m in _SCRIPT_HREF.finditer(text)]
    return list(dict.fromkeys(url for url in [*anchors, *scripted]
                              if url and urlsplit(url).path.lower().endswith(_ATTACHMENT_SUFFIXES)))


def _numbered_pages(page_url: str, links: Iterable[Link]) -> list[str]:
    """index_N.html pages linked from the pager, in the page's folder; the gaps between them filled."""
    folder = urljoin(page_url, "./")
    found: dict[tuple[str, str], set[int]] = {}
    for link in links:
        if urljoin(link.url, "./") != folder or urlsplit(link.url).query:
            continue
        m = _INDEX_N.match(link.url[len(folder):])
        if m:
            found.setdefault((m["prefix"], m["ext"]), set()).add(int(m["n"]))
    pages = []
    for (prefix, ext), numbers in found.items():
        pages += [f"{folder}{prefix}_{n}.{ext}" for n in range(min(numbers), max(numbers) + 1)]
    return pages


def _script_value(text: str, name: str) -> int | None:
    m = re.search(rf"\b{re.escape(name)}\s*=\s*(\d+)", text)
    return int(m.group(1)) if m else None


def create_page_urls(page_url: str, text: str) -> list[str]:
    """Pages named by a TRS pager script: createPageHTML(N, cur, "index", "html") means index_1..index_{N-1}.

    The argument order varies between sites (some pass a div id first, a record count last), so the first
    number (or a variable holding one) is the page count, and the strings give the name and extension.
    """
    folder = urljoin(page_url, "./")
    for m in _CREATE_PAGE.finditer(text):
        args = [a.strip() for a in m.group(1).split(",")]
        numbers, strings = [], []
        for arg in args:
            if re.fullmatch(r"\d+", arg):
                numbers.append(int(arg))
            elif re.fullmatch(r"""(["']).*\1""", arg):
                strings.append(arg[1:-1])
            elif re.fullmatch(r"[A-Za-z_$][\w$]*", arg) and (value := _script_value(text, arg)) is not None:
                numbers.append(value)
        ext = next((s for s in strings if s.lower() in {"html", "shtml", "htm"}), "")
        if not numbers or not ext:
            continue
        prefix = strings[strings.index(ext) - 1] if strings.index(ext) > 0 else "index"
        return [f"{folder}{prefix}_{n}.{ext}" for n in range(1, numbers[0])]
    return []


def _next_links(links: Iterable[Link]) -> list[str]:
    return [link.url for link in links if _NEXT_PAGE.match(link.title)]


def _unique(urls: Iterable[str], exclude: str) -> list[str]:
    exclude = urldefrag(exclude).url
    return list(dict.fromkeys(u for u in urls if u and u != exclude))


# --- adapters ---------------------------------------------------------------------------------------------


def _gkmlpt_origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def gkmlpt_api_url(page_url: str, category: str, sid: str, page: int = 1) -> str:
    """The gkmlpt list API URL of a category page: /gkmlpt/api/all/{cat}?page={n}&sid={SID}."""
    return f"{_gkmlpt_origin(page_url)}/gkmlpt/api/all/{category}?page={page}&sid={sid}"


def gkmlpt_categories(page_url: str, text: str) -> list[str]:
    """The categories a gkmlpt listing means: the number after # (index#2530), else the TREE nodes about
    rule-of-law government (法治政府…)."""
    fragment = urlsplit(page_url).fragment
    if m := re.search(r"\d+", fragment):
        return [m.group(0)]
    cats = []
    for cat, raw_name in _GKMLPT_NODE.findall(text):
        try:
            name = json.loads(f'"{raw_name}"')
        except json.JSONDecodeError:
            name = raw_name
        if _TOPIC.search(name):
            cats.append(cat)
    return list(dict.fromkeys(cats))


def _gkmlpt_date(value: object) -> str:
    if isinstance(value, int | float) and value > 0:
        seconds = value / 1000 if value > 1e11 else value
        return (datetime.fromtimestamp(seconds, UTC) + _CHINA_TZ).strftime("%Y-%m-%d")
    return date_in(str(value or ""))


def gkmlpt_post_url(page_url: str, post_id: int) -> str:
    """A gkmlpt content page URL from an article id: /gkmlpt/content/{id//10^6}/{id//10^3}/post_{id}.html."""
    return f"{_gkmlpt_origin(page_url)}/gkmlpt/content/{post_id // 10**6}/{post_id // 10**3}/post_{post_id}.html"


def parse_gkmlpt_api(page_url: str, text: str) -> ListingPage:
    """Articles of one gkmlpt list API page; on page 1, the URLs of the other pages (100 articles a page)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return ListingPage("gkmlpt")
    if not isinstance(data, dict):
        return ListingPage("gkmlpt")
    links = []
    for art in data.get("articles") or []:
        if not isinstance(art, dict):
            continue
        url = absolute_http_url(page_url, str(art.get("url") or ""))
        if not url and str(art.get("id", "")).isdigit():
            url = gkmlpt_post_url(page_url, int(art["id"]))
        if url:
            links.append(Link(url, str(art.get("title") or "").strip(), _gkmlpt_date(art.get("date"))))
    query = dict(p.split("=", 1) for p in urlsplit(page_url).query.split("&") if "=" in p)
    more = []
    total = next((data[k] for k in ("total", "count", "total_count") if isinstance(data.get(k), int)), None)
    if query.get("page", "1") == "1" and total:
        path_cat = urlsplit(page_url).path.rstrip("/").rsplit("/", 1)[-1]
        pages = math.ceil(total / GKMLPT_PAGE_SIZE)
        more = [gkmlpt_api_url(page_url, path_cat, query.get("sid", ""), n) for n in range(2, pages + 1)]
    return ListingPage("gkmlpt", links, more)


def parse_gkmlpt_index(page_url: str, text: str) -> ListingPage:
    """A gkmlpt index page: the list API URLs of its rule-of-law categories (SID from window._CONFIG)."""
    m = _GKMLPT_SID.search(text)
    if not m:
        return ListingPage("gkmlpt")
    return ListingPage("gkmlpt", [], [gkmlpt_api_url(page_url, cat, m.group(1))
                                      for cat in gkmlpt_categories(page_url, text)])


def _html_listing(adapter: str, page_url: str, text: str, pagers: list[str]) -> ListingPage:
    tree = parse_html(text)
    if tree is None:
        return ListingPage(adapter)
    links = page_links(page_url, tree)
    more = _unique([*pagers, *_numbered_pages(page_url, links), *_next_links(links)], page_url)
    return ListingPage(adapter, links, more)


def listing_adapter(page_url: str, text: str) -> str:
    """Which template a listing page uses: gkmlpt, nfcms, trs or generic."""
    path = urlsplit(page_url).path
    if "/gkmlpt/" in path and ("/gkmlpt/api/" in path or "_CONFIG" in text):
        return "gkmlpt"
    if "NFCMS_" in text or re.search(r"/content/post_\d+\.html", text):
        return "nfcms"
    if _CREATE_PAGE.search(text):
        return "trs"
    return "generic"


def parse_listing(page_url: str, text: str) -> ListingPage:
    """Links and next pages of a listing page, by its template.

    `page_url` keeps any #fragment of the catalogue's listing URL (gkmlpt names its category there).
    """
    adapter = listing_adapter(page_url, text)
    if adapter == "gkmlpt":
        if "/gkmlpt/api/" in urlsplit(page_url).path:
            return parse_gkmlpt_api(page_url, text)
        return parse_gkmlpt_index(page_url, text)
    return _html_listing(adapter, page_url, text, create_page_urls(page_url, text))
