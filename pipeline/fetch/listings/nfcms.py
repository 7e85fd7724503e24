"""NFCMS columns (Shenzhen and other Guangdong sites): index.html then index_N.html, entries span.tit a or
any link to content/post_N.html; the pager links its pages."""

from __future__ import annotations

import re

from pipeline.fetch.listings.base import ListingPage, PageRequest
from pipeline.fetch.listings.generic import html_listing

_POST = re.compile(r"/content/post_\d+\.html")


def matches(url: str, text: str) -> bool:
    return "NFCMS_" in text or bool(_POST.search(text))


def read(request: PageRequest, text: str) -> ListingPage:
    return html_listing("nfcms", request, text, [])
