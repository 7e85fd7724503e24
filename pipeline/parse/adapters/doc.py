"""Legacy Word (.doc) and WPS (.wps) attachments: OLE binaries, whose text an external converter reads.

antiword (Debian/Ubuntu package `antiword`) is used when it is on PATH, else LibreOffice (`soffice`).
Without either the capture raises PageError naming what to install: a clear check, never a crash."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from pipeline.model import Page
from pipeline.parse.adapters.base import PageError, clean_lines, normalize_line

NAME = "doc"
TIMEOUT_SECONDS = 120


def converter() -> str:
    """The converter this machine has: "antiword", "soffice" or ""."""
    return next((name for name in ("antiword", "soffice") if shutil.which(name)), "")


def _run(command: list[str]) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(command, capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired as exc:
        raise PageError(f"{command[0]} took longer than {TIMEOUT_SECONDS} s") from exc


def _text(data: bytes, kind: str, tool: str) -> str:
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
    """A Page from a .doc or .wps file through the converter found on this machine."""
    tool = converter()
    if not tool:
        raise PageError(f"a legacy Word/WPS (.{kind}) file: install antiword (apt-get install antiword) or "
                        "LibreOffice to read it")
    lines = clean_lines(normalize_line(line) for line in _text(data, kind, tool).splitlines())
    if sum(len(line) for line in lines) < 30:
        raise PageError(f"{kind} file holds almost no text")
    return Page(adapter=NAME, text="\n".join(lines), title=lines[0] if len(lines[0]) <= 60 else "")
