"""The fallback reader, and the HTML list reading the template readers build on: every titled link
(anchors and script-written lists), index_N pages linked from the pager, 下一页 links."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

from pipeline.fetch.listings.base import (
    MAX_LISTED_PAGES,
    Link,
    ListingPage,
    PageRequest,
    column_name,
    gets,
    page_links,
    parse_html,
    unique_requests,
)
from pipeline.fetch.listings.scripted import script_written_links

_INDEX_N = re.compile(r"^(?P<prefix>[A-Za-z]+)_(?P<n>\d+)\.(?P<ext>s?html?)$")
_NEXT_PAGE = re.compile(r"^\s*(下一页|下页|后一页)\s*[>»›]*\s*$")


def numbered_pages(page_url: str, links: Iterable[Link]) -> list[str]:
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
        last = min(max(numbers), min(numbers) + MAX_LISTED_PAGES)
        pages += [f"{folder}{prefix}_{n}.{ext}" for n in range(min(numbers), last + 1)]
    return pages


def next_links(links: Iterable[Link]) -> list[str]:
    """Targets of 下一页 links."""
    return [link.url for link in links if _NEXT_PAGE.match(link.title)]


def merge_links(*groups: Iterable[Link]) -> list[Link]:
    """Links of several readings, first of each URL kept."""
    out: dict[str, Link] = {}
    for group in groups:
        for link in group:
            out.setdefault(link.url, link)
    return list(out.values())


def html_listing(adapter: str, request: PageRequest, text: str, pagers: list[PageRequest],
                 links: list[Link] | None = None, *, follow_pager_links: bool = True) -> ListingPage:
    """A list page read as HTML: `links` (else every link on the page and in its scripts), the pager's
    pages and, unless told not to, the index_N and 下一页 links."""
    tree = parse_html(text)
    if tree is None:
        return ListingPage(adapter)
    everything = merge_links(page_links(request.url, tree), script_written_links(request.url, tree))
    found = everything if links is None else links
    linked = [*numbered_pages(request.url, everything), *next_links(everything)] if follow_pager_links else []
    return ListingPage(adapter, found, unique_requests([*pagers, *gets(linked)], request), column=column_name(tree))


def matches(url: str, text: str) -> bool:
    return True


def read(request: PageRequest, text: str) -> ListingPage:
    return html_listing("generic", request, text, [])
