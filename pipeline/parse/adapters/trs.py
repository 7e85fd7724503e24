"""TRS WCM pages (most provinces outside Guangdong): body in div.TRS_Editor and its relatives."""

from __future__ import annotations

import re

from lxml import html

from pipeline.model import Page
from pipeline.parse.adapters import generic
from pipeline.parse.adapters.base import (
    Meta,
    anchors_in,
    attachment_links,
    best_title,
    build_page,
    by_class,
    container_lines,
    find_container,
    merge,
    meta_from_labels,
    meta_from_tags,
    page_lines,
)

NAME = "trs"
_STRONG = (
    by_class("TRS_Editor"),
    by_class("TRS_UEDITOR"),
    "//*[@id='UCAP-CONTENT']",
    by_class("zwxl-article"),
    "//*[@id='zoom']",
)
_WEAK = (by_class("article"), by_class("content"))
_TRS_META = ("articletitle", "pubdate", "contentsource")
_TRS_URL = re.compile(r"/t\d{8}_\d+\.s?html?")
_TITLE = (by_class("zwxl-title") + "//*", by_class("article-title"), by_class("title", "h1"), "//h1")
_INFO = (by_class("zwxl-table", "table"), by_class("xxgk-table"), by_class("info"), by_class("article-info"))


def matches(source: str, root: html.HtmlElement, url: str = "") -> bool:
    """A TRS body container, or TRS meta tags / URL with a plain .article or .content block."""
    if any(root.xpath(xpath) for xpath in _STRONG):
        return True
    trs_like = _TRS_URL.search(url) or any(
        (meta.get("name") or "").lower() in _TRS_META for meta in root.iter("meta")
    )
    return bool(trs_like and any(root.xpath(xpath) for xpath in _WEAK))


def read(source: str, root: html.HtmlElement, base: str) -> Page:
    """Body from the first TRS container that holds text; metadata from meta tags then the info table."""
    info = meta_from_labels(
        line for xpath in _INFO for node in root.xpath(xpath) for line in _row_lines(node)
    )
    container = find_container(root, (*_STRONG, *_WEAK))
    attachments = attachment_links(anchors_in([] if container is None else [container]), base)
    if container is None:
        lines, tables, extracted = generic.main_text(source, root)
    else:
        (lines, tables), extracted = container_lines(container), Meta()
    meta = merge(meta_from_tags(root), info, meta_from_labels(page_lines(root)), extracted)
    meta.add(title=best_title(root, _TITLE))
    return build_page(NAME, lines, tables, meta, attachments, root)


def _row_lines(node: html.HtmlElement) -> list[str]:
    """An info table read row by row, so a label cell and its value cell share a line."""
    rows = node.xpath(".//tr") or [node]
    return [" ".join(row.text_content().split()) for row in rows]
