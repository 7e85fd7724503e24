"""Expectations kept as committed suites catch structural problems, name where they are, and are reported."""

import json
import logging
import subprocess
import sys

import pytest
from builtdata import ROOT, build_committed_archive
from tablerows import valid_table_rows

from pipeline.extract.indicators import load_taxonomy
from pipeline.publish.schemas import TABLES, typed_frame
from pipeline.publish.validate import (
    EXPECTATIONS_DIR,
    ROW_COUNTS_FILE,
    ValidationResult,
    expectation_specs,
    generated_suites,
    load_row_counts,
    load_suites,
    row_counts_of,
    summary_lines,
    validate_tables,
)


def frames_of(rows):
    return {table: typed_frame(table, rows[table]) for table in TABLES}


def validate(rows, **kwargs):
    kwargs.setdefault("row_counts", {})
    return validate_tables(frames_of(rows), **kwargs)


def test_expectations_follow_the_schema():
    specs = dict((name + str(kwargs.get("column", kwargs.get("column_list"))), kwargs)
                 for name, kwargs in expectation_specs("facts"))
    assert specs["ExpectColumnValuesToBeInSetkind"]["value_set"] == [
        "count", "rate", "amount", "change", "ratio", "duration"]
    assert "ExpectColumnValuesToBeUniquefact_id" in specs
    assert "ExpectColumnValuesToNotBeNullquote" in specs
    assert ("ExpectCompoundColumnsToBeUnique", {"column_list": ["report_id", "indicator_id"]}) in expectation_specs(
        "indicators")


def test_expectations_follow_the_taxonomy():
    taxonomy = load_taxonomy()
    ids = [i.id for i in taxonomy]
    facts = expectation_specs("facts", taxonomy)
    assert ("ExpectColumnValuesToBeInSet", {"column": "indicator_id", "value_set": ids}) in facts
    ranges = [kw for name, kw in expectation_specs("indicators", taxonomy)
              if name == "ExpectColumnValuesToBeBetween" and "row_condition" in kw]
    for indicator in taxonomy:  # each indicator's range is checked exactly once
        (spec,) = [kw for kw in ranges if indicator.id in kw["row_condition"]["parameter"]]
        assert (spec["min_value"], spec["max_value"]) == (indicator.min, indicator.max)
        assert spec["row_condition"]["operator"] == "IN" and spec["column"] == "value"


def test_committed_suites_are_what_the_generator_makes():
    for name, text in generated_suites().items():
        path = EXPECTATIONS_DIR / name
        assert path.exists() and path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(ROOT)} is out of date with schemas/: run `make suites` and commit the diff")


def test_committed_row_counts_are_those_of_the_fixture_archive(tmp_path_factory):
    built = row_counts_of(build_committed_archive(tmp_path_factory))
    assert load_row_counts() == built, (
        f"schemas/expectations/{ROW_COUNTS_FILE} says {load_row_counts()}, tests/fixtures/archive builds {built}: "
        "if the change in coverage is intended, run `make suites` on the committed raw/ and commit the diff")


@pytest.fixture(scope="module")
def valid_run(tmp_path_factory):
    """The valid tables validated twice into the same Data Docs folder, with the log and output captured."""
    import great_expectations  # noqa: F401  (slow to import: not inside the captured run)
    rows = valid_table_rows()
    docs = tmp_path_factory.mktemp("valid") / "processed" / "validation"
    handler = _Records()
    logging.getLogger().addHandler(handler)
    try:
        validate(rows, docs_dir=docs)
        result = validate(rows, docs_dir=docs)
    finally:
        logging.getLogger().removeHandler(handler)
    return result, docs, handler.records


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture(scope="module")
def broken_run(tmp_path_factory):
    """One run over tables with a defect of each kind, and a row count below the committed one."""
    rows = valid_table_rows()
    rows["facts"][1]["kind"] = "percentage"
    rows["facts"][1]["fact_id"] = rows["facts"][0]["fact_id"]
    rows["facts"][0]["indicator_id"] = "no_such_indicator"
    rows["reports"][0]["raw_sha256"] = ""
    rows["reports"][0]["year"] = 1850
    received = next(i for i in load_taxonomy() if i.id == "admin_reconsideration_received")
    rows["indicators"][0]["value"] = received.max + 1
    frames = frames_of(rows)
    out = tmp_path_factory.mktemp("broken") / "processed"
    return frames, validate_tables(frames, docs_dir=out / "validation", row_counts={"facts": 3, "reports": 1}), out


def test_valid_tables_pass(valid_run):
    result, _, _ = valid_run
    assert result.success, [f.describe() for f in result.failures]
    assert set(result.evaluated) == set(TABLES) and all(n > 0 for n in result.evaluated.values())
    assert result.passed == result.evaluated and not result.warnings


def test_data_docs_replace_the_previous_report(valid_run):
    result, docs, _ = valid_run
    assert result.docs == docs / "index.html" and "facts" in result.docs.read_text(encoding="utf-8")
    for table in TABLES:
        runs = list((docs / "validations" / table).rglob("*.html"))
        assert len(runs) == 1, runs  # the second run replaced the first, nothing of it left behind
    assert sorted(p.name for p in docs.parent.iterdir()) == ["validation"]


def test_great_expectations_is_quiet_but_its_warnings_reach_the_log(valid_run, caplog):
    _, _, records = valid_run
    assert [r.getMessage() for r in records
            if r.name.startswith("great_expectations") and r.levelno < logging.WARNING] == []
    logging.getLogger("great_expectations.core").warning("something odd")
    assert "something odd" in caplog.text


def test_no_progress_bars(table_rows, capfd):
    suites = {t: {"expectations": []} for t in TABLES}
    suites["facts"] = load_suites()["facts"]
    validate(table_rows, suites=suites)
    captured = capfd.readouterr()
    assert "Calculating Metrics" not in captured.err + captured.out


def test_the_committed_suites_are_the_ones_run(table_rows):
    suites = {t: {"expectations": []} for t in TABLES}
    suites["reports"] = {"expectations": [
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "level", "value_set": ["city"]}}]}
    result = validate(table_rows, suites=suites)
    assert result.evaluated == {"reports": 1, "sections": 0, "facts": 0, "indicators": 0, "checks": 0,
                                "mirrors": 0}
    assert [(f.table, f.column) for f in result.failures] == [("reports", "level")]


def test_bad_enum_and_duplicate_key_are_named(broken_run):
    _, result, _ = broken_run
    described = [f.describe() for f in result.failures]
    assert any(d.startswith("facts.kind: expect_column_values_to_be_in_set failed (rows 1;") for d in described)
    assert any(d.startswith("facts.fact_id: expect_column_values_to_be_unique") for d in described)


def test_missing_required_value_and_out_of_range_year(broken_run):
    _, result, _ = broken_run
    failures = {(f.table, f.column, f.expectation) for f in result.failures}
    assert ("reports", "raw_sha256", "expect_column_values_to_not_be_null") in failures
    assert ("reports", "year", "expect_column_values_to_be_between") in failures


def test_unknown_indicator_and_value_outside_its_range(broken_run):
    _, result, _ = broken_run
    failures = {(f.table, f.column, f.expectation, f.rows) for f in result.failures}
    assert ("facts", "indicator_id", "expect_column_values_to_be_in_set", (0,)) in failures
    assert ("indicators", "value", "expect_column_values_to_be_between", (0,)) in failures


def test_fewer_rows_than_committed_warns_without_blocking(broken_run):
    _, result, _ = broken_run
    assert [(w.table, w.expectation, w.severity) for w in result.warnings] == [
        ("facts", "expect_table_row_count_to_be_between", "warning")]
    assert all(f.severity == "critical" for f in result.failures)


def test_a_blocked_run_publishes_no_report(broken_run):
    _, result, out = broken_run
    assert not result.success and not out.exists()
    assert result.docs.exists() and "facts" in result.docs.read_text(encoding="utf-8")


def test_summary_fits_a_screen_and_counts_everything(broken_run):
    frames, result, _ = broken_run
    severities = frames["checks"]["severity"].value_counts().to_dict()
    lines = summary_lines({t: len(f) for t, f in frames.items()}, severities, result)
    assert len(lines) <= 24 and max(map(len, lines)) <= 120
    facts_line = next(line for line in lines if line.startswith("facts"))
    failed = result.failed("facts")
    assert failed == 4  # kind, fact_id, indicator_id, row count
    assert facts_line.split() == ["facts", "2", str(result.evaluated["facts"]),
                                  str(result.evaluated["facts"] - failed), str(failed)]
    assert lines[1 + len(TABLES)] == "checks by severity: error 0, warning 0, info 1"
    assert any(line.startswith("  critical: facts.kind") for line in lines)
    assert any(line.startswith("  warning: facts.*: expect_table_row_count") for line in lines)


def test_build_prints_the_summary(table_rows, monkeypatch, capsys, tmp_path):
    import pipeline.run.build
    from pipeline.run.cli import main

    rows = {t: len(table_rows[t]) for t in TABLES}
    result = ValidationResult(evaluated={t: 3 for t in TABLES}, passed={t: 3 for t in TABLES},
                              docs=tmp_path / "validation" / "index.html")
    monkeypatch.setattr(pipeline.run.build, "build",
                        lambda raw, out, **_: pipeline.run.build.BuildResult(rows, {"info": 1}, {}, result))
    assert main(["build", "--raw-dir", str(tmp_path), "--out-dir", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "table           rows  expectations  passed  failed" in err
    assert "indicators         1             3       3       0" in err
    assert f"validation report: {tmp_path / 'validation' / 'index.html'}" in err


def test_great_expectations_is_imported_only_to_validate():
    code = ("import sys, pipeline.run.cli, pipeline.run.build, pipeline.publish.validate, pipeline.publish.release; "
            "print('great_expectations' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


def test_suite_files_are_readable_great_expectations_json():
    for table in TABLES:
        suite = json.loads((EXPECTATIONS_DIR / f"{table}.json").read_text(encoding="utf-8"))
        assert suite["name"] == table
        assert all(set(e) == {"type", "kwargs", "meta", "severity"} for e in suite["expectations"])


def test_chunked_validation_finds_what_one_run_finds(broken_run, monkeypatch):
    import pipeline.publish.validate as validate_module

    frames, whole, _ = broken_run
    monkeypatch.setattr(validate_module, "VALIDATE_ROWS", 1)  # every row its own Great Expectations run
    chunked = validate_tables(frames, row_counts={"facts": 3, "reports": 1})

    def found(result):
        return sorted((f.table, f.column, f.expectation, f.rows) for f in result.failures + result.warnings)

    assert found(chunked) == found(whole) and chunked.evaluated == whole.evaluated
    assert ("facts", "fact_id", "expect_column_values_to_be_unique", (0, 1)) in found(chunked)
