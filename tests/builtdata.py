"""The fixed fixture archive (tests/fixtures/archive/ with the corpus texts as its captures) laid out and built
once per test session, for the tests that need real built files. It never reads the live raw/ or processed/,
so tests pass however the working copy's archive has grown."""

from __future__ import annotations

import csv
import hashlib
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARCHIVE, CORPUS = FIXTURES / "archive", FIXTURES / "corpus"
_built: dict[str, Path] = {}


def lay_out_fixture_archive(raw: Path) -> Path:
    """A raw dir at `raw`: the fixture catalogue and manifest, each capture's bytes from the corpus by sha256."""
    raw.mkdir(parents=True, exist_ok=True)
    for name in ("sources.csv", "manifest.csv"):
        shutil.copyfile(ARCHIVE / name, raw / name)
    by_sha = {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in CORPUS.glob("*.txt")}
    with open(raw / "manifest.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["sha256"]:
                (raw / row["path"]).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(by_sha[row["sha256"]], raw / row["path"])
    return raw


def build_committed_archive(tmp_path_factory) -> Path:
    """processed/ of the committed fixture archive, built on first use and shared by every test module."""
    if "processed" not in _built:
        from pipeline.run.build import build

        root = tmp_path_factory.mktemp("built")
        out = root / "processed"
        build(lay_out_fixture_archive(root / "raw"), out)
        _built["processed"] = out
    return _built["processed"]


def copy_of_build(tmp_path_factory, dest: Path) -> Path:
    """A private copy of the session's build (tables, datapackage, codebook) for a test that changes it."""
    source = build_committed_archive(tmp_path_factory)
    dest.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        if path.is_file():
            shutil.copyfile(path, dest / path.name)
    return dest


def write_suites_from_fixture_archive() -> int:
    """`make suites`: rewrite the committed suites, the row counts from a build of the fixture archive (what
    the tests check them against), whatever the working copy's raw/ holds."""
    from pipeline.run.build import build
    from pipeline.run.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "processed"
        build(lay_out_fixture_archive(Path(tmp) / "raw"), out)
        return main(["suites", "--out-dir", str(out)])


if __name__ == "__main__":
    sys.exit(write_suites_from_fixture_archive())
