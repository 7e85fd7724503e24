"""Shanghai columns: year archives /<prefix>YYYY/index.html, then index_2.html, index_3.html (1-based, no
index_1), the page count in $(".pagination").pagination({ totalPage: N }). Lists contain commented-out
duplicate items, which an HTML parser leaves out as comments."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from pipeline.fetch.listings.base import MAX_LISTED_PAGES, ListingPage, PageRequest, gets, is_column_url
from pipeline.fetch.listings.generic import html_listing

_PAGINATION = re.compile(r"""\.pagination\s*\(\s*\{[^}]*?\btotalPage["']?\s*:\s*["']?(\d+)""", re.S)
_YEAR_FOLDER = re.compile(r"20\d\d/(?:index\.s?html?)?$")
_YEAR_TEXT = re.compile(r"^\s*20\d\d\s*年?(?:度)?\s*$")


def one_based_pages(page_url: str, pages: int) -> list[str]:
    """index_2 … index_N in the page's folder (the first page is index.html)."""
    folder = urljoin(page_url, "./")
    return [f"{folder}index_{n}.html" for n in range(2, min(pages, MAX_LISTED_PAGES) + 1)]


def matches(url: str, text: str) -> bool:
    return bool(_PAGINATION.search(text))


def read(request: PageRequest, text: str) -> ListingPage:
    m = _PAGINATION.search(text)
    page = html_listing("shanghai", request, text, gets(one_based_pages(request.url, int(m.group(1))) if m else []),
                        follow_pager_links=False)
    page.lists = gets(link.url for link in page.links
                      if _YEAR_TEXT.match(link.title) and is_column_url(link.url)
                      and _YEAR_FOLDER.search(urlsplit(link.url).path) and link.url != request.url)
    return page
