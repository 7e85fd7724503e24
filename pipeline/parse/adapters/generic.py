"""Unknown sites: trafilatura finds the main text; tables come from the page itself."""

from __future__ import annotations

import re

import trafilatura
from lxml import html

from pipeline.model import Page, Table
from pipeline.parse.adapters.base import (
    Meta,
    attachment_links,
    build_page,
    clean_lines,
    element_lines,
    is_data_table,
    merge,
    meta_from_labels,
    meta_from_tags,
    normalize_date,
    page_lines,
    remove_keeping_tail,
    table_rows,
    title_from_title_tag,
)

NAME = "generic"
_NOT_BODY = re.compile(r"nav|menu|footer|header|side|related|xggj|xgwz|friend|links|breadcrumb|crumb", re.I)


def main_text(source: str, root: html.HtmlElement) -> tuple[list[str], list[Table], Meta]:
    """Main-text lines, data tables and trafilatura's title and date for an HTML page."""
    doc = trafilatura.bare_extraction(
        source,
        include_tables=True,
        include_comments=False,
        with_metadata=True,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if doc is None or doc.body is None:
        return [], [], Meta()
    body = doc.body
    found = [table_rows(t) for t in body.iter("table")]
    for table in list(body.iter("table")):
        remove_keeping_tail(table)
    tables = [Table(rows=rows) for rows in _original_tables(root, found)]
    meta = Meta()
    meta.add(title=doc.title or "", published_date=normalize_date(doc.date or ""), site_name=doc.sitename or "")
    return clean_lines(element_lines(body)), tables, meta


def _cells(rows: list[list[str]]) -> set[str]:
    return {c for r in rows for c in r if c}


def _original_tables(root: html.HtmlElement, extracted: list[list[list[str]]]) -> list[list[list[str]]]:
    """The page's own data tables matching the ones trafilatura kept: those keep merged cells."""
    originals = [rows for t in root.iter("table") if is_data_table(rows := table_rows(t))]
    chosen = []
    for rows in extracted:
        cells = _cells(rows)
        best = max(originals, key=lambda o: len(cells & _cells(o)), default=None)
        if best is not None and cells and len(cells & _cells(best)) >= 0.5 * len(cells):
            chosen.append(best)
        elif is_data_table(rows):
            chosen.append(rows)
    return chosen


def _body_links(root: html.HtmlElement) -> list[html.HtmlElement]:
    """Links outside navigation, headers, footers, sidebars and related-article lists."""
    links = []
    for link in root.iter("a"):
        marks = " ".join(
            f"{a.tag} {a.get('class', '')} {a.get('id', '')}" for a in link.iterancestors() if a.tag != "html"
        )
        if not _NOT_BODY.search(marks):
            links.append(link)
    return links


def read(source: str, root: html.HtmlElement, base: str) -> Page:
    """A Page for a page of no known template."""
    lines, tables, extracted = main_text(source, root)
    meta = merge(meta_from_tags(root), meta_from_labels(page_lines(root)), extracted)
    meta.add(title=title_from_title_tag(root))
    return build_page(NAME, lines, tables, meta, attachment_links(_body_links(root), base), root)
