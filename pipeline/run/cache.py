"""The build cache: each capture's parsed rows, and a stamp of the last outputs written.

Parsing is a pure function of a capture's bytes, its catalogue entry, its attachments and the code of the
parsing stages, so its rows are stored under a key made of exactly those. The code's part of the key is
derived from the source itself (`parser_version`), never a constant someone has to remember to bump: editing
the extractor, an adapter or the taxonomy re-parses everything; a new page re-parses one page.

Layout under the cache dir (default `.cache/build` beside the raw dir, see `default_cache_dir`):
  rows/<parser version>/ab/<key>.rows   zlib-compressed pickle of {table: [row dicts]}
  outputs/<out dir id>.json             inputs digest and sha256 of every file the last build wrote there
Entries of other parser versions are removed when a build starts; a corrupt entry is ignored and rebuilt.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import json
import logging
import pickle
import shutil
import sys
import zlib
from dataclasses import asdict
from functools import cache
from pathlib import Path

from pipeline import SCHEMA_DIR
from pipeline.fetch.archive import file_sha256, write_atomically
from pipeline.model import Capture

log = logging.getLogger(__name__)
PACKAGE_DIR = Path(__file__).resolve().parent.parent
# What a capture parses into depends on the modules below pipeline/ except these stages, which never change
# it; a new module elsewhere counts by itself, so a forgotten entry costs a needless re-parse, never a stale row.
NOT_PARSING = ("fetch/", "publish/", "run/", "__main__.py")
PARSING_PACKAGES = ("trafilatura", "cnloc", "cn2an", "lxml", "lxml_html_clean", "charset-normalizer", "pypdf",
                    "openpyxl", "xlrd", "olefile", "rapidocr-onnxruntime", "pypinyin")
OUTPUT_PACKAGES = ("pandas", "pyarrow", "great-expectations")
OUTPUT_MODULES = ("run/build.py", "run/mirrors.py", "publish/", "__init__.py")  # what turns parsed rows into files
IGNORED_CAPTURE_FIELDS = {"fetched_at"}  # a re-fetch of identical bytes must not re-parse the page
MAGIC = b"FZRC1\n"


def _code_digest(path: Path) -> str:
    """Hash of a Python file's syntax tree (comments and layout do not count); of the raw bytes when the
    file does not parse."""
    source = path.read_bytes()
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return hashlib.sha256(source).hexdigest()
    return hashlib.sha256(ast.dump(tree).encode()).hexdigest()


def _package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def _digest(parts: list[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@cache
def parser_version() -> str:
    """A hash of everything that decides how a capture parses: the parsing modules (rows.py and all it
    calls), schemas/indicators.toml, the libraries they read pages with, and Python's version."""
    parts = [f"python {sys.version_info[0]}.{sys.version_info[1]}"]
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        rel = path.relative_to(PACKAGE_DIR).as_posix()
        if rel.startswith(NOT_PARSING):
            continue
        parts.append(f"{rel} {_code_digest(path)}")
    taxonomy = SCHEMA_DIR / "indicators.toml"
    parts.append(f"indicators.toml {hashlib.sha256(taxonomy.read_bytes()).hexdigest() if taxonomy.exists() else ''}")
    parts += [f"{name} {_package_version(name)}" for name in PARSING_PACKAGES]
    return _digest(parts)


@cache
def outputs_version() -> str:
    """A hash of what turns parsed rows into files: table assembly, validation, export, schemas, codebook."""
    parts = [parser_version()]
    parts += [f"{path.relative_to(PACKAGE_DIR).as_posix()} {_code_digest(path)}"
              for path in sorted(PACKAGE_DIR.rglob("*.py"))
              if path.relative_to(PACKAGE_DIR).as_posix().startswith(OUTPUT_MODULES)]
    parts += [f"{p.relative_to(SCHEMA_DIR).as_posix()} {hashlib.sha256(p.read_bytes()).hexdigest()}"
              for p in sorted(SCHEMA_DIR.rglob("*.json"))]
    parts += [f"{name} {_package_version(name)}" for name in OUTPUT_PACKAGES]
    return _digest(parts)


def _capture_fields(capture: Capture) -> dict[str, str]:
    return {k: v for k, v in asdict(capture).items() if k not in IGNORED_CAPTURE_FIELDS}


def capture_key(capture: Capture, entry: dict[str, str], attachments: list[Capture], version: str) -> str:
    """The cache key of one capture's rows: its bytes (by sha256) and provenance, its catalogue entry, its
    attachments and the parser version."""
    spec = {"capture": _capture_fields(capture), "entry": entry, "version": version,
            "attachments": [_capture_fields(a) for a in attachments]}
    return hashlib.sha256(json.dumps(spec, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def inputs_digest(keys: list[str]) -> str:
    """One hash of every capture's key and the output code: equal digests mean identical output files."""
    return _digest([outputs_version(), *sorted(keys)])


def default_cache_dir(raw_dir: Path) -> Path:
    """`.cache/build` in the folder that holds the raw dir (the repository root for `raw/`)."""
    return Path(raw_dir).resolve().parent / ".cache" / "build"


def encode_rows(rows: dict[str, list[dict]]) -> bytes:
    """A cache entry: magic line, then the rows pickled and compressed."""
    return MAGIC + zlib.compress(pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL), 1)


def decode_rows(blob: bytes, tables: tuple[str, ...]) -> dict[str, list[dict]] | None:
    """The rows of a cache entry; None when it is corrupt or not of this format."""
    if not blob.startswith(MAGIC):
        return None
    try:
        rows = pickle.loads(zlib.decompress(blob[len(MAGIC):]))
    except Exception:  # noqa: BLE001 - truncated or foreign bytes of any kind: a miss, never a crash
        return None
    if not isinstance(rows, dict) or set(rows) != set(tables) or not all(isinstance(v, list) for v in rows.values()):
        return None
    return rows


class RowCache:
    """Parsed rows per capture key, for one parser version; safe for several processes to write at once."""

    def __init__(self, root: Path, version: str | None = None):
        self.root = Path(root)
        self.version = version or parser_version()
        self.dir = self.root / "rows" / self.version[:20]

    def path(self, key: str) -> Path:
        """Where the rows of `key` are stored."""
        return self.dir / key[:2] / f"{key}.rows"

    def load(self, key: str, tables: tuple[str, ...]) -> dict[str, list[dict]] | None:
        """The cached rows of `key`, or None (missing or corrupt; a corrupt entry is removed)."""
        path = self.path(key)
        try:
            blob = path.read_bytes()
        except OSError:
            return None
        rows = decode_rows(blob, tables)
        if rows is None:
            log.warning("ignoring a corrupt cache entry %s; the capture is parsed again", path)
            path.unlink(missing_ok=True)
        return rows

    def store(self, key: str, blob: bytes) -> None:
        """Save an encoded entry; a cache that cannot be written only costs speed, so errors are logged."""
        try:
            write_atomically(self.path(key), blob)
        except OSError as err:
            log.debug("cannot write cache entry %s: %s", key, err)

    def drop_other_versions(self) -> None:
        """Remove the rows of other parser versions: they can never be hits again."""
        rows_dir = self.root / "rows"
        if not rows_dir.is_dir():
            return
        for old in rows_dir.iterdir():
            if old.is_dir() and old.name != self.dir.name:
                log.info("code changed since the cache %s was written: removing it", old.name)
                shutil.rmtree(old, ignore_errors=True)


def _stamp_path(cache_root: Path, out_dir: Path) -> Path:
    out_id = hashlib.sha256(str(Path(out_dir).resolve()).encode()).hexdigest()[:16]
    return Path(cache_root) / "outputs" / f"{out_id}.json"


def write_stamp(cache_root: Path, out_dir: Path, digest: str, written: list[Path], extra: dict) -> None:
    """Record that `out_dir` holds the outputs of inputs `digest`: each file's sha256 (by its path inside
    `out_dir`), and `extra` facts."""
    root = Path(out_dir).resolve()
    files = {Path(p).resolve().relative_to(root).as_posix(): file_sha256(p) for p in written}
    stamp = {"out_dir": str(root), "inputs": digest, "files": files, **extra}
    try:
        write_atomically(_stamp_path(cache_root, out_dir), json.dumps(stamp, indent=1).encode())
    except OSError as err:
        log.debug("cannot write the outputs stamp: %s", err)


def matching_stamp(cache_root: Path, out_dir: Path, digest: str) -> dict | None:
    """The stamp of `out_dir` if it was built from inputs `digest` and every file it lists is still there,
    byte for byte; else None."""
    try:
        stamp = json.loads(_stamp_path(cache_root, out_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("inputs") != digest or not stamp.get("files"):
        return None
    for name, sha in stamp["files"].items():
        path = Path(out_dir) / name
        if not path.is_file() or file_sha256(path) != sha:
            log.info("%s changed since the last build: writing the outputs again", path)
            return None
    return stamp
