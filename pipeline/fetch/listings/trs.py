"""TRS WCM columns (most provinces and ministries): index.html, index_1.html … (0-based), page count in a
pager script. All the pager forms seen: createPageHTML(pages, current, "index", "html"); Chongqing
createPage(pages, current, …); Beijing createPageHTML(records, pages, current, …) (three leading integers:
the SECOND is the page count); `totalPage = N` / `totalPage: N`; totalRecord with pageSize; text 共N页."""

from __future__ import annotations

import math
import re
from urllib.parse import urljoin, urlsplit

from pipeline.fetch.listings.base import MAX_LISTED_PAGES, ListingPage, PageRequest, gets
from pipeline.fetch.listings.generic import html_listing

_CREATE_PAGE = re.compile(r"createPage(?:HTML)?\s*\(([^()]*)\)")
_TOTAL_PAGE = re.compile(r"""\btotalPages?\s*[=:]\s*["']?(\d+)""", re.I)
_TOTAL_RECORD = re.compile(r"""\b(?:totalRecords?|recordCount|totalCount)\s*[=:]\s*["']?(\d+)""", re.I)
_PAGE_SIZE = re.compile(r"""\b(?:pageSize|perPage|pageCount)\s*[=:]\s*["']?(\d+)""", re.I)
_PAGES_TEXT = re.compile(r"共\s*(\d+)\s*页")
_ARTICLE_URL = re.compile(r"/t20\d{6}_\d+\.s?html?")
_INDEX_NAME = re.compile(r"^(?P<prefix>[A-Za-z]+)(?:_\d+)?\.(?P<ext>s?html?)$")


def _script_value(text: str, name: str) -> int | None:
    m = re.search(rf"\b{re.escape(name)}\s*=\s*(\d+)", text)
    return int(m.group(1)) if m else None


def _page_name(page_url: str) -> tuple[str, str]:
    """The list's file name and extension, from the page's own URL (index.html for a folder)."""
    m = _INDEX_NAME.match(urlsplit(page_url).path.rsplit("/", 1)[-1])
    return (m["prefix"], m["ext"]) if m else ("index", "html")


def zero_based_pages(page_url: str, pages: int, prefix: str = "", ext: str = "") -> list[str]:
    """index_1 … index_{pages-1} in the page's folder: TRS counts the first page (index.html) as 0."""
    default_prefix, default_ext = _page_name(page_url)
    folder = urljoin(page_url, "./")
    prefix, ext = prefix or default_prefix, ext or default_ext
    return [f"{folder}{prefix}_{n}.{ext}" for n in range(1, min(pages, MAX_LISTED_PAGES))]


def _create_page_count(args: list[str], text: str) -> tuple[int | None, list[str]]:
    """The page count and the string arguments of one createPage(HTML) call."""
    numbers, strings, leading = [], [], 0
    for n, arg in enumerate(args):
        if re.fullmatch(r"\d+", arg):
            numbers.append(int(arg))
            leading += leading == n
        elif re.fullmatch(r"""(["']).*\1""", arg):
            strings.append(arg[1:-1])
        elif re.fullmatch(r"[A-Za-z_$][\w$]*", arg) and (value := _script_value(text, arg)) is not None:
            numbers.append(value)
            leading += leading == n
    if not numbers:
        return None, strings
    return (numbers[1] if leading >= 3 else numbers[0]), strings


def create_page_urls(page_url: str, text: str) -> list[str]:
    """Pages named by a createPage(HTML) pager call: createPageHTML(N, cur, "index", "html") means
    index_1..index_{N-1}. Argument order varies (a div id first, a record count last; Beijing puts the
    record count first, then the page count, then the current page)."""
    for m in _CREATE_PAGE.finditer(text):
        args = [a.strip() for a in m.group(1).split(",")]
        pages, strings = _create_page_count(args, text)
        ext = next((s for s in strings if s.lower() in {"html", "shtml", "htm"}), "")
        if pages is None or not ext:
            continue
        prefix = strings[strings.index(ext) - 1] if strings.index(ext) > 0 else "index"
        return zero_based_pages(page_url, pages, prefix, ext)
    return []


def counted_pages(text: str) -> int | None:
    """The page count from `totalPage = N`, totalRecord / pageSize, or the text 共N页."""
    if m := _TOTAL_PAGE.search(text):
        return int(m.group(1))
    records, size = _TOTAL_RECORD.search(text), _PAGE_SIZE.search(text)
    if records and size and int(size.group(1)):
        return math.ceil(int(records.group(1)) / int(size.group(1)))
    if m := _PAGES_TEXT.search(text):
        return int(m.group(1))
    return None


def trs_pages(page_url: str, text: str) -> list[str]:
    """The other pages of a TRS list, from whichever pager form the page has."""
    if urls := create_page_urls(page_url, text):
        return urls
    pages = counted_pages(text)
    return zero_based_pages(page_url, pages) if pages else []


def matches(url: str, text: str) -> bool:
    return bool(_CREATE_PAGE.search(text) or _ARTICLE_URL.search(text) or _TOTAL_PAGE.search(text))


def read(request: PageRequest, text: str) -> ListingPage:
    return html_listing("trs", request, text, gets(trs_pages(request.url, text)))
