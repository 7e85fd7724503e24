"""Bytes of one capture -> Page: the adapter is chosen from the page itself.

`read_page` is the only entry point. It raises PageError(reason) for captures that hold no report
(empty, binary junk, no main text, an anti-bot challenge) and never any other exception."""

from __future__ import annotations

import re

from lxml import html

from pipeline.model import Capture, Check, Page
from pipeline.parse.adapters import doc, docx, generic, gkmlpt, nfcms, ofd, pdf, text, trs, xls, xlsx
from pipeline.parse.adapters.base import PageError, base_url, parse_html, visible_text_length
from pipeline.parse.encoding import decode, mislabelled_charsets
from pipeline.parse.filetype import document_type, sniff

__all__ = ["PageError", "read_page", "MAX_HTML_BYTES"]

MAX_HTML_BYTES = 8 * 1024 * 1024  # no real report page is bigger once inline images are gone
_DATA_URI = re.compile(rb"data:[\w.+/-]{1,64};base64,[A-Za-z0-9+/=\s\\]{256,}")
_BLOAT = re.compile(rb"<!--.*?-->|<style\b.*?</style\s*>", re.S | re.I)
_HTML_START = re.compile(r"^\s*(?:<!doctype\s+html|<html[\s>]|<\?xml)", re.I)
_HTML_TAGS = re.compile(r"<(?:!doctype\s+html|html|head|body|meta|title|div|p|table|script|span|a)\b", re.I)
_CHALLENGE = re.compile(
    r"__jsl_clearance|acw_sc__v2|\barg1\s*=|_waf_|wzws|\bcaptcha\b|challenge-platform|"
    r"cf-chl|Just a moment|enable JavaScript|安全验证|人机验证|滑动验证|访问验证|请开启\s*JavaScript|"
    r"浏览器安全检查|请稍候",
    re.I,
)
_BINARY_MAGIC = {
    b"\xd0\xcf\x11\xe0": "an OLE2 file that is neither a Word/WPS document nor an Excel workbook",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"PK\x03\x04": "a zip archive",
    b"\x1f\x8b": "gzip-compressed data",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7z archive",
}


def read_page(data: bytes, capture: Capture) -> Page:
    """The Page in `data`; PageError(reason) when it holds no report."""
    try:
        return _read(data, capture)
    except PageError:
        raise
    except Exception as exc:  # one malformed page must never stop the build
        raise PageError(f"adapter failed on this capture: {type(exc).__name__}: {exc}") from exc


def _read(data: bytes, capture: Capture) -> Page:
    if not data or not data.strip():
        raise PageError("empty capture")
    kind = sniff(data) and document_type(data, url=capture.url or capture.path)  # the bytes decide
    if reader := _DOCUMENT_READERS.get(kind):
        return reader(data, kind)
    _reject_binary(data)
    content_type = (capture.content_type or "").lower()
    shrunk, cut = _shrink(data)
    source, encoding = decode(shrunk, content_type)
    if source.count("\ufffd") > 0.1 * len(source):
        raise PageError("undecodable bytes: not text in any known encoding")
    if _is_plain_text(source, content_type):
        page = text.read(source)
    else:
        page = _read_html(source, capture.final_url or capture.url)
        if not cut and _ends_early(source):
            page.checks.append(_check(capture, "capture_truncated", "the HTML stops before </body> and </html>: "
                                      "the capture looks cut off, the text is read up to the cut"))
    if wrong := mislabelled_charsets(shrunk, content_type, encoding):
        page.checks.append(_check(capture, "charset_mislabelled", f"declared charset {', '.join(wrong)} does not "
                                  f"fit the bytes; read as {encoding}"))
    if cut:
        page.checks.append(_check(capture, "page_truncated", f"page of {len(data):,} bytes cut at {MAX_HTML_BYTES:,} "
                                  f"({cut:,} bytes dropped once inline images, comments and styles were gone); "
                                  "any text after the cut is lost"))
    return page


_DOCUMENT_READERS = {
    "pdf": lambda data, kind: pdf.read(data), "docx": lambda data, kind: docx.read(data),
    "xlsx": lambda data, kind: xlsx.read(data), "xls": lambda data, kind: xls.read(data),
    "et": lambda data, kind: xls.read(data), "ofd": lambda data, kind: ofd.read(data),
    "doc": doc.read, "wps": doc.read,
}  # by what the bytes are (a named .wps or .et stays one): one adapter module per format


def _check(capture: Capture, name: str, message: str) -> Check:
    """A warning about a problem the adapter worked around, naming the capture."""
    return Check(name, "warning", f"{capture.url or capture.source or capture.path}: {message}")


def _ends_early(source: str) -> bool:
    """An HTML capture whose closing tags never arrived (a transfer cut off mid-page)."""
    tail = source[-4096:].lower()
    return "</html" not in tail and "</body" not in tail


def _reject_binary(data: bytes) -> None:
    """Raise PageError for images, archives, legacy Office files and control-character noise."""
    for magic, what in _BINARY_MAGIC.items():
        if data.startswith(magic):
            raise PageError(f"binary data: {what}")
    head = data[:65536]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return  # UTF-16 with a BOM
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13, 27))
    if controls > 0.02 * len(head):
        raise PageError(f"binary data: {controls} control bytes in the first {len(head)}")


def _shrink(data: bytes) -> tuple[bytes, int]:
    """The page without inline base64 images, and for huge pages without comments and styles, cut to
    MAX_HTML_BYTES, so a freak page cannot exhaust memory; and how many bytes the cut dropped."""
    if b"base64," in data:
        data = _DATA_URI.sub(b"data:,", data)
    if len(data) > MAX_HTML_BYTES:
        data = _BLOAT.sub(b"", data)
    return data[:MAX_HTML_BYTES], max(0, len(data) - MAX_HTML_BYTES)


def _is_plain_text(source: str, content_type: str) -> bool:
    """A text capture: served as text/plain (unless it plainly starts as HTML), or holding no HTML tags."""
    head = source[:4096]
    if content_type.startswith("text/plain"):
        return not _HTML_START.match(head)
    return not _HTML_TAGS.search(head)


def _read_html(source: str, url: str) -> Page:
    root = parse_html(source)
    _reject_challenge(root, source)
    base = base_url(root, url)
    if nfcms.matches(source, root):
        return nfcms.read(source, root, base)
    if gkmlpt.matches(source, root):
        return gkmlpt.read(source, root, base)
    if trs.matches(source, root, url):
        return trs.read(source, root, base)
    return generic.read(source, root, base)


def _reject_challenge(root: html.HtmlElement, source: str) -> None:
    """Raise PageError for an anti-bot gateway's JavaScript challenge instead of the page."""
    visible = visible_text_length(root, enough=300)
    if visible >= 300:
        return
    has_script = root.find(".//script") is not None
    links = [a for a in root.iter("a") if a.get("href")]
    marker = _CHALLENGE.search(source[:20000])
    if marker or (has_script and visible < 40 and not links):
        why = f"marker {marker.group(0)!r}" if marker else "scripts and no text"
        raise PageError(f"anti-bot challenge page ({why}, {visible} characters of visible text)")
