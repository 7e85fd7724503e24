"""Export writes typed Parquet, UTF-8 CSV and a datapackage.json whose hashes match the files."""

import hashlib
import itertools
import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.publish import export as export_module
from pipeline.publish.export import TableWriter, export_tables
from pipeline.publish.schemas import TABLES, fields, typed_frame


def export(rows, out):
    frames = {t: typed_frame(t, rows[t]) for t in TABLES}
    return export_tables(frames, out, [{"title": "a.gov.cn", "path": "http://a.gov.cn/"}])


def test_files_and_descriptor_agree(tmp_path, table_rows):
    export(table_rows, tmp_path)
    package = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    assert {r["name"] for r in package["resources"]} == set(TABLES) | {f"{t}-parquet" for t in TABLES}
    for resource in package["resources"]:
        data = (tmp_path / resource["path"]).read_bytes()
        assert resource["bytes"] == len(data)
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
    assert package["licenses"][0]["name"] == "CC-BY-4.0"


def test_parquet_is_typed_and_csv_is_plain_utf8(tmp_path, table_rows):
    export(table_rows, tmp_path)
    facts = pq.read_table(tmp_path / "facts.parquet")
    assert str(facts.schema.field("kind").type).startswith("dictionary")
    assert facts.schema.field("value_normalized").type == "double"
    assert facts.column("value_normalized").to_pylist() == [960.0, 537000.0]
    frame = pd.read_csv(tmp_path / "facts.csv", dtype=str, keep_default_na=False)
    assert frame["unit"].tolist() == ["件", "万件"] and frame["qualifier"].tolist() == ["", "more_than"]
    assert not (tmp_path / "facts.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_rebuild_is_byte_identical(tmp_path, table_rows):
    first = {p.name: p.read_bytes() for p in export(table_rows, tmp_path / "a")}
    second = {p.name: p.read_bytes() for p in export(table_rows, tmp_path / "b")}
    assert first == second


def test_frictionless_validates_the_package(tmp_path, table_rows):
    from frictionless import validate

    export(table_rows, tmp_path)
    report = validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "message"])


def test_frictionless_notices_a_changed_file(tmp_path, table_rows):
    from frictionless import validate

    export(table_rows, tmp_path)
    with open(tmp_path / "facts.parquet", "ab") as f:
        f.write(b"tampered")
    assert not validate(str(tmp_path / "datapackage.json")).valid


def test_pandas_gets_nullable_types_and_every_category_back(tmp_path, table_rows):
    table_rows["reports"].append({**table_rows["reports"][0], "report_id": "r0123456789ac", "year": None,
                                  "level": None, "published_date": None})
    export(table_rows, tmp_path)
    reports = pd.read_parquet(tmp_path / "reports.parquet")
    assert str(reports["year"].dtype) == "Int64" and reports["year"].isna().tolist() == [False, True]
    assert list(reports["level"].cat.categories) == ["province", "city", "district", "county", "street",
                                                     "department"]
    assert str(reports["published_date"].dtype) == "date32[day][pyarrow]"
    assert str(pd.read_parquet(tmp_path / "facts.parquet")["is_target"].dtype) == "boolean"


def many_facts(template: dict, n: int) -> pd.DataFrame:
    """`n` facts of varied text: with long sentences, a row group's sentence column spans several pages."""
    rows = [{**template, "fact_id": f"f{i:07d}", "quote": f"{i * 7919 % 100003}件",
             "sentence": f"全年办理行政复议案件{i * 7919 % 100003}件，其中第{i}项。" * 12} for i in range(n)]
    return typed_frame("facts", rows)


def write_in_batches(path, frames=(), arrow_tables=()) -> bytes:
    writer = TableWriter("facts", path.with_suffix(".parquet"), path.with_suffix(".csv"))
    for frame in frames:
        writer.write(frame)
    for table in arrow_tables:
        writer.write_arrow(table)
    writer.close()
    return path.with_suffix(".parquet").read_bytes() + path.with_suffix(".csv").read_bytes()


def test_a_table_has_the_same_bytes_however_its_rows_arrived(tmp_path, table_rows, monkeypatch):
    monkeypatch.setattr(export_module, "ROW_GROUP_ROWS", 2_000)
    facts = many_facts(table_rows["facts"][0], 5_000)
    whole = write_in_batches(tmp_path / "whole", [facts])
    cuts = [0, 37, 700, 1_500, 1_501, 3_999, 5_000]  # batches of the sizes a build with other workers makes
    batched = write_in_batches(tmp_path / "batched", [facts.iloc[a:b] for a, b in itertools.pairwise(cuts)])
    assert batched == whole


def test_rows_read_back_from_a_file_are_written_again_as_they_were(tmp_path, table_rows, monkeypatch):
    monkeypatch.setattr(export_module, "ROW_GROUP_ROWS", 2_000)
    first = write_in_batches(tmp_path / "first", [many_facts(table_rows["facts"][0], 5_000)])
    batches = pq.ParquetFile(tmp_path / "first.parquet").iter_batches(batch_size=777)
    again = write_in_batches(tmp_path / "again", arrow_tables=[pa.Table.from_batches([b]) for b in batches])
    assert again == first
    assert list(pd.read_parquet(tmp_path / "again.parquet")["kind"].cat.categories) == \
        fields_enum("facts", "kind")  # every allowed value a category, in schema order, not just those used


def fields_enum(table: str, column: str) -> list[str]:
    return next(f["constraints"]["enum"] for f in fields(table) if f["name"] == column)
