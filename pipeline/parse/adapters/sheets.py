"""What the spreadsheet adapters (xlsx, xls) share: cell values as the text a reader sees, rows as Tables."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time

from pipeline.model import Page, Table
from pipeline.parse.adapters.base import PageError, normalize_line

MAX_CELLS = 2_000_000  # a sheet bigger than this is no report table; stop reading there


def cell_text(value: object) -> str:
    """A cell as shown: whole floats without ".0", everything else as its string."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    return normalize_line(str(value))


def sheet_rows(rows: Iterable[Iterable[object]]) -> list[list[str]]:
    """Non-empty rows as strings, trailing empty cells cut, reading at most MAX_CELLS cells."""
    out: list[list[str]] = []
    cells = 0
    for row in rows:
        texts = [cell_text(v) for v in row]
        cells += len(texts)
        if cells > MAX_CELLS:
            break
        while texts and not texts[-1]:
            texts.pop()
        if any(texts):
            out.append(texts)
    return out


def page_from_sheets(adapter: str, sheets: list[tuple[str, list[list[str]]]], title: str = "") -> Page:
    """A Page with one Table per sheet; its text holds the lines that stand alone in a row (titles, units,
    notes), since the numbers are read from the tables."""
    sheets = [(name, rows) for name, rows in sheets if rows]
    if not sheets:
        raise PageError(f"{adapter} workbook holds no cells")
    lines = [cells[0] for _, rows in sheets for row in rows if len(cells := [c for c in row if c]) == 1]
    return Page(adapter=adapter, text="\n".join(lines), title=title or (lines[0] if lines else sheets[0][0]),
                tables=[Table(rows=rows) for _, rows in sheets])
