"""Guangdong information-disclosure platform (gkmlpt): the article lives in window._CONFIG.DETAIL."""

from __future__ import annotations

import json
import re
from typing import Any

from lxml import etree, html

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
    date_from_timestamp,
    find_container,
    is_attachment_url,
    merge,
    meta_from_labels,
    meta_from_tags,
    normalize_date,
    normalize_line,
    page_lines,
)

NAME = "gkmlpt"
_DETAIL_KEY = re.compile(r"""["']?\bDETAIL\b["']?\s*[:=]\s*""")
_JSON_PARSE = re.compile(r"JSON\.parse\(\s*")
_SINGLE_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'", re.S)
_BODY = (by_class("article-content"), by_class("content"), by_class("TRS_Editor"), "//*[@id='zoom']")
_TITLE = (by_class("title", "h1"), "//h1")
_DATE_KEYS = ("date", "publish_date", "publish_time", "first_publish_time", "display_publish_time",
              "pub_date", "created_at", "created")
_INFO_ROWS = ".//table//tr"


def matches(source: str, root: html.HtmlElement) -> bool:
    """gkmlpt pages set window._CONFIG (with SID, TREE or DETAIL)."""
    return "_CONFIG" in source and ("gkmlpt" in source or bool(_DETAIL_KEY.search(source)))


def parse_detail(source: str) -> dict[str, Any] | None:
    """The DETAIL object of window._CONFIG, whether written as an object, a JSON string, a
    single-quoted JS string or JSON.parse('…')."""
    decoder = json.JSONDecoder()
    for match in _DETAIL_KEY.finditer(source):
        start = match.end()
        if parse := _JSON_PARSE.match(source, start):
            start = parse.end()
        value = _js_value(decoder, source, start)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                continue
        if isinstance(value, dict):
            return value
    return None


def _js_value(decoder: json.JSONDecoder, source: str, start: int) -> Any:
    if source.startswith("'", start):
        quoted = _SINGLE_QUOTED.match(source, start)
        if not quoted:
            return None
        body = re.sub(r'(?<!\\)"', r"\"", quoted.group(1).replace("\\'", "'"))
        source, start = f'"{body}"', 0
    try:
        return decoder.raw_decode(source, start)[0]
    except ValueError:
        return None


def _detail_meta(detail: dict[str, Any]) -> Meta:
    meta = Meta()
    for key in _DATE_KEYS:
        value = detail.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            meta.add(published_date=date_from_timestamp(value))
        elif isinstance(value, str):
            meta.add(published_date=normalize_date(value))
    meta.add(
        title=normalize_line(str(detail.get("title") or "")),
        publisher=normalize_line(str(detail.get("publisher") or detail.get("source") or "")),
        index_number=normalize_line(str(detail.get("identifier") or "")),
    )
    return meta


def _detail_attachments(detail: dict[str, Any], base: str) -> list[html.HtmlElement]:
    """The attachment list as <a> elements, so they resolve like any other link."""
    items = detail.get("attachment") or detail.get("attachments") or []
    links = []
    for item in items if isinstance(items, list) else []:
        url = item.get("url") or item.get("link") or item.get("href") if isinstance(item, dict) else item
        if isinstance(url, str) and is_attachment_url(url):
            links.append(html.Element("a", href=url))
    return links


def read(source: str, root: html.HtmlElement, base: str) -> Page:
    """Body and fields from DETAIL; without one, the rendered page and its info table."""
    info = meta_from_labels(" ".join(tr.text_content().split()) for tr in root.xpath(_INFO_ROWS))
    detail = parse_detail(source) or {}
    container = None
    if isinstance(detail.get("content"), str) and detail["content"].strip():
        try:
            container = html.fragment_fromstring(detail["content"], create_parent="div")
        except (etree.ParserError, ValueError):
            container = None
    if container is None:
        container = find_container(root, _BODY)
    anchors = anchors_in([] if container is None else [container]) + _detail_attachments(detail, base)
    attachments = attachment_links(anchors, base)
    if container is None:
        lines, tables, extracted = generic.main_text(source, root)
    else:
        (lines, tables), extracted = container_lines(container), Meta()
    meta = merge(_detail_meta(detail), meta_from_tags(root), info, meta_from_labels(page_lines(root)), extracted)
    meta.add(title=best_title(root, _TITLE))
    return build_page(NAME, lines, tables, meta, attachments, root)
