"""The table schemas in schemas/ are the single source of truth: types, constraints, descriptions.

Everything typed downstream (pandas frames, Parquet schemas, expectations, datapackage.json, the codebook)
is derived here from the Frictionless Table Schemas, never written a second time.
"""

from __future__ import annotations

import json
from functools import cache

import pandas as pd
import pyarrow as pa

from pipeline import SCHEMA_DIR

TABLES = ("reports", "sections", "facts", "indicators", "checks", "mirrors")  # built report by report
DERIVED_TABLES = ("captures", "coverage", "panel")  # derived after the build (pipeline/publish/derived.py)
RELEASED_TABLES = TABLES + DERIVED_TABLES

_ARROW_TYPES = {
    "string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(),
    "date": pa.date32(),
}
_PANDAS_TYPES = {"string": "string", "integer": "Int64", "number": "Float64", "boolean": "boolean"}


@cache
def table_schema(table: str) -> dict:
    """The Frictionless Table Schema of `table`, as stored in schemas/<table>.schema.json."""
    return json.loads((SCHEMA_DIR / f"{table}.schema.json").read_text(encoding="utf-8"))


def fields(table: str) -> list[dict]:
    """The field descriptors of `table`, in column order."""
    return table_schema(table)["fields"]


def column_names(table: str) -> list[str]:
    """The columns of `table`, in order."""
    return [f["name"] for f in fields(table)]


def primary_key(table: str) -> list[str]:
    """The columns that identify a row of `table` (empty when rows have no key)."""
    return list(table_schema(table).get("primaryKey", []))


def is_categorical(field: dict) -> bool:
    """Fields with an enum are stored dictionary-encoded, so readers see categories."""
    return "enum" in field.get("constraints", {})


def arrow_field(field: dict) -> pa.Field:
    """The Parquet column for a schema field, its descriptions kept as field metadata."""
    type_ = _ARROW_TYPES[field["type"]]
    if is_categorical(field):
        type_ = pa.dictionary(pa.int32(), pa.string())
    required = field.get("constraints", {}).get("required", False)
    meta = {key: field.get(key, "") for key in ("title", "description", "description_zh")}
    return pa.field(field["name"], type_, nullable=not required, metadata=meta)


def arrow_schema(table: str) -> pa.Schema:
    """The Parquet schema of `table`, with the table's description as schema metadata."""
    spec = table_schema(table)
    meta = {"title": spec.get("title", ""), "description": spec.get("description", "")}
    return pa.schema([arrow_field(f) for f in fields(table)], metadata=meta)


def typed_frame(table: str, rows: list[dict]) -> pd.DataFrame:
    """Rows as a DataFrame with the schema's columns and nullable dtypes; empty strings become missing.

    Enum columns stay plain strings here so that validation sees values outside the enum; they become
    categories only in the Parquet files.
    """
    frame = pd.DataFrame(rows, columns=column_names(table))
    for field in fields(table):
        name = field["name"]
        col = frame[name].replace("", None)
        if field["type"] == "date":
            frame[name] = pd.to_datetime(col, format="%Y-%m-%d", errors="coerce").dt.date
        else:
            frame[name] = col.astype(_PANDAS_TYPES[field["type"]])
    return frame
