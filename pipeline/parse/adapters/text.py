"""Plain-text captures: a saved page as text (breadcrumb, title, info line, body, footer) or a bare body."""

from __future__ import annotations

import re

from pipeline.model import Page
from pipeline.parse.adapters.base import (
    Meta,
    PageError,
    clean_lines,
    is_breadcrumb,
    is_furniture,
    is_info_line,
    label_values,
    normalize_line,
)

NAME = "text"
HEADER_LINES = 12  # how far down a saved page's furniture (breadcrumb, title, info line) may reach
_SENTENCE_END = re.compile(r"[。；！？]$")
_REPORT_TITLE = re.compile(r"(?:报告|情况|工作总结)\s*(?:[（(][^）)]{1,20}[）)])?$")


def _is_title_shaped(line: str) -> bool:
    return 4 <= len(line) <= 100 and not _SENTENCE_END.search(line) and "，" not in line


def _header(lines: list[str]) -> tuple[Meta, int]:
    """Fields from the furniture at the top and how many lines it spans (0 for a bare body).

    A title is taken only where the top shows page furniture (a breadcrumb or an info line) or the
    first line is shaped like a report title; a bare body keeps its first line."""
    meta = Meta()
    top = lines[:HEADER_LINES]
    last = -1
    for i, line in enumerate(top):
        if len(line) >= 60 and not (is_info_line(line) or is_breadcrumb(line)):
            break  # the body has begun
        if is_info_line(line):
            meta.add(**label_values(line))
            last = i
        elif is_breadcrumb(line):
            last = max(last, i)
    if last < 0:
        if top and _is_title_shaped(top[0]) and _REPORT_TITLE.search(top[0]):
            meta.add(title=top[0])
            return meta, 1
        return meta, 0
    for line in top[: last + 1]:
        if not (is_info_line(line) or is_breadcrumb(line) or is_furniture(line)) and _is_title_shaped(line):
            meta.add(title=line)
            break
    return meta, last + 1


def read(text: str) -> Page:
    """A Page from a text capture; the furniture lines give title, date, publisher and index number."""
    lines = [line for raw in text.splitlines() if (line := normalize_line(raw))]
    meta, skip = _header(lines)
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
    )
