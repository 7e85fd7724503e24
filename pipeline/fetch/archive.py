"""The raw archive: every capture's bytes exactly as received, content-addressed by sha256.

Layout under the raw dir:
  captures/ab/<sha256>.<ext>       the bytes, never rewritten
  captures/ab/<sha256>.<ext>.json  provenance beside them (first url, time, sha256, headers)
  manifest.csv                     one row per attempt, appended, never rewritten

A capture is withdrawn from builds by a manifest row with status `withdrawn` (its bytes stay), and put back
by a later row with status `restored`: the manifest keeps who was taken out when, and why.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Collection
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
WITHDRAWN, RESTORED = "withdrawn", "restored"  # manifest statuses that take a capture out of builds and back


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


def current_umask() -> int:
    """The process's umask, read without changing it where the system tells it (Linux), else set and reset."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def default_mode(directory: bool = False) -> int:
    """The mode a plain open() or mkdir() would give (0644 / 0755 under umask 022): temporary files made
    private by mkstemp/mkdtemp get it before they are renamed into place, so outputs are readable by all."""
    return (0o777 if directory else 0o666) & ~current_umask()


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, fsync, then rename: never a half-written file. The file
    gets the umask's mode, not mkstemp's 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        os.fchmod(fd, default_mode())
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

    def latest_rows(self, skip: Collection[str] = ()) -> dict[str, dict[str, str]]:
        """The newest successful row of each page whose capture is on disk, keyed by URL (by sha256 for
        captures without one), leaving out captures whose sha256 is in `skip`; one pass over the manifest."""
        latest: dict[str, dict[str, str]] = {}
        for row in self.rows():
            if is_capture_row(row) and row["sha256"] not in skip:
                latest[row["url"] or row["sha256"]] = row
        return {key: row for key, row in latest.items() if (self.root / row["path"]).exists()}

    def latest_captures(self, skip: Collection[str] = ()) -> list[Capture]:
        """The newest successful capture of each page (of those not in `skip`, e.g. the withdrawn ones)."""
        return [capture_from_row(row) for row in self.latest_rows(skip).values()]

    def capture_row(self, sha_or_prefix: str) -> dict[str, str]:
        """The first manifest row that archived the capture with this sha256 (or unique prefix of 8 or more
        hex digits); ValueError naming the problem when there is none or the prefix is ambiguous."""
        key = sha_or_prefix.strip().lower()
        if len(key) < 8 or any(c not in "0123456789abcdef" for c in key):
            raise ValueError(f"{sha_or_prefix!r} is not a sha256 (64 hex digits, or a unique prefix of 8 or more)")
        found: dict[str, dict[str, str]] = {}
        for row in self.rows():
            if is_capture_row(row) and row["sha256"].startswith(key):
                found.setdefault(row["sha256"], row)
        if len(found) != 1:
            raise ValueError(f"no capture with sha256 {sha_or_prefix} in {self.manifest_path}" if not found else
                             f"sha256 prefix {sha_or_prefix} names {len(found)} captures: give more digits")
        return next(iter(found.values()))

    def set_withdrawn(self, sha256: str, withdrawn: bool, note: str = "") -> dict[str, str]:
        """Append a `withdrawn` (or `restored`) row for the capture; its bytes are kept. Returns the row."""
        capture = self.capture_row(sha256)
        row = {"url": capture["url"], "status": WITHDRAWN if withdrawn else RESTORED, "sha256": capture["sha256"],
               "path": capture["path"], "kind": capture.get("kind", ""), "title": capture.get("title", ""),
               "source": note, "fetched_at": now_utc()}
        with self._lock:
            self._append(row)
        return row

    def read(self, capture: Capture) -> bytes:
        """The archived bytes of a capture."""
        return (self.root / capture.path).read_bytes()


def is_capture_row(row: dict[str, str]) -> bool:
    """True for a row that archived a capture (not a failed attempt, a 304, a withdrawal or a restoration)."""
    return bool(row.get("sha256")) and not row.get("error") and row.get("status") not in (WITHDRAWN, RESTORED)


def withdrawn_captures(raw_dir: Path | str) -> set[str]:
    """sha256 of every capture withdrawn from builds and not restored since (the manifest's last word)."""
    withdrawn: set[str] = set()
    for row in Archive(raw_dir).rows():
        if row.get("status") == WITHDRAWN:
            withdrawn.add(row["sha256"])
        elif row.get("status") == RESTORED:
            withdrawn.discard(row["sha256"])
    return withdrawn


def capture_from_row(row: dict[str, str]) -> Capture:
    """A Capture from a manifest row (unknown columns ignored; empty ones take the Capture's defaults)."""
    names = set(Capture.__dataclass_fields__)
    return Capture(**{k: v for k, v in row.items() if k in names and v})

