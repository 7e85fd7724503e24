"""XLSX attachments (tables published as spreadsheets), read with openpyxl: every sheet a Table."""

from __future__ import annotations

import io
import zipfile

from pipeline.model import Page
from pipeline.parse.adapters.base import PageError
from pipeline.parse.adapters.sheets import page_from_sheets, sheet_rows

NAME = "xlsx"


def read(data: bytes) -> Page:
    """A Page from an .xlsx workbook: cached cell values (not formulas), one Table per sheet."""
    from openpyxl import load_workbook  # imported here: only spreadsheets need it

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise PageError(f"unreadable xlsx: {type(exc).__name__}: {exc}") from exc
    try:
        sheets = [(sheet.title, sheet_rows(sheet.iter_rows(values_only=True))) for sheet in book.worksheets]
        title = book.properties.title or ""
    finally:
        book.close()
    return page_from_sheets(NAME, sheets, title)
