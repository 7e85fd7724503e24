"""Legacy Word (.doc) and WPS (.wps) attachments: OLE files holding a Word 97-2003 document.

The text is read from the document's piece table (olefile opens the container; [MS-DOC] 2.4.1 says where
the characters are), which covers Word 97 and later and what WPS Office saves. Files this cannot read
(Word 6/95, encrypted or damaged ones) go to antiword (Debian package `antiword`) or LibreOffice (`soffice`)
when one is on PATH; without either the capture raises a PageError naming what to install: a clear check,
never a crash."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import olefile

from pipeline.model import Page
from pipeline.parse.adapters.base import PageError, clean_lines, normalize_line

NAME = "doc"
TIMEOUT_SECONDS = 120
MAX_CHARACTERS = 20_000_000
_WORD_MAGIC = 0xA5EC
_FIELD_CODE = re.compile(r"\x13[^\x13\x14\x15]*(?:\x14|\x15)")  # a field's instruction, up to its result
_CONTROL = str.maketrans({"\r": "\n", "\x07": "\n", "\x0b": "\n", "\x0c": "\n", "\x1e": "-", "\x1f": "",
                          "\xa0": " ", "\x15": "", "\x14": "", "\x01": "", "\x08": "", "\x02": "", "\x05": ""})


def _piece_text(word: bytes, table: bytes) -> str:
    """The main document's characters, piece by piece ([MS-DOC] FIB fcClx/lcbClx, Clx, PlcPcd)."""
    ccp_text, = struct.unpack_from("<i", word, 0x4C)
    fc_clx, lcb_clx = struct.unpack_from("<II", word, 0x1A2)
    clx = table[fc_clx:fc_clx + lcb_clx]
    at = 0
    while at < len(clx) and clx[at] == 0x01:  # Prc entries (formatting) before the piece table
        at += 3 + struct.unpack_from("<H", clx, at + 1)[0]
    if at >= len(clx) or clx[at] != 0x02:
        raise ValueError("no piece table")
    plc = clx[at + 5:at + 5 + struct.unpack_from("<I", clx, at + 1)[0]]
    pieces = (len(plc) - 4) // 12
    cps = struct.unpack_from(f"<{pieces + 1}I", plc)
    parts, total = [], 0
    for n in range(pieces):
        fc, = struct.unpack_from("<I", plc, 4 * (pieces + 1) + 8 * n + 2)
        count = min(cps[n + 1], ccp_text) - cps[n]
        if count <= 0:
            break
        if fc & 0x40000000:  # compressed: one byte per character, cp1252, at fc / 2
            start = (fc & 0x3FFFFFFF) // 2
            parts.append(word[start:start + count].decode("cp1252", "replace"))
        else:
            parts.append(word[fc:fc + 2 * count].decode("utf-16-le", "replace"))
        total += count
        if total > MAX_CHARACTERS:
            break
    return "".join(parts)


def word_text(data: bytes) -> str:
    """The text of a Word 97+ document in an OLE file; ValueError when it is not one this can read."""
    try:
        with olefile.OleFileIO(data) as ole:
            word = ole.openstream("WordDocument").read()
            if len(word) < 0x1AA or struct.unpack_from("<H", word)[0] != _WORD_MAGIC:
                raise ValueError("not a Word 97-2003 document")
            flags, = struct.unpack_from("<H", word, 0x0A)
            if flags & 0x0100:
                raise ValueError("the document is encrypted")
            table_name = "1Table" if flags & 0x0200 else "0Table"
            if not ole.exists(table_name):
                raise ValueError(f"no {table_name} stream (a Word 6/95 file?)")
            table = ole.openstream(table_name).read()
    except OSError as exc:
        raise ValueError(f"not an OLE file: {exc}") from exc
    try:
        text = _piece_text(word, table)
    except struct.error as exc:
        raise ValueError(f"damaged piece table: {exc}") from exc
    return _FIELD_CODE.sub("", text).translate(_CONTROL)


def converter() -> str:
    """The converter this machine has for what word_text cannot read: "antiword", "soffice" or ""."""
    return next((name for name in ("antiword", "soffice") if shutil.which(name)), "")


def _run(command: list[str]) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(command, capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired as exc:
        raise PageError(f"{command[0]} took longer than {TIMEOUT_SECONDS} s") from exc


def converted_text(data: bytes, kind: str, tool: str) -> str:
    """The file's text as the converter writes it."""
    with tempfile.TemporaryDirectory(prefix="fzzf-doc-") as tmp:
        path = Path(tmp) / f"attachment.{kind}"
        path.write_bytes(data)
        if tool == "antiword":
            done = _run(["antiword", "-m", "UTF-8.txt", "-w", "0", str(path)])
            output = done.stdout
        else:
            done = _run(["soffice", "--headless", "--norestore", "--convert-to", "txt:Text (encoded):UTF8",
                         "--outdir", tmp, str(path)])
            converted = path.with_suffix(".txt")
            output = converted.read_bytes() if converted.exists() else b""
        if done.returncode != 0 or not output.strip():
            why = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise PageError(f"{tool} could not read this {kind} file: {why[-1] if why else 'no text'}")
    return output.decode("utf-8", "replace")


def read(data: bytes, kind: str = "doc") -> Page:
    """A Page from a .doc or .wps file: its piece table, else the converter found on this machine."""
    try:
        text = word_text(data)
    except ValueError as exc:
        tool = converter()
        if not tool:
            raise PageError(f"a legacy Word/WPS (.{kind}) file that cannot be read here ({exc}): install "
                            "antiword (apt-get install antiword) or LibreOffice to read it") from exc
        text = converted_text(data, kind, tool)
    lines = clean_lines(normalize_line(line) for line in text.splitlines())
    if sum(len(line) for line in lines) < 30:
        raise PageError(f"{kind} file holds almost no text")
    return Page(adapter=NAME, text="\n".join(lines), title=lines[0] if len(lines[0]) <= 60 else "")
