"""Incremental builds: parsed rows cached per capture and parser version, a pool that changes nothing, and a
rebuild with nothing new that skips validation and export."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import pipeline.rows as parse_module
import pipeline.run.build as build_module
import pipeline.run.cache as cache_module
from pipeline.extract.indicators import load_taxonomy
from pipeline.fetch.archive import Archive
from pipeline.fetch.catalogue import write_catalogue
from pipeline.publish.schemas import TABLES
from pipeline.rows import ReportRows
from pipeline.run.build import batch_frames, build, collect_rows, frames_from_rows, parse_plan
from pipeline.run.cache import RowCache, parser_version

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
PAGES = Path(__file__).parent / "fixtures" / "pages"
SITE = "http://www.example.gov.cn/fzzf"


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


def store_text(raw: Path, name: str, url: str) -> None:
    Archive(raw).store((CORPUS / name).read_bytes(), url=url, content_type="text/plain; charset=utf-8",
                       kind="report")


@pytest.fixture
def raw(tmp_path) -> Path:
    """An archive of the three real report texts."""
    raw = tmp_path / "raw"
    for n, name in enumerate(("futian-2024.txt", "guangming-2021.txt", "longhua-2019.txt")):
        store_text(raw, name, f"{SITE}/{n}.html")
    return raw


@pytest.fixture
def parse_calls(monkeypatch) -> list[str]:
    """URLs passed to read_report, in this process."""
    calls: list[str] = []
    real = parse_module.read_report

    def counting(capture, *args, **kwargs):
        calls.append(capture.url)
        return real(capture, *args, **kwargs)

    monkeypatch.setattr(parse_module, "read_report", counting)
    return calls


def as_frames(rows: ReportRows) -> dict[str, pd.DataFrame]:
    return frames_from_rows(rows)


def assert_same_frames(left: dict[str, pd.DataFrame], right: dict[str, pd.DataFrame], dtypes: bool = True) -> None:
    for table in TABLES:
        pd.testing.assert_frame_equal(left[table], right[table], check_exact=True, check_dtype=dtypes, obj=table)


def test_second_build_parses_nothing_and_gives_the_same_rows(raw, tmp_path, taxonomy, parse_calls):
    cache = RowCache(tmp_path / "cache")
    first = collect_rows(raw, taxonomy, cache=cache)
    assert len(parse_calls) == 3
    stats = build_module.BuildStats()
    second = collect_rows(raw, taxonomy, cache=cache, stats=stats)
    assert len(parse_calls) == 3 and (stats.cache_hits, stats.cache_misses) == (3, 0)
    assert_same_frames(as_frames(first), as_frames(second))


def test_one_new_page_parses_one_page(raw, tmp_path, taxonomy, parse_calls):
    cache = RowCache(tmp_path / "cache")
    collect_rows(raw, taxonomy, cache=cache)
    Archive(raw).store((PAGES / "nfcms-sz-gov-cn-post-12212437.html").read_bytes(), url=f"{SITE}/new.html",
                       content_type="text/html", kind="report")
    parse_calls.clear()
    stats = build_module.BuildStats()
    rows = collect_rows(raw, taxonomy, cache=cache, stats=stats)
    assert parse_calls == [f"{SITE}/new.html"]
    assert (stats.cache_hits, stats.cache_misses) == (3, 1) and len(rows.reports) == 4


def test_a_new_capture_of_a_page_and_a_catalogue_change_reparse_that_page_only(raw, tmp_path, taxonomy, parse_calls):
    cache = RowCache(tmp_path / "cache")
    collect_rows(raw, taxonomy, cache=cache)
    parse_calls.clear()
    text = (CORPUS / "longhua-2019.txt").read_bytes() + "\n（本报告更正版）".encode()
    Archive(raw).store(text, url=f"{SITE}/2.html", content_type="text/plain; charset=utf-8", kind="report")
    write_catalogue(raw / "sources.csv", [{"kind": "report", "url": f"{SITE}/1.html", "jurisdiction": "光明区",
                                           "parent": "深圳市", "year": "2021"}])
    collect_rows(raw, taxonomy, cache=cache)
    assert sorted(parse_calls) == [f"{SITE}/1.html", f"{SITE}/2.html"]


def test_another_parser_version_parses_everything_again_and_drops_the_old_entries(raw, tmp_path, taxonomy,
                                                                                 parse_calls):
    collect_rows(raw, taxonomy, cache=RowCache(tmp_path / "cache", version="a" * 64))
    newer = RowCache(tmp_path / "cache", version="b" * 64)
    newer.drop_other_versions()
    collect_rows(raw, taxonomy, cache=newer)
    assert len(parse_calls) == 6
    assert [p.name for p in (tmp_path / "cache" / "rows").iterdir()] == [newer.dir.name]


def test_a_corrupt_entry_is_ignored_and_rewritten(raw, tmp_path, taxonomy, parse_calls):
    cache = RowCache(tmp_path / "cache")
    first = collect_rows(raw, taxonomy, cache=cache)
    job = parse_plan(raw, cache.version)[1]
    cache.path(job.key).write_bytes(b"\x00garbage")
    parse_calls.clear()
    again = collect_rows(raw, taxonomy, cache=cache)
    assert parse_calls == [job.capture.url]
    assert cache.load(job.key, TABLES) is not None
    assert_same_frames(as_frames(first), as_frames(again))


def copy_package(tmp_path: Path, monkeypatch) -> Path:
    """A copy of pipeline/ that parser_version reads instead of the real one."""
    copy = tmp_path / "pkg"
    shutil.copytree(cache_module.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache_module, "PACKAGE_DIR", copy)
    return copy


def version_after(path: Path, old: str, new: str) -> str:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    parser_version.cache_clear()
    return parser_version()


def test_parser_version_follows_the_parsing_code_only(tmp_path, monkeypatch):
    parser_version.cache_clear()
    pkg = copy_package(tmp_path, monkeypatch)
    base = parser_version()
    try:
        assert version_after(pkg / "extract" / "facts.py", "from __future__ import annotations\n",
                             "from __future__ import annotations  # layout and comments\n\n") == base
        assert version_after(pkg / "fetch" / "crawl.py", "def ",
                             "def _unused_helper():\n    return 1\n\n\ndef ") == base
        assert version_after(pkg / "run" / "build.py", "Rows of every report capture",
                             "All rows of each capture") == base
        changed = version_after(pkg / "rows.py", "def read_report(",
                                "def _new_helper():\n    return 2\n\n\ndef read_report(")
        assert changed != base
        assert version_after(pkg / "extract" / "facts.py", "def ",
                             "def _other():\n    return 3\n\n\ndef ") not in (base, changed)
        (pkg / "parse" / "adapters" / "newsite.py").write_text("X = 1\n", encoding="utf-8")
        parser_version.cache_clear()
        assert parser_version() not in (base, changed)
    finally:
        parser_version.cache_clear()


def joined_batches(batches) -> dict[str, pd.DataFrame]:
    """The batches of a streamed build joined per table, in the order they came."""
    batches = list(batches)
    return {t: pd.concat([b[t] for b in batches], ignore_index=True) for t in TABLES}


def built_files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in out.glob("*.*")}


def test_pool_and_batches_write_the_same_files_as_one_process(raw, tmp_path, monkeypatch):
    import pipeline.publish.export as export_module

    Archive(raw).store((PAGES / "nfcms-sz-gov-cn-post-12212437.html").read_bytes(), url=f"{SITE}/nfcms.html",
                       content_type="text/html", kind="report")
    monkeypatch.setattr(export_module, "ROW_GROUP_ROWS", 7)  # row groups that straddle batches
    single = build(raw, tmp_path / "single", use_cache=False, workers=1)
    monkeypatch.setattr(build_module, "POOL_MIN_JOBS", 1)
    monkeypatch.setattr(build_module, "BATCH_REPORTS", 1)
    pooled = build(raw, tmp_path / "pooled", use_cache=False, workers=2)
    assert (pooled.stats.workers, single.stats.workers) == (2, 1)
    assert pooled.rows == single.rows and pooled.rows["facts"] > 7
    assert len(built_files(tmp_path / "single")) >= 12
    assert built_files(tmp_path / "pooled") == built_files(tmp_path / "single")
    assert pq.ParquetFile(tmp_path / "pooled" / "facts.parquet").metadata.row_group(0).num_rows == 7


def test_pool_workers_fill_the_cache(raw, tmp_path, taxonomy, monkeypatch, parse_calls):
    monkeypatch.setattr(build_module, "POOL_MIN_JOBS", 1)
    cache = RowCache(tmp_path / "cache")
    list(batch_frames(parse_plan(raw, cache.version), taxonomy, cache, workers=2))
    stats = build_module.BuildStats()
    list(batch_frames(parse_plan(raw, cache.version), taxonomy, cache, workers=2, stats=stats))
    assert (stats.cache_hits, stats.cache_misses) == (3, 0) and parse_calls == []


def test_batches_in_plan_order_are_the_tables_in_their_final_order(raw, taxonomy, monkeypatch):
    monkeypatch.setattr(build_module, "BATCH_REPORTS", 1)
    batched = joined_batches(batch_frames(parse_plan(raw), taxonomy))
    assert batched["facts"]["quote"].dtype.storage == "pyarrow"
    assert_same_frames(batched, frames_from_rows(collect_rows(raw, taxonomy)), dtypes=False)


def test_arrow_strings_write_the_same_files_as_python_strings(raw, tmp_path, monkeypatch):
    build(raw, tmp_path / "arrow", use_cache=False, workers=1)
    monkeypatch.setattr(build_module, "STRING_STORAGE", "python")
    build(raw, tmp_path / "python", use_cache=False, workers=1)
    arrow = {p.name: p.read_bytes() for p in (tmp_path / "arrow").glob("*.*")}
    assert len(arrow) >= 12 and arrow == {p.name: p.read_bytes() for p in (tmp_path / "python").glob("*.*")}


def test_rebuild_with_nothing_new_keeps_the_outputs_and_notices_damage(raw, tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    first = build(raw, out, cache_dir=cache, workers=1)
    assert not first.stats.outputs_reused and first.stats.cache_misses == 3
    files = {p.name: p.read_bytes() for p in out.glob("*.*")}
    second = build(raw, out, cache_dir=cache, workers=1)
    assert second.stats.outputs_reused and second.stats.cache_misses == 0
    assert second.rows == first.rows and second.severities == first.severities
    assert second.validation.success and sum(second.validation.evaluated.values()) > 0
    (out / "facts.csv").write_bytes(b"damaged")
    third = build(raw, out, cache_dir=cache, workers=1)
    assert not third.stats.outputs_reused and third.stats.cache_hits == 3
    assert {p.name: p.read_bytes() for p in out.glob("*.*")} == files
