"""Export: typed Parquet and UTF-8 CSV per table, a Frictionless datapackage.json and the codebook.

Files are written deterministically (sorted rows, no timestamps), so a rebuild from the same archive
yields byte-identical files.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from pipeline import __version__
from pipeline.fetch.archive import file_sha256, write_atomically
from pipeline.publish.metadata import load_metadata, package_metadata
from pipeline.publish.schemas import TABLES, arrow_schema, fields, is_categorical, table_schema, typed_frame


def reader_frame(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as readers should get it back: enums as categories (every allowed value a category, in
    schema order) and dates as Arrow dates, so pandas restores these dtypes from the file's metadata.
    A value outside its enum raises ValueError (validation names it before anything is published)."""
    frame = frame.copy()
    for field in fields(table):
        name = field["name"]
        if is_categorical(field):
            allowed = field["constraints"]["enum"]
            if not frame[name].dropna().isin(allowed).all():
                raise ValueError(f"{table}.{name} has values outside its enum")
            frame[name] = pd.Categorical(frame[name], categories=allowed)
        elif field["type"] == "date":
            frame[name] = frame[name].astype("date32[pyarrow]")
    return frame


def arrow_table(table: str, frame: pd.DataFrame) -> pa.Table:
    """The frame as an Arrow table typed by the schema (enums dictionary-encoded).

    The schema metadata keeps pandas' own record of the dtypes (Int64, Float64, boolean, category) next to
    the table's title and description, so `pd.read_parquet` needs no casting.
    """
    schema = arrow_schema(table)
    arrow = pa.Table.from_pandas(reader_frame(table, frame), schema=schema, preserve_index=False)
    return arrow.replace_schema_metadata({**arrow.schema.metadata, **schema.metadata})


def enum_encoded(table: str, arrow: pa.Table) -> pa.Table:
    """`arrow` with each enum column's dictionary the whole enum in schema order, as `arrow_table` writes it
    (a file read back may carry only the values it uses): the same rows give the same bytes either way."""
    for field in fields(table):
        if is_categorical(field):
            allowed = pa.array(field["constraints"]["enum"], pa.string())
            values = arrow.column(field["name"]).cast(pa.string())
            codes = pc.index_in(values, value_set=allowed).cast(pa.int32())
            encoded = pa.chunked_array([pa.DictionaryArray.from_arrays(chunk, allowed) for chunk in codes.chunks],
                                       pa.dictionary(pa.int32(), pa.string()))
            arrow = arrow.set_column(arrow.schema.get_field_index(field["name"]), field["name"], encoded)
    return arrow


ROW_GROUP_ROWS = 50_000  # rows per Parquet row group: fixed, so files do not depend on how the build batched


def plain_schema(schema: pa.Schema) -> pa.Schema:
    """The schema with dictionary (enum) columns as plain strings, as CSV writes them."""
    return pa.schema([pa.field(f.name, pa.string() if pa.types.is_dictionary(f.type) else f.type) for f in schema])


class TableWriter:
    """One table written batch by batch as zstd Parquet and RFC 4180 UTF-8 CSV (quoted only where needed,
    missing values empty), so a table never has to be in memory whole.

    Row groups hold exactly ROW_GROUP_ROWS rows (the last fewer) whatever the batches were, and the schema's
    metadata is that of the table's empty frame: the same rows give the same bytes however they arrived.
    The pandas metadata kept beside the table's title and description lets `pd.read_parquet` restore
    Int64, Float64, boolean and category dtypes without casting.
    """

    def __init__(self, table: str, parquet_path: Path, csv_path: Path):
        self.table, self.rows = table, 0
        self.schema = arrow_table(table, typed_frame(table, [])).schema
        self.parquet_path, self.csv_path = Path(parquet_path), Path(csv_path)
        self._parquet = pq.ParquetWriter(self.parquet_path, self.schema, compression="zstd")
        self._csv = pa_csv.CSVWriter(self.csv_path, plain_schema(self.schema),
                                     write_options=pa_csv.WriteOptions(quoting_style="needed", eol=b"\n"))
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self.error = ""  # why a batch could not be written (rows the schema cannot hold); later ones are skipped

    def write(self, frame: pd.DataFrame) -> None:
        """Append a typed frame of the table's rows (in the table's order). Rows the schema cannot hold (a
        value outside an enum, a missing required value) are not written and set `error`: validation names
        them, and the build publishes nothing."""
        if not len(frame) or self.error:
            return
        try:
            arrow = arrow_table(self.table, frame).replace_schema_metadata(self.schema.metadata)
        except (ValueError, TypeError, pa.ArrowException) as err:
            self.error = f"{self.table}: {type(err).__name__}: {str(err)[:300]}"
            return
        self._append(arrow)

    def write_arrow(self, rows: pa.Table) -> None:
        """Append rows read back from a file of this table (filtered, say), in the table's order: no round
        trip through Python objects or pandas, so rewriting a file costs a batch of memory, not a table's."""
        if rows.num_rows and not self.error:
            self._append(enum_encoded(self.table, rows.select(self.schema.names)).cast(self.schema))

    def _append(self, arrow: pa.Table) -> None:
        self._csv.write_table(arrow.cast(plain_schema(self.schema)))
        self.rows += arrow.num_rows
        self._pending.append(arrow)
        self._pending_rows += arrow.num_rows
        while self._pending_rows >= ROW_GROUP_ROWS:
            self._write_group(ROW_GROUP_ROWS)

    def _write_group(self, rows: int) -> None:
        joined = pa.concat_tables(self._pending)
        self._parquet.write_table(joined.slice(0, rows).combine_chunks(), row_group_size=rows)
        rest = joined.slice(rows)
        self._pending, self._pending_rows = [rest], rest.num_rows

    def close(self) -> None:
        """Write the last row group and close both files."""
        if self._pending_rows:
            self._write_group(self._pending_rows)
        self._pending = []
        self._parquet.close()
        self._csv.close()


def file_resource(table: str, path: Path) -> dict:
    """The datapackage resource of one written file of `table` (its CSV or Parquet), bytes and hash read
    from disk."""
    fmt = path.suffix.removeprefix(".")
    tabular = fmt == "csv"
    resource = {
        "name": table if tabular else f"{table}-{fmt}", "path": path.name,
        "profile": "tabular-data-resource" if tabular else "data-resource",
        # Frictionless reads Parquet only through an optional plugin that skips the byte and hash checks;
        # as type "file" the Parquet files get those checks, and their schema is the CSV's.
        "type": "table" if tabular else "file",
        "title": table_schema(table).get("title", table),
        "description": table_schema(table).get("description", ""),
        "format": fmt,
        "mediatype": "text/csv" if tabular else "application/vnd.apache.parquet",
        "bytes": path.stat().st_size,
        "hash": "sha256:" + file_sha256(path),
        "schema": {k: v for k, v in table_schema(table).items() if k not in {"name", "title", "description"}},
    }
    if tabular:
        resource["encoding"] = "utf-8"
    return resource


def datapackage(resources: list[dict], sources: list[dict]) -> dict:
    """The Frictionless Data Package descriptor for the written files, described by release.toml."""
    return {"profile": "data-package", **package_metadata(load_metadata()), "version": __version__,
            "sources": sources, "resources": resources}


def write_package(out_dir: Path, sources: list[dict], codebook: str = "") -> list[Path]:
    """datapackage.json for the tables' files in `out_dir` (their bytes and hashes read from disk), and the
    codebook; the paths written."""
    resources = [file_resource(table, out_dir / f"{table}.{fmt}") for table in TABLES for fmt in ("csv", "parquet")]
    descriptor = json.dumps(datapackage(resources, sources), ensure_ascii=False, indent=2) + "\n"
    write_atomically(out_dir / "datapackage.json", descriptor.encode("utf-8"))
    written = [out_dir / "datapackage.json"]
    if codebook:
        write_atomically(out_dir / "CODEBOOK.md", codebook.encode("utf-8"))
        written.append(out_dir / "CODEBOOK.md")
    return written


def table_paths(out_dir: Path) -> list[Path]:
    """The CSV and Parquet file of every table in `out_dir`."""
    return [out_dir / f"{table}.{fmt}" for table in TABLES for fmt in ("csv", "parquet")]


def export_tables(frames: dict[str, pd.DataFrame], out_dir: Path, sources: list[dict],
                  codebook: str = "") -> list[Path]:
    """Write tables held in memory as Parquet and CSV, datapackage.json and the codebook; the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        writer = TableWriter(table, out_dir / f"{table}.parquet", out_dir / f"{table}.csv")
        writer.write(frames[table])
        writer.close()
    return table_paths(out_dir) + write_package(out_dir, sources, codebook)
