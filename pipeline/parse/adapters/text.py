"""Plain-text captures: a saved page as text (breadcrumb, title, info table, body, footer) or a bare body."""

from __future__ import annotations

import re

from pipeline.model import Page
from pipeline.parse.adapters.base import (
    TITLE_MIN,
    Meta,
    PageError,
    clean_lines,
    is_breadcrumb,
    is_date_line,
    is_furniture,
    is_info_line,
    join_label_lines,
    label_values,
    normalize_date,
    normalize_line,
    pick_title,
    site_code,
    site_owner,
    title_candidates,
    title_score,
)

NAME = "text"
HEADER_LINES = 30  # how far down a saved page's furniture (breadcrumb, title, info table) may reach
_PROSE = re.compile(r"[。；！？]$|[，,].{8,}")
def is_prose(line: str) -> bool:
    """A line of report text rather than page furniture or a heading."""
    return len(line) >= 60 and not is_info_line(line) or bool(_PROSE.search(line)) and not is_info_line(line)


def _is_page_line(line: str) -> bool:
    return (is_info_line(line) or is_breadcrumb(line) or is_furniture(line) or is_date_line(line)
            or title_score(line) >= TITLE_MIN)


def _header(lines: list[str], raw_lines: list[str]) -> tuple[Meta, int]:
    """Fields from the top of a text capture and how many lines its furniture spans (0 for a bare body).

    The body begins at the first line of prose; what comes before it is the page's furniture (breadcrumb,
    title, info table, date line) when any of it looks like furniture, else the body's own headings."""
    top = lines[:HEADER_LINES]
    start = next((i for i, line in enumerate(top) if is_prose(line)), len(top))
    meta = Meta()
    for line in top[:start]:
        if is_info_line(line):
            meta.add(**label_values(line))
    for line in top[:start]:
        if is_date_line(line):
            meta.add(published_date=normalize_date(line))
    candidates = [line for line in raw_lines[:HEADER_LINES]
                  if not (is_info_line(line) or is_breadcrumb(line) or is_prose(line))]
    meta.add(title=pick_title([meta.title, *title_candidates(candidates)]) if meta.title else
             pick_title(title_candidates(candidates)))
    skip = start if any(_is_page_line(line) for line in top[:start]) else 0
    return meta, skip


def read(text: str) -> Page:
    """A Page from a text capture; the furniture lines give title, date, publisher and index number."""
    raw_lines = [line for raw in text.splitlines() if (line := normalize_line(raw))]
    lines = join_label_lines(raw_lines)
    meta, skip = _header(lines, raw_lines)
    body = clean_lines(lines[skip:])
    if sum(len(line) for line in body) < 30:
        raise PageError(f"no main text in the text capture ({sum(map(len, body))} characters)")
    return Page(
        adapter=NAME,
        text="\n".join(body),
        title=meta.title,
        published_date=meta.date(),
        publisher=meta.publisher,
        index_number=meta.index_number,
        site_name=site_owner(text),
        site_code=site_code(text),
    )
