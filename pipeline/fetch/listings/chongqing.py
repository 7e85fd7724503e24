"""Chongqing columns: rows tr.zcwjk-list-c, or a.listpc-item wrapping li.file-title / li.pub-time; the
pager is createPage(pages, current, …)."""

from __future__ import annotations

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
    row_link,
    squeeze,
)
from pipeline.fetch.listings.generic import html_listing, merge_links
from pipeline.fetch.listings.trs import trs_pages

_ROWS = "//tr[contains(concat(' ', normalize-space(@class), ' '), ' zcwjk-list-c ')]"
_ITEMS = "//a[contains(concat(' ', normalize-space(@class), ' '), ' listpc-item ')]"


def _field(node: etree._Element, name: str) -> str:
    found = node.xpath(f".//*[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]")
    return squeeze(found[0].text_content()) if found else ""


def row_links(page_url: str, tree: etree._Element) -> list[Link]:
    """Links of the table rows and of the card items, with the title, date and 文号 their cells show."""
    base = base_url(tree, page_url)
    links = []
    for row in tree.xpath(_ROWS):
        for a in row.iter("a"):
            if url := absolute_http_url(base, a.get("href", "")):
                links.append(link_from_anchor(a, url, row))
    for a in tree.xpath(_ITEMS):
        if url := absolute_http_url(base, a.get("href", "")):
            title = _field(a, "file-title") or squeeze(a.get("title") or a.text_content())
            links.append(row_link(url, title, f"{_field(a, 'pub-time')} {squeeze(a.text_content())}"))
    return links


def matches(url: str, text: str) -> bool:
    return "zcwjk-list-c" in text or "listpc-item" in text


def read(request: PageRequest, text: str) -> ListingPage:
    tree = parse_html(text)
    page = html_listing("chongqing", request, text, gets(trs_pages(request.url, text)))
    if tree is not None:
        page.links = merge_links(row_links(request.url, tree), page.links)
    return page
