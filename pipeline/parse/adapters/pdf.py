"""PDF captures (reports published as attachments): text layer via pypdf, lines rejoined into paragraphs;
scanned PDFs by OCR (pipeline.parse.adapters.ocr) when the [ocr] extra is installed."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterable
from statistics import quantiles

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from pipeline.model import Check, Page
from pipeline.parse.adapters import ocr
from pipeline.parse.adapters.base import PageError, clean_lines, normalize_line

NAME = "pdf"
MAX_PAGES = 300
_PAGE_NUMBER = re.compile(r"^(?:[-—–－]\s*\d{1,4}\s*[-—–－]|第\s*\d+\s*页(?:\s*[/，,]?\s*共\s*\d+\s*页)?|\d{1,4})$")
_PARAGRAPH_END = re.compile(r"[。！？；：:”」』）)]$")
_ITEM_START = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d+[、.．]|"
    r"[一二三四五六七八九十]+是|第[一二三四五六七八九十\d]+[章节条部分])"
)
_FILE_TITLE = re.compile(r"\.(?:docx?|wps|pdf)$|^Microsoft Word|^untitled|^\s*$", re.I)

logging.getLogger("pypdf").setLevel(logging.ERROR)


def _page_texts(data: bytes) -> tuple[list[str], str]:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise PageError("pdf is encrypted with a password")
        texts = [page.extract_text() or "" for page in reader.pages[:MAX_PAGES]]
        title = str((reader.metadata or {}).get("/Title") or "")
    except PageError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        raise PageError(f"unreadable pdf: {type(exc).__name__}: {exc}") from exc
    return texts, title


def join_wrapped_lines(lines: list[str]) -> list[str]:
    """Paragraphs from the visual lines of a PDF: a line that fills the measure and does not end a
    sentence runs on into the next, unless the next starts a numbered item."""
    if not lines:
        return []
    lengths = sorted(len(line) for line in lines)
    full = quantiles(lengths, n=10)[-1] if len(lengths) >= 2 else lengths[0]
    paragraphs: list[str] = []
    for line in lines:
        previous = paragraphs[-1] if paragraphs else ""
        runs_on = (
            previous
            and not _PARAGRAPH_END.search(previous)
            and len(previous.rsplit("\n", 1)[-1]) >= 0.85 * full
            and not _ITEM_START.match(line)
        )
        if runs_on:
            paragraphs[-1] = previous + "\n" + line
        else:
            paragraphs.append(line)
    return [_join(p) for p in paragraphs]


def _join(paragraph: str) -> str:
    """Rejoin wrapped lines: nothing between Chinese characters, a space between Latin words."""
    return re.sub(r"(?<=[A-Za-z,.;])\n(?=[A-Za-z])", " ", paragraph).replace("\n", "")


def _body(raw_lines: Iterable[str]) -> list[str]:
    """Paragraphs from raw text lines, page numbers dropped."""
    lines = [line for raw in raw_lines if (line := normalize_line(raw)) and not _PAGE_NUMBER.match(line)]
    return clean_lines(join_wrapped_lines(lines))


def _ocr_body(data: bytes) -> list[str]:
    """Paragraphs of a scanned PDF by OCR of its page images; PageError when OCR is missing or finds nothing."""
    if not ocr.available():
        raise PageError("pdf has no text layer (a scanned image?) or almost no text; install the [ocr] extra "
                        "(rapidocr-onnxruntime) to read scanned PDFs")
    try:
        body = _body(ocr.pdf_lines(data))
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        raise PageError(f"pdf has no text layer and its images could not be read: {type(exc).__name__}: {exc}") \
            from exc
    if sum(len(line) for line in body) < 30:
        raise PageError("pdf has no text layer, and OCR of its images found almost no text")
    return body


def read(data: bytes) -> Page:
    """A Page from a PDF's text layer, or by OCR when it has none (a scan) and the [ocr] extra is there."""
    texts, meta_title = _page_texts(data)
    body, checks = _body(raw for text in texts for raw in text.splitlines()), []
    if sum(len(line) for line in body) < 30:
        body = _ocr_body(data)
        checks.append(Check("text_from_ocr", "warning", f"scanned pdf: its text was read by OCR ({ocr.ENGINE}); "
                            "characters and digits may be misread"))
    title = normalize_line(meta_title)
    if _FILE_TITLE.search(title):
        title = body[0] if len(body[0]) <= 60 and not _PARAGRAPH_END.search(body[0]) else ""
    return Page(adapter=NAME, text="\n".join(body), title=title, checks=checks)
