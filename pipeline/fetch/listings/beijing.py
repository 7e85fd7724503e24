"""Beijing columns: ul.default_news > li; an item whose <i class="flag"> is empty is a test entry; the pager
is createPageHTML(records, pages, current, …), and many lists hold all their items at once and page them
in the browser (then there are no index_N pages to fetch)."""

from __future__ import annotations

import re

from lxml import etree

from pipeline.fetch.listings.base import (
    Link,
    ListingPage,
    PageRequest,
    absolute_http_url,
    base_url,
    gets,
    link_from_anchor,
    parse_html,
    squeeze,
)
from pipeline.fetch.listings.generic import html_listing
from pipeline.fetch.listings.trs import trs_pages

_ITEMS = "//ul[contains(concat(' ', normalize-space(@class), ' '), ' default_news ')]/li"
_RECORDS = re.compile(r"createPageHTML\s*\(\s*(\d+)\s*,\s*\d+\s*,\s*\d+\s*,")


def is_test_entry(item: etree._Element) -> bool:
    """True for an item whose flag is there but empty."""
    flags = item.xpath(".//i[contains(concat(' ', normalize-space(@class), ' '), ' flag ')]")
    return bool(flags) and not squeeze(flags[0].text_content())


def item_links(page_url: str, tree: etree._Element) -> list[Link]:
    """The links of the list's real items."""
    base = base_url(tree, page_url)
    return [link_from_anchor(a, url, item) for item in tree.xpath(_ITEMS) if not is_test_entry(item)
            for a in item.iter("a") if (url := absolute_http_url(base, a.get("href", "")))]


def matches(url: str, text: str) -> bool:
    return "default_news" in text


def read(request: PageRequest, text: str) -> ListingPage:
    tree = parse_html(text)
    items = item_links(request.url, tree) if tree is not None else []
    records = _RECORDS.search(text)
    all_shown = tree is not None and records is not None and len(tree.xpath(_ITEMS)) >= int(records.group(1))
    pages = [] if all_shown else gets(trs_pages(request.url, text))
    page = html_listing("beijing", request, text, pages, items, follow_pager_links=not all_shown)
    page.expected = int(records.group(1)) if records else None
    return page
