"""schemas/ is the single source of truth: every derived type must follow it."""

import json

import pyarrow as pa
import pytest

from pipeline.publish.schemas import SCHEMA_DIR, TABLES, arrow_schema, column_names, fields, typed_frame


@pytest.mark.parametrize("table", TABLES)
def test_every_field_is_described_in_both_languages(table):
    for field in fields(table):
        assert field["title"] and field["description"], field["name"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in field["description_zh"]), field["name"]


@pytest.mark.parametrize("table", TABLES)
def test_arrow_schema_follows_table_schema(table):
    schema = arrow_schema(table)
    assert schema.names == column_names(table)
    for field in fields(table):
        arrow = schema.field(field["name"])
        assert arrow.metadata[b"description"].decode() == field["description"]
        assert arrow.nullable is not field.get("constraints", {}).get("required", False)
        if "enum" in field.get("constraints", {}):
            assert pa.types.is_dictionary(arrow.type)


def test_schema_files_are_valid_json_with_primary_keys_among_fields():
    for table in TABLES:
        spec = json.loads((SCHEMA_DIR / f"{table}.schema.json").read_text(encoding="utf-8"))
        assert set(spec.get("primaryKey", [])) <= set(column_names(table))


def test_typed_frame_turns_empty_strings_into_missing(table_rows):
    frame = typed_frame("facts", table_rows["facts"])
    assert frame["qualifier"].isna().tolist() == [True, False]
    assert str(frame["value"].dtype) == "Float64" and str(frame["char_start"].dtype) == "Int64"
    reports = typed_frame("reports", table_rows["reports"])
    assert reports["published_date"][0].isoformat() == "2025-02-12"
