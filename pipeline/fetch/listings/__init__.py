"""Discovery: read column (listing) pages for links to reports, and which pages to read next.

Pure parsing, no I/O: pipeline.fetch.crawl fetches a `PageRequest`, calls `parse_listing`, keeps the report
links and fetches `more` (the next pages of the same list) and `lists` (other lists the page leads to).
One reader per column template, as the page adapters are one module per page template; the first whose
`matches` says yes reads the page: gkmlpt, Hanweb/JCMS, jpaas, Chongqing, Beijing, Shanghai, NFCMS, TRS,
then the generic fallback. Every HTML reader also reads lists written by scripts (scripted).
`portal` finds the report columns from a government portal's root.
"""

from __future__ import annotations

from types import ModuleType

from pipeline.fetch.listings import beijing, chongqing, generic, gkmlpt, hanweb, jpaas, nfcms, portal, shanghai, trs
from pipeline.fetch.listings.base import (
    Link,
    ListingPage,
    PageRequest,
    as_request,
    attachment_links,
    date_in,
    date_in_url,
    is_attachment_url,
    is_column_url,
    is_report_link,
    is_report_title,
    parse_html,
    year_from_title,
)
from pipeline.fetch.listings.gkmlpt import categories as gkmlpt_categories
from pipeline.fetch.listings.trs import create_page_urls

READERS: tuple[ModuleType, ...] = (gkmlpt, hanweb, jpaas, chongqing, beijing, shanghai, nfcms, trs, generic)

__all__ = [
    "Link", "ListingPage", "PageRequest", "attachment_links", "create_page_urls", "date_in", "date_in_url",
    "gkmlpt_categories", "is_attachment_url", "is_column_url", "is_report_link", "is_report_title",
    "listing_adapter", "parse_html", "parse_listing", "portal", "year_from_title",
]


def reader_for(url: str, text: str) -> ModuleType:
    """The reader of the template a listing page uses."""
    return next(reader for reader in READERS if reader.matches(url, text))


def listing_adapter(page_url: str, text: str) -> str:
    """The name of the template a listing page uses (gkmlpt, hanweb, …, generic)."""
    return reader_for(page_url, text).__name__.rsplit(".", 1)[-1]


def parse_listing(page: PageRequest | str, text: str) -> ListingPage:
    """Links, next pages and further lists of a listing page, by its template.

    A URL keeps any #fragment of the catalogue's listing URL (gkmlpt names its category there).
    """
    request = as_request(page)
    return reader_for(request.url, text or "").read(request, text or "")
