"""DOCX attachments: paragraphs and tables straight from word/document.xml."""

from __future__ import annotations

import io
import zipfile

from lxml import etree

from pipeline.model import Page, Table
from pipeline.parse.adapters.base import PageError, clean_lines, normalize_line

NAME = "docx"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
MAX_XML_BYTES = 64 * 1024 * 1024


def is_docx(data: bytes) -> bool:
    """A zip archive holding word/document.xml."""
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _paragraph_text(paragraph: etree._Element) -> str:
    parts = []
    for node in paragraph.iter(f"{_W}t", f"{_W}tab", f"{_W}br"):
        parts.append(node.text or "" if node.tag == f"{_W}t" else " ")
    return normalize_line("".join(parts))


def _table_rows(table: etree._Element) -> list[list[str]]:
    """Rows with horizontally merged cells (gridSpan) repeated and vertical merges (vMerge) filled
    from the cell above."""
    rows: list[list[str]] = []
    for tr in table.iterchildren(f"{_W}tr"):
        row: list[str] = []
        for tc in tr.iterchildren(f"{_W}tc"):
            text = " ".join(t for p in tc.iter(f"{_W}p") if (t := _paragraph_text(p)))
            span_node = tc.find(f"{_W}tcPr/{_W}gridSpan")
            span = int(span_node.get(f"{_W}val", "1")) if span_node is not None else 1
            merge = tc.find(f"{_W}tcPr/{_W}vMerge")
            continues = merge is not None and merge.get(f"{_W}val", "continue") == "continue"
            col = len(row)
            for offset in range(max(1, min(span, 100))):
                above = rows[-1][col + offset] if continues and rows and col + offset < len(rows[-1]) else ""
                row.append(above if continues else text)
        if any(row):
            rows.append(row)
    return rows


def read(data: bytes) -> Page:
    """A Page from a .docx file; body paragraphs become lines, tables become Page.tables."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("word/document.xml")
            if info.file_size > MAX_XML_BYTES:
                raise PageError(f"docx body too large ({info.file_size} bytes)")
            document = etree.fromstring(archive.read(info), etree.XMLParser(resolve_entities=False))
            core = archive.read("docProps/core.xml") if "docProps/core.xml" in archive.namelist() else b""
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError) as exc:
        raise PageError(f"unreadable docx: {exc}") from exc
    body = document.find(f"{_W}body")
    lines: list[str] = []
    tables: list[Table] = []
    for block in body if body is not None else []:
        if block.tag == f"{_W}p":
            lines.append(_paragraph_text(block))
        elif block.tag == f"{_W}tbl":
            tables.append(Table(rows=_table_rows(block)))
    lines = clean_lines(lines)
    if sum(len(line) for line in lines) < 30 and not tables:
        raise PageError("docx holds almost no text")
    return Page(adapter=NAME, text="\n".join(lines), title=_core_title(core) or (lines[0] if lines else ""),
                tables=[t for t in tables if t.rows])


def _core_title(core: bytes) -> str:
    if not core:
        return ""
    try:
        node = etree.fromstring(core).find(f".//{_DC_TITLE}")
    except etree.XMLSyntaxError:
        return ""
    return normalize_line(node.text or "") if node is not None else ""
