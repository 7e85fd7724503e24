"""Expectations generated from the schemas catch structural problems and name where they are."""

import pytest

from pipeline.schemas import TABLES, typed_frame
from pipeline.validate import expectation_specs, validate_tables


def frames_of(rows):
    return {table: typed_frame(table, rows[table]) for table in TABLES}


def test_expectations_follow_the_schema():
    specs = dict((name + str(kwargs.get("column", kwargs.get("column_list"))), kwargs)
                 for name, kwargs in expectation_specs("facts"))
    assert specs["ExpectColumnValuesToBeInSetkind"]["value_set"] == [
        "count", "rate", "amount", "change", "ratio", "duration"]
    assert "ExpectColumnValuesToBeUniquefact_id" in specs
    assert "ExpectColumnValuesToNotBeNullquote" in specs
    assert ("ExpectCompoundColumnsToBeUnique", {"column_list": ["report_id", "indicator_id"]}) in expectation_specs(
        "indicators")


@pytest.fixture(scope="module")
def _warm():
    """Great Expectations is slow to import; import it once for the module."""
    import great_expectations  # noqa: F401


def test_valid_tables_pass(table_rows, _warm):
    result = validate_tables(frames_of(table_rows))
    assert result.success, [f.describe() for f in result.failures]
    assert set(result.evaluated) == set(TABLES) and all(n > 0 for n in result.evaluated.values())


def test_bad_enum_and_duplicate_key_are_named(table_rows, _warm):
    table_rows["facts"][1]["kind"] = "percentage"
    table_rows["facts"][1]["fact_id"] = table_rows["facts"][0]["fact_id"]
    failures = validate_tables(frames_of(table_rows)).failures
    described = [f.describe() for f in failures]
    assert any(d.startswith("facts.kind: expect_column_values_to_be_in_set failed (rows 1;") for d in described)
    assert any(d.startswith("facts.fact_id: expect_column_values_to_be_unique") for d in described)


def test_missing_required_value_and_out_of_range_year(table_rows, _warm):
    table_rows["reports"][0]["raw_sha256"] = ""
    table_rows["reports"][0]["year"] = 1850
    failures = {(f.table, f.column, f.expectation) for f in validate_tables(frames_of(table_rows)).failures}
    assert ("reports", "raw_sha256", "expect_column_values_to_not_be_null") in failures
    assert ("reports", "year", "expect_column_values_to_be_between") in failures
