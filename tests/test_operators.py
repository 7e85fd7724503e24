"""Operator commands: `add` checks before it archives and says what it read, `withdraw` takes a capture out of
builds and back, build and release record themselves in RUN.json, and outputs are readable under the umask."""

import csv
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from pipeline.fetch.archive import Archive, current_umask, withdrawn_captures
from pipeline.run.cli import main
from pipeline.run.runlog import LOCK_NAME, run_lock

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
FUTIAN_URL = "https://www.szft.gov.cn/xxgk/zwgk/fzzfjsndbg/content/post_11998829.html"
LONGHUA = CORPUS / "longhua-2019.txt"


def add(raw: Path, path: Path, *options: str) -> int:
    return main(["add", str(path), "--raw-dir", str(raw), *options])


def build(raw: Path, out: Path) -> int:
    return main(["build", "--raw-dir", str(raw), "--out-dir", str(out)])


def manifest(raw: Path) -> list[dict]:
    with open(raw / "manifest.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize(("options", "message"), [
    (["--level", "township"], "--level 'township' must be one of province, city, district, county, street"),
    (["--year", "1850"], "--year '1850' must be between 2000 and 2100"),
    (["--year", "二〇二四"], "--year '二〇二四' must be a whole number"),
    (["--published", "2025-02-30"], "--published '2025-02-30' must be a date"),
    (["--url", "www.szft.gov.cn/a.html"], "must start with http:// or https://"),
])
def test_add_refuses_options_the_schema_refuses(tmp_path, capsys, options, message):
    raw = tmp_path / "raw"
    assert add(raw, LONGHUA, *options) == 2
    assert message in capsys.readouterr().err
    assert not (raw / "manifest.csv").exists() and not (raw / "sources.csv").exists()


@pytest.mark.parametrize(("name", "data", "message"), [
    ("empty.txt", b"", "is empty"),
    ("blank.html", b" \n\t\n", "is empty"),
    ("image.html", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is binary"),
    ("sheet.txt", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "is binary"),
])
def test_add_refuses_empty_and_binary_files(tmp_path, capsys, name, data, message):
    raw, path = tmp_path / "raw", tmp_path / name
    path.write_bytes(data)
    assert add(raw, path, "--url", "http://a.gov.cn/x.html") == 2
    err = capsys.readouterr().err
    assert message in err and "nothing archived" in err
    assert not (raw / "manifest.csv").exists() and not (raw / "captures").exists()


def test_add_accepts_what_the_schema_allows_and_says_what_it_read(tmp_path, capsys):
    raw = tmp_path / "raw"
    assert add(raw, LONGHUA, "--jurisdiction", "龙华区", "--parent", "深圳市", "--level", "district",
               "--year", "2019", "--published", "2019-12-18") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"archived {LONGHUA} as captures/")
    assert out[1].startswith("read: ") and "龙华区 (district, 440309), year 2019" in out[1]
    facts = int(out[1].split(" facts")[0].rsplit(" ", 1)[1])
    assert facts > 10


def test_add_archives_nothing_while_another_run_holds_the_lock(tmp_path, capsys):
    raw = tmp_path / "raw"
    with run_lock(raw / LOCK_NAME):
        assert add(raw, LONGHUA) == 75
    assert "another run is in progress" in capsys.readouterr().err
    assert not (raw / "manifest.csv").exists()


@pytest.fixture
def two_reports(tmp_path) -> tuple[Path, Path, str]:
    """Futian and Longhua archived with `add`; the Longhua capture's sha256."""
    raw, out = tmp_path / "raw", tmp_path / "processed"
    assert add(raw, CORPUS / "futian-2024.txt", "--url", FUTIAN_URL) == 0
    assert add(raw, LONGHUA, "--jurisdiction", "龙华区", "--parent", "深圳市", "--level", "district",
               "--source", "a public repository of report texts") == 0
    sha = next(r["sha256"] for r in manifest(raw) if not r["url"])
    return raw, out, sha


def jurisdictions(out: Path) -> list[str]:
    return sorted(pd.read_parquet(out / "reports.parquet")["jurisdiction"].astype(str))


def test_withdraw_takes_a_capture_out_of_builds_keeps_its_bytes_and_undo_puts_it_back(two_reports, capsys):
    raw, out, sha = two_reports
    assert build(raw, out) == 0 and jurisdictions(out) == ["福田区", "龙华区"]
    capture = raw / next(r["path"] for r in manifest(raw) if r["sha256"] == sha)

    assert main(["withdraw", sha[:10], "--note", "not a report of this government", "--raw-dir", str(raw)]) == 0
    assert "withdrew " + sha in capsys.readouterr().out
    assert withdrawn_captures(raw) == {sha} and capture.exists()
    row = manifest(raw)[-1]
    assert (row["status"], row["sha256"], row["source"]) == ("withdrawn", sha, "not a report of this government")
    assert build(raw, out) == 0 and jurisdictions(out) == ["福田区"]
    assert sha not in {c.sha256 for c in Archive(raw).latest_captures(skip=withdrawn_captures(raw))}

    assert main(["withdraw", sha, "--raw-dir", str(raw)]) == 0  # twice: nothing more recorded
    assert "already withdrawn" in capsys.readouterr().err and len(manifest(raw)) == 3
    assert main(["withdraw", sha, "--undo", "--raw-dir", str(raw)]) == 0
    assert manifest(raw)[-1]["status"] == "restored" and withdrawn_captures(raw) == set()
    assert build(raw, out) == 0 and jurisdictions(out) == ["福田区", "龙华区"]


@pytest.mark.parametrize(("key", "message"), [("zz", "is not a sha256"), ("00000000", "no capture with sha256")])
def test_withdraw_names_what_it_cannot_find(two_reports, capsys, key, message):
    raw, _, _ = two_reports
    assert main(["withdraw", key, "--raw-dir", str(raw)]) == 2
    assert message in capsys.readouterr().err


def run_json(out: Path) -> dict:
    return json.loads((out / "RUN.json").read_text(encoding="utf-8"))


def test_build_and_release_record_themselves_in_run_json(two_reports):
    raw, out, _ = two_reports
    assert build(raw, out) == 0
    run = run_json(out)
    assert (run["command"], run["status"], run["exit_status"], run["reports"]) == ("build", "ok", 0, 2)
    assert run["facts"] == len(pd.read_parquet(out / "facts.parquet")) and run["finished"] >= run["started"]
    assert main(["release", "--out-dir", str(out)]) == 0
    run = run_json(out)
    assert (run["command"], run["status"], run["reports"]) == ("release", "ok", 2)  # the build it released
    assert run["release"]["ok"] and run["release"]["written"] and Path(run["release"]["path"]).is_dir()


@pytest.mark.parametrize(("umask", "file_mode", "dir_mode"), [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700)])
def test_outputs_get_the_mode_the_umask_gives(two_reports, umask, file_mode, dir_mode):
    raw, out, _ = two_reports
    old = os.umask(umask)
    try:
        assert current_umask() == umask
        assert build(raw, out) == 0
    finally:
        os.umask(old)
    paths = [p for p in out.rglob("*") if not p.is_symlink()]
    assert {oct(p.stat().st_mode & 0o777) for p in paths if p.is_file()} == {oct(file_mode)}
    assert {oct(p.stat().st_mode & 0o777) for p in paths if p.is_dir()} == {oct(dir_mode)}
    assert (out / "validation").is_dir() and len(paths) > 10
