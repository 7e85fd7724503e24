"""NFCMS pages (Shenzhen and other Guangdong sites, .../content/post_N.html)."""

from __future__ import annotations

import re

from lxml import html

from pipeline.model import Page
from pipeline.parse.adapters import generic
from pipeline.parse.adapters.base import (
    Meta,
    anchors_in,
    attachment_links,
    build_page,
    by_class,
    container_lines,
    find_container,
    first_text,
    merge,
    meta_from_labels,
    meta_from_tags,
    page_lines,
    title_from_title_tag,
)

NAME = "nfcms"
_MARKERS = re.compile(r"NFCMS_(?:SITE|POST|CAT)_ID|news_cont_d_wrap|zx_xxgk_cont")
_BODY = (by_class("news_cont_d_wrap"), by_class("article-content"), by_class("TRS_Editor"), "//*[@id='zoom']")
_TITLE = (by_class("tit") + "/h1", by_class("zx_xxgk_cont") + "//h1", by_class("tit", "h1"))
_INFO = (by_class("tit") + "//h6", by_class("xx_con"))


def matches(source: str, root: html.HtmlElement) -> bool:
    """NFCMS pages set NFCMS_* script variables and use the zx_xxgk_cont / news_cont_d_wrap blocks."""
    return bool(_MARKERS.search(source))


def read(source: str, root: html.HtmlElement, base: str) -> Page:
    """Title from div.tit h1, source and date from the h6 spans, body from div.news_cont_d_wrap."""
    info = meta_from_labels(line for xpath in _INFO for node in root.xpath(xpath) for line in _lines(node))
    template = Meta(title=first_text(root, _TITLE))
    container = find_container(root, _BODY)
    attachments = attachment_links(anchors_in([*root.xpath(by_class("fjdown")), *_maybe(container)]), base)
    if container is None:
        lines, tables, extracted = generic.main_text(source, root)
    else:
        (lines, tables), extracted = container_lines(container), Meta()
    meta = merge(template, meta_from_tags(root), info, meta_from_labels(page_lines(root)), extracted)
    meta.add(title=title_from_title_tag(root))
    return build_page(NAME, lines, tables, meta, attachments, root)


def _lines(node: html.HtmlElement) -> list[str]:
    return [" ".join(node.text_content().split())]


def _maybe(node: html.HtmlElement | None) -> list[html.HtmlElement]:
    return [] if node is None else [node]
