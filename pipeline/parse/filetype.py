"""What a fetched file is: from its bytes first, then Content-Disposition's filename, Content-Type, URL.

Download links often say nothing (`downloadfile.jsp?filepath=…`) and servers label files
application/octet-stream, so the file extension of the URL is the last witness, not the first."""

from __future__ import annotations

import io
import re
import zipfile
from email.message import Message
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

import olefile

DOCUMENT_TYPES = frozenset({"pdf", "doc", "docx", "wps", "xls", "xlsx", "et", "ofd", "zip", "rar", "7z"})
_MEDIA_TYPES = {
    "application/pdf": "pdf", "application/msword": "doc", "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/wps-office.wps": "wps", "application/kswps": "wps", "application/vnd.ms-works": "wps",
    "application/ofd": "ofd", "application/zip": "zip", "application/x-zip-compressed": "zip",
    "application/x-rar-compressed": "rar", "application/vnd.rar": "rar", "application/x-7z-compressed": "7z",
}
_SIMPLE_MAGIC = ((b"\x89PNG", "png"), (b"\xff\xd8\xff", "jpg"), (b"GIF8", "gif"), (b"Rar!", "rar"),
                 (b"7z\xbc\xaf", "7z"), (b"\x1f\x8b", "gz"))
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MEMBERS = (("word/document.xml", "docx"), ("xl/workbook.xml", "xlsx"), ("ofd.xml", "ofd"))
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,5})$")


def sniff(data: bytes) -> str:
    """The file type its bytes show (pdf, docx, xlsx, ofd, zip, doc, xls, ole, png ...), or "" for text
    and anything unknown."""
    if data[:1024].lstrip().startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return _zip_type(data)
    if data.startswith(_OLE_MAGIC):
        return _ole_type(data)
    return next((kind for magic, kind in _SIMPLE_MAGIC if data.startswith(magic)), "")


def _zip_type(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = {name.lower() for name in archive.namelist()}
    except zipfile.BadZipFile:
        return "zip"
    return next((kind for member, kind in _ZIP_MEMBERS if member in names), "zip")


def _ole_type(data: bytes) -> str:
    """doc (Word and most WPS files: a WordDocument stream), xls (a Workbook or Book stream), else ole."""
    try:
        with olefile.OleFileIO(data) as ole:
            streams = {"/".join(path).lower() for path in ole.listdir()}
    except (OSError, ValueError):
        return "ole"
    if "worddocument" in streams:
        return "doc"
    if streams & {"workbook", "book"}:
        return "xls"
    return "ole"


def disposition_filename(value: str) -> str:
    """The filename of a Content-Disposition header (filename* preferred), or ""."""
    if not value:
        return ""
    message = Message()
    message["Content-Disposition"] = value
    return unquote(message.get_filename() or "")


def _extension(name: str) -> str:
    match = _EXTENSION.search(name.strip())
    return match.group(1).lower() if match else ""


def document_type(data: bytes, content_type: str = "", disposition: str = "", url: str = "") -> str:
    """The type of a fetched file, for its archive extension and its reader; "" when it is text (HTML...).

    The bytes decide; a named .wps stays wps (its bytes are a Word file); without telling bytes, the
    Content-Disposition filename, the media type and the URL's extension are asked in that order."""
    named = _extension(disposition_filename(disposition)) or _extension(PurePosixPath(urlsplit(url).path).name)
    found = sniff(data)
    if found == "doc" and named in {"wps", "wpt"}:
        return "wps"
    if found == "xls" and named == "et":
        return "et"
    if found and found != "ole":
        return found
    media = content_type.split(";")[0].strip().lower()
    if media.startswith(("text/", "application/xhtml")):
        return found  # a page: its URL may say .doc, its bytes say HTML
    for kind in (_extension(disposition_filename(disposition)), _MEDIA_TYPES.get(media, ""), named):
        if kind in DOCUMENT_TYPES:
            return kind
    return found
