"""Unattended runs (`all --cron`): one run at a time, exit status, processed/RUN.json, the log file."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

import pipeline.run.build as build_module
from pipeline.fetch.archive import Archive
from pipeline.fetch.catalogue import write_catalogue
from pipeline.publish.validate import Failure, ValidationResult
from pipeline.run.cli import main
from pipeline.run.runlog import EXIT_LOCKED, EXIT_PAGES_FAILED, LOCK_NAME, AlreadyRunning, run_lock

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
URL = "http://www.example.gov.cn/fzzf/1.html"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


@pytest.fixture(autouse=True)
def restore_logging():
    """cron_logging adds handlers to the root logger; take them off after each test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


@pytest.fixture
def dirs(tmp_path) -> tuple[Path, Path, Path]:
    """raw/ holding one real report, and where processed/ and logs/ go."""
    raw = tmp_path / "raw"
    Archive(raw).store((CORPUS / "futian-2024.txt").read_bytes(), url=URL, content_type="text/plain; charset=utf-8",
                       kind="report")
    return raw, tmp_path / "processed", tmp_path / "logs"


def cron(raw: Path, out: Path, logs: Path, *extra: str) -> int:
    return main(["all", "--cron", "--raw-dir", str(raw), "--out-dir", str(out), "--log-dir", str(logs), *extra])


def run_json(out: Path) -> dict:
    return json.loads((out / "RUN.json").read_text(encoding="utf-8"))


def test_a_cron_run_builds_releases_and_summarises_itself(dirs, capsys):
    raw, out, logs = dirs
    assert cron(raw, out, logs, "--offline") == 0
    run = run_json(out)
    assert (run["status"], run["exit_status"], run["command"]) == ("ok", 0, "all --cron")
    assert run["started"] <= run["finished"] and run["finished"].endswith("Z")
    assert run["reports"] == 1 and run["facts"] > 50 and run["sections"] > 20
    assert set(run["checks"]) == {"error", "warning", "info"}
    assert run["pages"]["fetched"] == 0 and run["pages"]["failed"] == 0 and run["pages"]["notes"]
    assert run["release"]["written"] and Path(run["release"]["path"]).is_dir()
    assert run["build"]["cache_misses"] == 1 and not run["validation"]["blocked"]
    log_text = (logs / "pipeline.log").read_text(encoding="utf-8")
    assert "RUN.json" in log_text and "INFO" in log_text
    assert "INFO" not in capsys.readouterr().err  # cron mails only warnings and errors


def test_second_cron_run_with_nothing_new_reuses_everything_and_releases_nothing(dirs):
    raw, out, logs = dirs
    assert cron(raw, out, logs, "--offline") == 0
    assert cron(raw, out, logs, "--offline") == 0
    run = run_json(out)
    assert run["build"]["outputs_reused"] and run["reports"] == 1
    assert run["release"]["written"] is False and run["release"]["ok"]


def test_a_second_run_exits_at_once_while_the_first_holds_the_lock(dirs, capsys):
    raw, out, logs = dirs
    with run_lock(raw / LOCK_NAME):
        assert cron(raw, out, logs, "--offline") == EXIT_LOCKED
        assert main(["build", "--raw-dir", str(raw), "--out-dir", str(out)]) == EXIT_LOCKED
    assert "another run is in progress" in capsys.readouterr().err
    assert not out.exists()  # nothing built, no RUN.json overwritten
    assert "another run is in progress" in (logs / "pipeline.log").read_text(encoding="utf-8")


def test_the_lock_is_released_when_its_holder_dies(tmp_path):
    lock = tmp_path / LOCK_NAME
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from pipeline.run.runlog import run_lock\n"
        "with run_lock(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(60)"), str(lock)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(AlreadyRunning, match=f"pid {holder.pid}"), run_lock(lock):
            pass
    finally:
        holder.kill()
        holder.wait()
    with run_lock(lock):  # a killed holder leaves the file, not the lock
        pass


def test_a_new_unreadable_page_exits_3_once(dirs):
    raw, out, logs = dirs
    Archive(raw).store(PNG, url="http://www.example.gov.cn/fzzf/2.html", content_type="text/html", kind="report")
    assert cron(raw, out, logs, "--offline") == EXIT_PAGES_FAILED
    run = run_json(out)
    assert (run["status"], run["pages_unreadable"], run["pages_unreadable_new"]) == ("pages_failed", 1, 1)
    assert run["reports"] == 1 and run["release"]["written"]  # the data was still built and released
    assert cron(raw, out, logs, "--offline") == 0  # already known: reported in RUN.json, not alarmed again
    assert (run_json(out)["pages_unreadable"], run_json(out)["pages_unreadable_new"]) == (1, 0)


def test_a_failed_fetch_exits_3_and_the_archive_still_builds(dirs, httpserver):
    raw, out, logs = dirs
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/gone.html").respond_with_data("not here", status=404)
    write_catalogue(raw / "sources.csv", [{"kind": "report", "url": httpserver.url_for("/gone.html")}])
    assert cron(raw, out, logs, "--allow-private") == EXIT_PAGES_FAILED
    run = run_json(out)
    assert run["pages"]["failed"] == 1 and run["status"] == "pages_failed" and run["reports"] == 1


def test_without_cron_failed_pages_do_not_change_the_exit_status(dirs):
    raw, out, _ = dirs
    Archive(raw).store(PNG, url="http://www.example.gov.cn/fzzf/2.html", content_type="text/html", kind="report")
    assert main(["all", "--offline", "--raw-dir", str(raw), "--out-dir", str(out)]) == 0
    assert run_json(out)["status"] == "pages_failed" and not run_json(out)["release"]


def test_a_blocked_build_exits_1_releases_nothing_and_still_writes_run_json(dirs, monkeypatch):
    raw, out, logs = dirs
    failure = Failure("facts", "value", "expect_column_values_to_not_be_null", (3,), ("None",))
    monkeypatch.setattr(build_module.TableValidator, "finish",
                        lambda self, sources: ValidationResult(evaluated={"facts": 1}, failures=[failure]))
    assert cron(raw, out, logs, "--offline") == 1
    run = run_json(out)
    assert run["status"] == "blocked" and run["validation"]["blocked"]
    assert "facts.value" in run["validation"]["failures"][0] and run["reports"] == 1
    assert run["release"] == {} and not (out / "facts.parquet").exists()


def test_a_crash_is_recorded_before_it_propagates(dirs, monkeypatch):
    raw, out, logs = dirs

    def explode(*_args, **_kwargs):
        raise MemoryError("out of memory")

    monkeypatch.setattr(build_module, "batch_frames", explode)
    with pytest.raises(MemoryError):
        cron(raw, out, logs, "--offline")
    run = run_json(out)
    assert run["status"] == "crashed" and "out of memory" in run["error"] and run["exit_status"] is None
