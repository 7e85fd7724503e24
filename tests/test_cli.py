"""The command-line contract, end to end on a real report archived in a temporary folder."""

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from pipeline.fetch.archive import Archive
from pipeline.run.cli import main

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
FUTIAN_URL = "https://www.szft.gov.cn/xxgk/zwgk/fzzfjsndbg/content/post_11998829.html"


def csv_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def add_futian(raw: Path) -> int:
    return main(["add", str(CORPUS / "futian-2024.txt"), "--url", FUTIAN_URL, "--published", "2025-02-12",
                 "--raw-dir", str(raw)])


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """Futian 2024 archived with `add` and built once for the module."""
    root = tmp_path_factory.mktemp("cli")
    raw, out = root / "raw", root / "processed"
    assert add_futian(raw) == 0
    assert main(["build", "--raw-dir", str(raw), "--out-dir", str(out)]) == 0
    return raw, out


def test_build_writes_every_table_and_the_package(built):
    _, out = built
    tables = ("reports", "sections", "facts", "indicators", "checks", "mirrors", "captures", "coverage", "panel")
    for table in tables:
        assert (out / f"{table}.parquet").exists() and (out / f"{table}.csv").exists()
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert len(package["resources"]) == 2 * len(tables)
    assert "admin_reconsideration_received" in (out / "CODEBOOK.md").read_text(encoding="utf-8")


def test_futian_report_record(built):
    _, out = built
    report = pd.read_parquet(out / "reports.parquet").iloc[0]
    assert report["title"] == "福田区人民政府2024年法治政府建设年度报告"
    assert (report["division_code"], report["level"], report["year"]) == ("440304", "district", 2024)
    assert str(report["published_date"]) == "2025-02-12"
    assert report["n_facts"] == len(pd.read_parquet(out / "facts.parquet"))


def test_rebuild_is_byte_identical(built, tmp_path):
    raw, out = built
    assert main(["build", "--raw-dir", str(raw), "--out-dir", str(tmp_path)]) == 0
    for path in out.glob("*.*"):
        if path.name != "RUN.json":  # the run's record: its times differ
            assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_add_records_provenance_and_catalogue_row(tmp_path):
    raw = tmp_path / "raw"
    assert main(["add", str(CORPUS / "guangming-2021.txt"), "--title", "某区关于2021年度法治政府建设情况的报告",
                 "--source", "saved by hand", "--jurisdiction", "光明区", "--parent", "深圳市",
                 "--raw-dir", str(raw)]) == 0
    manifest = csv_rows(raw / "manifest.csv")
    assert manifest[0]["source"] == "saved by hand" and manifest[0]["url"] == ""
    catalogue = csv_rows(raw / "sources.csv")
    assert catalogue[0]["sha256"] == manifest[0]["sha256"] and catalogue[0]["jurisdiction"] == "光明区"


def test_broken_pages_become_checks_and_the_rest_builds(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    add_futian(raw)
    archive = Archive(raw)  # fetched as they are (`add` would refuse them)
    archive.store(b"", url="http://a.gov.cn/empty.html", content_type="text/html", kind="report")
    archive.store(bytes(range(256)) * 64, url="http://a.gov.cn/junk", content_type="text/plain", kind="report")
    assert main(["build", "--raw-dir", str(raw), "--out-dir", str(out)]) == 0
    assert len(pd.read_parquet(out / "reports.parquet")) == 1
    checks = pd.read_parquet(out / "checks.parquet")
    errors = checks[checks["severity"] == "error"]
    assert errors["message"].str.contains("a.gov.cn/empty.html").any()
    assert errors["message"].str.contains("a.gov.cn/junk").any()


def test_validation_failure_blocks_the_release(tmp_path, monkeypatch, capsys):
    import pipeline.rows

    raw, out = tmp_path / "raw", tmp_path / "out"
    add_futian(raw)
    real = pipeline.rows.extract_facts

    def broken_extract(text):
        facts = real(text)
        facts[0].kind = "percentage"
        return facts

    monkeypatch.setattr(pipeline.rows, "extract_facts", broken_extract)
    assert main(["build", "--raw-dir", str(raw), "--out-dir", str(out)]) == 1
    assert "facts.kind" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["RUN.json"]  # nothing published; the run is recorded
    assert json.loads((out / "RUN.json").read_text(encoding="utf-8"))["status"] == "blocked"


def test_inspect_prints_report_sections_and_facts(capsys):
    assert main(["inspect", str(CORPUS / "futian-2024.txt"), "--url", FUTIAN_URL]) == 0
    parsed = json.loads(capsys.readouterr().out)
    assert parsed["report"]["jurisdiction"] == "福田区"
    assert {"section_id", "heading"} <= set(parsed["sections"][0])
    assert {"value", "unit", "quote", "char_start"} <= set(parsed["facts"][0])


def test_all_offline_builds_from_the_archive(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    add_futian(raw)
    assert main(["all", "--offline", "--raw-dir", str(raw), "--out-dir", str(out)]) == 0
    assert (out / "facts.parquet").exists()


@pytest.mark.parametrize("argv", [
    ["frobnicate"],
    ["add", "no/such/file.html"],
    ["add", str(CORPUS / "futian-2024.txt"), "--published", "12/02/2025"],
    ["build", "--raw-dir", "no/such/raw", "--out-dir", "x", "--bogus"],
])
def test_usage_errors_exit_2(argv, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as raised:
        raise SystemExit(main(argv))
    assert raised.value.code == 2
    assert capsys.readouterr().err
