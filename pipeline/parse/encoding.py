"""Turn raw bytes into text the way gov.cn pages need: BOM, valid UTF-8, header, meta, then detection."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([a-zA-Z0-9_\-]+)", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# gb2312 and gbk pages routinely contain characters only gb18030 (their superset) defines.
# A declared charset still wins over a few stray bytes (one corrupt character in a long page).
DECLARED_TOLERANCE = 0.0005
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030"}
# Western single-byte codecs decode any bytes at all, so decoding proves nothing about them.
_SINGLE_BYTE = frozenset({"iso8859-1", "cp1252", "iso8859-15", "cp1250", "iso8859-2", "mac-roman"})


def canonical_encoding(name: str) -> str | None:
    """Python's codec name for a declared charset, widened to its superset; None if unknown."""
    name = name.strip().lower()
    if name in _SUPERSETS:
        return _SUPERSETS[name]
    try:
        name = codecs.lookup(name).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def _declared(data: bytes, content_type: str) -> list[str]:
    found = []
    if m := _HEADER_CHARSET.search(content_type or ""):
        found.append(m.group(1))
    if m := _META_CHARSET.search(data[:16384]):
        found.append(m.group(1).decode("ascii", "replace"))
    return found


def _bad_sequences(data: bytes, encoding: str) -> int:
    """How many byte sequences of `data` fail to decode (-1 for an unknown codec); a multibyte
    character cut off at the very end (a truncated capture) does not count."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    except LookupError:
        return -1
    return decoder.decode(data, final=False).count("\ufffd")


def _decodes(data: bytes, encoding: str, tolerance: float = 0.0) -> bool:
    """True when at most `tolerance` of the bytes fail to decode (0: none may)."""
    bad = _bad_sequences(data, encoding)
    return 0 <= bad <= tolerance * len(data)


def _latin_over_chinese(data: bytes, name: str) -> bool:
    """A single-byte Western charset (a server default such as ISO-8859-1) declared for bytes that read
    cleanly as GB18030: every byte decodes in the declared one, so only this says it is wrong."""
    return name in _SINGLE_BYTE and not data.isascii() and _decodes(data, "gb18030")


def detect_encoding(data: bytes, content_type: str = "") -> str:
    """The encoding that decodes `data`: BOM, then UTF-8 when the bytes are valid UTF-8 with non-ASCII
    text (a page labelled gb2312 but served as UTF-8 after a site migration), then header charset,
    meta charset, then GB18030 and detection.

    A declared charset that fails to decode the bytes (a GBK page labelled UTF-8) is skipped; one
    that fails on a few stray bytes only is kept.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    if not data.isascii() and _decodes(data, "utf-8"):
        return "utf-8"
    for declared in _declared(data, content_type):
        name = canonical_encoding(declared)
        if name and _decodes(data, name, DECLARED_TOLERANCE) and not _latin_over_chinese(data, name):
            return name
    if _decodes(data, "utf-8"):
        return "utf-8"
    if _decodes(data, "gb18030"):
        return "gb18030"  # gov.cn pages that are not UTF-8 are GBK family
    best = from_bytes(data[:200_000]).best()
    guess = canonical_encoding(best.encoding) if best else None
    return guess or "gb18030"


def decode(data: bytes, content_type: str = "") -> tuple[str, str]:
    """The text of `data` and the encoding used; undecodable bytes become U+FFFD, never an error."""
    encoding = detect_encoding(data, content_type)
    return data.decode(encoding, errors="replace"), encoding


def mislabelled_charsets(data: bytes, content_type: str, used: str) -> list[str]:
    """The charsets the header or the page declares that name another codec than `used`, the one that
    read the bytes (a GBK page labelled UTF-8, a header contradicting the meta tag); unknown names are
    left out, and a gb2312/gbk label on a page read as GB18030 is no mislabel."""
    wrong: dict[str, str] = {}  # codec -> the label as first written
    for declared in _declared(data, content_type):
        name = canonical_encoding(declared)
        if name and _codec_family(name) != _codec_family(used):
            wrong.setdefault(name, declared)
    return list(wrong.values())


def _codec_family(name: str) -> str:
    """utf-8-sig is utf-8 and utf-16-le is utf-16: a BOM settles the byte order, not the label."""
    name = name.removesuffix("-sig")
    return "utf-16" if name.startswith("utf-16") else name
