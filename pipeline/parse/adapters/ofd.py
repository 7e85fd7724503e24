"""OFD attachments (GB/T 33190, China's fixed-layout format: a zip of XML pages), text read from the
TextCode elements of each page in reading order.

No well-kept PyPI library reads OFD text without pulling in a renderer (easyofd needs PyMuPDF and OpenCV to
convert to PDF), and the text of an OFD is plain XML, so it is read here with zipfile and lxml."""

from __future__ import annotations

import io
import posixpath
import zipfile

from lxml import etree

from pipeline.model import Page
from pipeline.parse.adapters.base import PageError, clean_lines, normalize_line
from pipeline.parse.adapters.pdf import join_wrapped_lines

NAME = "ofd"
MAX_PAGES = 300
MAX_XML_BYTES = 32 * 1024 * 1024
LINE_TOLERANCE = 1.5  # millimetres: text objects whose baselines differ less sit on one line
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [e for e in element.iter() if _local(e) == name]


def _xml(archive: zipfile.ZipFile, names: dict[str, str], path: str) -> etree._Element:
    """A member parsed as XML (member names matched without case: writers differ)."""
    name = names.get(path.lstrip("/").lower())
    if name is None:
        raise PageError(f"ofd member {path!r} is missing")
    info = archive.getinfo(name)
    if info.file_size > MAX_XML_BYTES:
        raise PageError(f"ofd member {path!r} too large ({info.file_size} bytes)")
    return etree.fromstring(archive.read(name), _PARSER)


def _page_paths(archive: zipfile.ZipFile, names: dict[str, str]) -> list[str]:
    """Content.xml of every page of the first document, in page order."""
    roots = [(e.text or "").strip() for e in _children(_xml(archive, names, "OFD.xml"), "DocRoot")]
    if not roots or not roots[0]:
        raise PageError("ofd has no DocRoot")
    doc_root = roots[0].lstrip("/")
    base = posixpath.dirname(doc_root)
    pages = _children(_xml(archive, names, doc_root), "Page")
    paths = []
    for page in pages[:MAX_PAGES]:
        loc = (page.get("BaseLoc") or "").strip()
        if loc:
            paths.append(loc.lstrip("/") if loc.startswith("/") else posixpath.normpath(posixpath.join(base, loc)))
    return paths


def _number(text: str | None, index: int) -> float:
    try:
        return float((text or "").split()[index])
    except (ValueError, IndexError):
        return 0.0


def page_lines(content: etree._Element) -> list[str]:
    """A page's text lines: text objects grouped by baseline (top to bottom), left to right in a line."""
    pieces: list[tuple[float, float, str]] = []
    for obj in _children(content, "TextObject"):
        x0, y0 = _number(obj.get("Boundary"), 0), _number(obj.get("Boundary"), 1)
        for code in _children(obj, "TextCode"):
            if code.text:
                pieces.append((y0 + float(code.get("Y") or 0), x0 + float(code.get("X") or 0), code.text))
    lines: list[list[tuple[float, float, str]]] = []
    for piece in sorted(pieces):
        if lines and piece[0] - lines[-1][0][0] < LINE_TOLERANCE:
            lines[-1].append(piece)
        else:
            lines.append([piece])
    return [normalize_line("".join(text for _, _, text in sorted(line, key=lambda p: p[1]))) for line in lines]


def read(data: bytes) -> Page:
    """A Page from an OFD file's text; an OFD of scanned images only raises PageError."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = {name.lower(): name for name in archive.namelist()}
            lines = [line for path in _page_paths(archive, names) for line in page_lines(_xml(archive, names, path))]
    except (zipfile.BadZipFile, etree.XMLSyntaxError, KeyError, ValueError) as exc:
        raise PageError(f"unreadable ofd: {type(exc).__name__}: {exc}") from exc
    body = clean_lines(join_wrapped_lines([line for line in lines if line]))
    if sum(len(line) for line in body) < 30:
        raise PageError("ofd has no text (scanned pages?) or almost none")
    return Page(adapter=NAME, text="\n".join(body), title=body[0] if len(body[0]) <= 60 else "")
