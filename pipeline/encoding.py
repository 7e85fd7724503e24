"""Turn raw bytes into text the way gov.cn pages need: header, meta, BOM, then detection."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([a-zA-Z0-9_\-]+)", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# gb2312 and gbk pages routinely contain characters only gb18030 (their superset) defines.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030"}


def canonical_encoding(name: str) -> str | None:
    """Python's codec name for a declared charset, widened to its superset; None if unknown."""
    try:
        name = codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def _declared(data: bytes, content_type: str) -> list[str]:
    found = []
    if m := _HEADER_CHARSET.search(content_type or ""):
        found.append(m.group(1))
    if m := _META_CHARSET.search(data[:4096]):
        found.append(m.group(1).decode("ascii", "replace"))
    return found


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def detect_encoding(data: bytes, content_type: str = "") -> str:
    """The encoding that decodes `data`: header charset, meta charset, BOM, then detection.

    A declared charset that fails to decode the bytes (a GBK page labelled UTF-8) is skipped.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    for declared in _declared(data, content_type):
        name = canonical_encoding(declared)
        if name and _decodes(data, name):
            return name
    if _decodes(data, "utf-8"):
        return "utf-8"
    best = from_bytes(data[:200_000]).best()
    guess = canonical_encoding(best.encoding) if best else None
    return guess or "gb18030"


def decode(data: bytes, content_type: str = "") -> tuple[str, str]:
    """The text of `data` and the encoding used; undecodable bytes become U+FFFD, never an error."""
    encoding = detect_encoding(data, content_type)
    return data.decode(encoding, errors="replace"), encoding
