"""The Parquet files load typed in pandas, polars and DuckDB, with no casting by the reader."""

import pytest
from builtdata import ROOT, build_committed_archive

from pipeline.publish.schemas import RELEASED_TABLES as TABLES  # the derived tables too
from pipeline.publish.schemas import fields


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_committed_archive(tmp_path_factory)


def enum_fields(table):
    return [f for f in fields(table) if "enum" in f.get("constraints", {})]


def test_pandas_reads_categories_and_nullable_types(built):
    import pandas as pd

    expected = {"integer": "Int64", "number": "Float64", "boolean": "boolean", "string": "string",
                "date": "date32[day][pyarrow]"}
    for table in TABLES:
        frame = pd.read_parquet(built / f"{table}.parquet")
        for f in fields(table):
            dtype = frame[f["name"]].dtype
            if "enum" in f.get("constraints", {}):
                assert isinstance(dtype, pd.CategoricalDtype), (table, f["name"], dtype)
                assert list(dtype.categories) == f["constraints"]["enum"]  # every allowed value, in order
            else:
                assert str(dtype) == expected[f["type"]], (table, f["name"], dtype)
    reports = pd.read_parquet(built / "reports.parquet")
    assert (reports["published_date"].dropna().dt.year >= 2000).all() and (reports["year"] >= 2000).all()


def test_polars_reads_categoricals_and_types(built):
    import polars as pl

    expected = {"integer": pl.Int64, "number": pl.Float64, "boolean": pl.Boolean, "string": pl.String,
                "date": pl.Date}
    for table in TABLES:
        schema = pl.read_parquet(built / f"{table}.parquet").schema
        for f in fields(table):
            want = pl.Categorical if "enum" in f.get("constraints", {}) else expected[f["type"]]
            assert schema[f["name"]] == want, (table, f["name"], schema[f["name"]])
    facts = pl.read_parquet(built / "facts.parquet")
    assert facts.filter(pl.col("kind") == "count").height > 0


def test_duckdb_reads_the_files_in_place_typed(built):
    import duckdb

    expected = {"integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "string": "VARCHAR",
                "date": "DATE"}
    con = duckdb.connect()
    for table in TABLES:
        rows = con.execute(f"describe select * from '{built / table}.parquet'").fetchall()
        described = {name: type_ for name, type_, *_ in rows}
        assert described == {f["name"]: expected[f["type"]] for f in fields(table)}, table
    (n,) = con.execute(f"select count(*) from '{built}/indicators.parquet' i join '{built}/reports.parquet' r "
                       "using (report_id) where r.year = i.year and r.level is not null").fetchone()
    assert n == con.execute(f"select count(*) from '{built}/indicators.parquet'").fetchone()[0] > 0


def test_field_descriptions_are_in_the_parquet_schema(built):
    import pyarrow.parquet as pq

    for table in TABLES:
        schema = pq.read_schema(built / f"{table}.parquet")
        for f in fields(table):
            meta = schema.field(f["name"]).metadata
            assert meta[b"description"].decode() == f.get("description", "")
            assert meta[b"description_zh"].decode() == f.get("description_zh", "")
        assert b"pandas" in schema.metadata and b"title" in schema.metadata


def test_the_readme_duckdb_command_works(tmp_path_factory, tmp_path):
    """The shell command the README gives for DuckDB runs as written and prints the indicator's rows."""
    import re
    import subprocess
    import sys



    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = next(line for line in re.findall(r"```sh\n(.*?)```", readme, re.S)[1].splitlines()
                   if line.startswith('python -c "import duckdb'))
    (tmp_path / "processed").symlink_to(build_committed_archive(tmp_path_factory))
    run = subprocess.run(["bash", "-c", command.replace("python", sys.executable, 1)], cwd=tmp_path,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "福田区" in run.stdout and "960" in run.stdout
