"""The committed archive in raw/ built once per test session, for the tests that need real built files."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_built: dict[str, Path] = {}


def build_committed_archive(tmp_path_factory) -> Path:
    """processed/ of the committed raw/ archive, built on first use and shared by every test module."""
    if "processed" not in _built:
        from pipeline.run.build import build

        out = tmp_path_factory.mktemp("built") / "processed"
        build(ROOT / "raw", out)
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
