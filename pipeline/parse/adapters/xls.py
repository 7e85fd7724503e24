"""XLS attachments (Excel 97-2003 and WPS .et workbooks, OLE files), read with xlrd: every sheet a Table."""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.model import Page
from pipeline.parse.adapters.base import PageError
from pipeline.parse.adapters.sheets import page_from_sheets, sheet_rows

NAME = "xls"


def read(data: bytes) -> Page:
    """A Page from an .xls workbook, one Table per sheet."""
    import xlrd  # imported here: only spreadsheets need it

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except (xlrd.XLRDError, ValueError, OSError, AssertionError, IndexError) as exc:
        raise PageError(f"unreadable xls: {type(exc).__name__}: {exc}") from exc
    try:
        sheets = [(sheet.name, sheet_rows(_values(book, sheet)))
                  for sheet in (book.sheet_by_index(i) for i in range(book.nsheets))]
    finally:
        book.release_resources()
    return page_from_sheets(NAME, sheets)


def _values(book: object, sheet: object) -> Iterator[list[object]]:
    """Each row's cell values, date cells as dates (xls stores them as day numbers)."""
    import xlrd

    for row in sheet.get_rows():
        yield [xlrd.xldate.xldate_as_datetime(c.value, book.datemode) if c.ctype == xlrd.XL_CELL_DATE else c.value
               for c in row]
