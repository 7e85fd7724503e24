"""The raw archive: every capture's bytes exactly as received, content-addressed by sha256.

Layout under the raw dir:
  captures/ab/<sha256>.<ext>       the bytes, never rewritten
  captures/ab/<sha256>.<ext>.json  provenance beside them (first url, time, sha256, headers)
  manifest.csv                     one row per attempt, appended, never rewritten
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

from pipeline.model import Capture

MANIFEST_FIELDS = [
    "url", "final_url", "fetched_at", "status", "sha256", "path", "content_type", "encoding",
    "bytes", "etag", "last_modified", "error", "kind", "parent_url", "source", "title", "published",
]
_EXTENSIONS = {
    "text/html": "html", "application/xhtml+xml": "html", "text/plain": "txt", "application/pdf": "pdf",
    "application/msword": "doc", "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/wps-office.wps": "wps", "application/json": "json",
}


def now_utc() -> str:
    """The current time as an ISO 8601 UTC timestamp, the manifest's format."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def extension_for(content_type: str, url: str = "") -> str:
    """A file extension for a capture, from its media type, else from its URL."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media in _EXTENSIONS:
        return _EXTENSIONS[media]
    suffix = Path(url.split("?")[0]).suffix.lower().lstrip(".")
    return suffix if suffix in {"html", "htm", "shtml", "txt", "pdf", "doc", "docx", "wps"} else "bin"


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, fsync, then rename: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Archive:
    """Content-addressed capture store with an append-only manifest; safe to share between threads."""

    def __init__(self, raw_dir: Path | str):
        self.root = Path(raw_dir)
        self.manifest_path = self.root / "manifest.csv"
        self._lock = threading.Lock()

    def store(self, body: bytes, *, url: str = "", status: int = 200, content_type: str = "",
              fetched_at: str = "", extension: str = "", **fields: str) -> Capture:
        """Archive `body` (if these bytes are new) and append a manifest row; return the capture.
        `extension` (what the fetcher found the file to be) wins over the one of its media type and URL."""
        sha = hashlib.sha256(body).hexdigest()
        rel = f"captures/{sha[:2]}/{sha}.{extension or extension_for(content_type, url)}"
        path = self.root / rel
        row = {"url": url, "status": str(status), "sha256": sha, "path": rel, "content_type": content_type,
               "bytes": str(len(body)), "fetched_at": fetched_at or now_utc(), **fields}
        with self._lock:
            if not path.exists():
                write_atomically(path, body)
                sidecar = {k: v for k, v in row.items() if v}
                write_atomically(path.with_name(path.name + ".json"),
                                 json.dumps(sidecar, ensure_ascii=False, indent=1).encode())
            self._append(row)
        return capture_from_row(row)

    def record_failure(self, url: str, *, status: int | str = "", error: str, kind: str = "report",
                       **fields: str) -> None:
        """Append a manifest row for an attempt that archived nothing, saying why."""
        with self._lock:
            self._append({"url": url, "status": str(status), "error": error, "kind": kind,
                          "fetched_at": now_utc(), **fields})

    def _append(self, row: dict[str, str]) -> None:
        unknown = set(row) - set(MANIFEST_FIELDS)
        if unknown:
            raise ValueError(f"unknown manifest fields: {sorted(unknown)}")
        new = not self.manifest_path.exists()
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.manifest_path, "a", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, MANIFEST_FIELDS, lineterminator="\n")
            if new:
                writer.writeheader()
            writer.writerow({k: row.get(k, "") for k in MANIFEST_FIELDS})
            f.flush()
            os.fsync(f.fileno())

    def rows(self) -> list[dict[str, str]]:
        """Every manifest row, oldest first."""
        if not self.manifest_path.exists():
            return []
        with open(self.manifest_path, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    def latest_rows(self) -> dict[str, dict[str, str]]:
        """The newest successful row of each page whose capture is on disk, keyed by URL (by sha256 for
        captures without one); one pass over the manifest."""
        latest: dict[str, dict[str, str]] = {}
        for row in self.rows():
            if row.get("sha256") and not row.get("error"):
                latest[row["url"] or row["sha256"]] = row
        return {key: row for key, row in latest.items() if (self.root / row["path"]).exists()}

    def latest_captures(self) -> list[Capture]:
        """The newest successful capture of each page."""
        return [capture_from_row(row) for row in self.latest_rows().values()]

    def read(self, capture: Capture) -> bytes:
        """The archived bytes of a capture."""
        return (self.root / capture.path).read_bytes()


def capture_from_row(row: dict[str, str]) -> Capture:
    """A Capture from a manifest row (unknown columns ignored; empty ones take the Capture's defaults)."""
    names = set(Capture.__dataclass_fields__)
    return Capture(**{k: v for k, v in row.items() if k in names and v})

