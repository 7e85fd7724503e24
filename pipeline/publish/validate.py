"""Validation: Great Expectations suites kept in schemas/expectations/, run on every table before export.

The suites are generated from schemas/ and the indicator taxonomy by `python -m pipeline suites` and
committed as GE suite JSON, so a change of what is checked shows up as a diff in review; a test fails when
the committed suites differ from what the generator makes now. schemas/expectations/row_counts.json keeps
each table's row count for the committed archive: fewer rows than that is a warning (coverage was lost),
more is expected as reports are added.

Tables are validated as they are built, in chunks (TableValidator), so memory stays bounded by a chunk
whatever the size of the archive. A failed critical expectation is structural (a missing key, a value outside
its enum or range, a duplicate id) and blocks the release; a failed warning is reported and does not. Doubtful
values that are still well-formed (a rate of 350% for an indicator) are not handled here: the indicators stage
records them in `checks` and keeps them out of `indicators`. Great Expectations is imported only in this
module, and only when validation runs.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from pipeline.extract.indicators import Indicator, load_taxonomy
from pipeline.fetch.archive import default_mode
from pipeline.publish.schemas import RELEASED_TABLES, SCHEMA_DIR, TABLES, column_names, fields, primary_key

EXPECTATIONS_DIR = SCHEMA_DIR / "expectations"
ROW_COUNTS_FILE = "row_counts.json"
REGENERATE = "make suites"  # the command that rewrites the committed suites (after `make build`)
MAX_ROWS_SHOWN = 5
MAX_ROWS_KEPT = 20  # offending rows and values a failure keeps (a broken column can have millions)
VALIDATE_ROWS = 20_000  # rows per Great Expectations run: it holds several copies of a chunk while it runs, so
# the chunk, not the table, sets the build's memory; each run adds a fixed cost of well under a second
VALIDATE_BYTES = 8 * 1024 * 1024  # ... and bytes: a table of long rows (reports, checks) is run sooner
DUCKDB_MEMORY = "500MB"  # DuckDB spills to disk beyond this when checking keys over a whole table
BLOCKING = "critical"
log = logging.getLogger(__name__)


class SuiteError(Exception):
    """A committed suite is missing or unreadable; the message says which command rewrites it."""


@dataclass(frozen=True)
class Failure:
    """One expectation that did not hold: where, what, how bad, and a sample of the offending rows."""

    table: str
    column: str
    expectation: str
    rows: tuple[int, ...]
    values: tuple[str, ...]
    severity: str = BLOCKING

    def describe(self) -> str:
        """One line naming the table, column and offending rows."""
        rows = ", ".join(map(str, self.rows[:MAX_ROWS_SHOWN])) + (" ..." if len(self.rows) > MAX_ROWS_SHOWN else "")
        values = ", ".join(self.values[:MAX_ROWS_SHOWN])
        return (f"{self.table}.{self.column or '*'}: {self.expectation} failed "
                f"(rows {rows or '-'}; values {values or '-'})")


@dataclass
class ValidationResult:
    """Expectations run per table, how many held, the blocking failures and the warnings."""

    evaluated: dict[str, int] = field(default_factory=dict)
    passed: dict[str, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    warnings: list[Failure] = field(default_factory=list)
    docs: Path | None = None  # index.html of the Data Docs, when written

    @property
    def success(self) -> bool:
        """True when no critical expectation failed (warnings do not block)."""
        return not self.failures

    def failed(self, table: str) -> int:
        """Expectations of `table` that did not hold, warnings included."""
        return sum(f.table == table for f in self.failures + self.warnings)


# ---------------------------------------------------------------- generating the suites

def _snake(class_name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()


def expectation_specs(table: str, taxonomy: list[Indicator] | None = None) -> list[tuple[str, dict]]:
    """The expectations of `table` as (expectation class name, kwargs), from its schema and the taxonomy."""
    specs: list[tuple[str, dict]] = [("ExpectTableColumnsToMatchOrderedList", {"column_list": column_names(table)})]
    for f in fields(table):
        col, cons = f["name"], f.get("constraints", {})
        if cons.get("required"):
            specs.append(("ExpectColumnValuesToNotBeNull", {"column": col}))
        if cons.get("unique"):
            specs.append(("ExpectColumnValuesToBeUnique", {"column": col}))
        if "enum" in cons:
            specs.append(("ExpectColumnValuesToBeInSet", {"column": col, "value_set": cons["enum"]}))
        if "pattern" in cons:
            specs.append(("ExpectColumnValuesToMatchRegex", {"column": col, "regex": cons["pattern"]}))
        if "maxLength" in cons:
            specs.append(("ExpectColumnValueLengthsToBeBetween", {"column": col, "max_value": cons["maxLength"]}))
        if "minimum" in cons or "maximum" in cons:
            specs.append(("ExpectColumnValuesToBeBetween",
                          {"column": col, "min_value": cons.get("minimum"), "max_value": cons.get("maximum")}))
    key = primary_key(table)
    if len(key) > 1:
        specs.append(("ExpectCompoundColumnsToBeUnique", {"column_list": key}))
    return specs + taxonomy_specs(table, taxonomy or [])


def taxonomy_specs(table: str, taxonomy: list[Indicator]) -> list[tuple[str, dict]]:
    """Expectations from the indicator taxonomy: known indicator ids, and each indicator's valid range.

    Indicators that share a range share one expectation: a conditional expectation costs about as much as
    a table scan, and one per indicator would make validation slow.
    """
    if "indicator_id" not in column_names(table) or not taxonomy:
        return []
    specs = [("ExpectColumnValuesToBeInSet", {"column": "indicator_id", "value_set": [i.id for i in taxonomy]})]
    if table == "indicators":  # out-of-range values go to `checks`, so none may reach this table
        ranges: dict[tuple[float, float], list[str]] = {}
        for i in taxonomy:
            ranges.setdefault((i.min, i.max), []).append(i.id)
        specs += [("ExpectColumnValuesToBeBetween",
                   {"column": "value", "min_value": low, "max_value": high,
                    "row_condition": _where_in("indicator_id", ids)})
                  for (low, high), ids in ranges.items()]
    return specs


def _where_in(column: str, values: list[str]) -> dict:
    """A Great Expectations row condition (the JSON form of `Column(column).is_in(values)`)."""
    return {"type": "comparison", "column": {"name": column}, "operator": "IN", "parameter": values}


def suite_json(table: str, taxonomy: list[Indicator]) -> dict:
    """The Great Expectations suite of `table` as the JSON committed in schemas/expectations/."""
    expectations = [{"type": _snake(name), "kwargs": kwargs, "meta": {}, "severity": BLOCKING}
                    for name, kwargs in expectation_specs(table, taxonomy)]
    return {"name": table, "expectations": expectations,
            "meta": {"generated_by": f"python -m pipeline suites ({REGENERATE})",
                     "sources": [f"schemas/{table}.schema.json", "schemas/indicators.toml"]}}


def generated_suites(taxonomy: list[Indicator] | None = None) -> dict[str, str]:
    """File name -> text of every suite, as the generator writes them."""
    taxonomy = load_taxonomy() if taxonomy is None else taxonomy
    return {f"{table}.json": _json_text(suite_json(table, taxonomy)) for table in RELEASED_TABLES}


def row_counts_of(processed: Path) -> dict[str, int]:
    """Rows per table of a build, read from the Parquet footers in `processed`."""
    import pyarrow.parquet as pq

    return {table: pq.ParquetFile(processed / f"{table}.parquet").metadata.num_rows for table in TABLES}


def write_suites(out: Path = EXPECTATIONS_DIR, processed: Path | None = None) -> list[Path]:
    """Rewrite the committed panel schema and suites (and the row counts, from the build in `processed`)."""
    from pipeline.publish.panel import write_panel_schema

    out.mkdir(parents=True, exist_ok=True)
    panel = write_panel_schema()
    texts = generated_suites()
    if processed is not None:
        texts[ROW_COUNTS_FILE] = _json_text(row_counts_of(processed))
    for name, text in texts.items():
        (out / name).write_text(text, encoding="utf-8")
    return [panel] + [out / name for name in texts]


def _json_text(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


# ---------------------------------------------------------------- loading the committed suites

def load_suites(directory: Path = EXPECTATIONS_DIR, tables: tuple[str, ...] = TABLES) -> dict[str, dict]:
    """The committed suite of every table; raises SuiteError naming the command that writes them."""
    suites = {}
    for table in tables:
        path = directory / f"{table}.json"
        try:
            suites[table] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise SuiteError(f"cannot read the suite {path} ({err}); run `{REGENERATE}`") from err
    return suites


def load_row_counts(directory: Path = EXPECTATIONS_DIR) -> dict[str, int]:
    """The committed rows per table ({} when the file does not exist yet)."""
    path = directory / ROW_COUNTS_FILE
    if not path.exists():
        return {}
    try:
        return {str(k): int(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}
    except (OSError, ValueError, AttributeError) as err:
        raise SuiteError(f"cannot read {path} ({err}); run `{REGENERATE}`") from err


def row_count_expectation(count: int) -> dict:
    """Fewer rows than the committed archive gives is a warning: coverage was lost somewhere."""
    return {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": count, "max_value": None},
            "meta": {"source": f"schemas/expectations/{ROW_COUNTS_FILE}"}, "severity": "warning"}


# ---------------------------------------------------------------- running them

SHAPE_EXPECTATIONS = frozenset({"expect_table_columns_to_match_ordered_list", "expect_table_columns_to_match_set",
                                "expect_table_column_count_to_equal"})


def columns_read(expectations: list[dict]) -> list[str] | None:
    """The columns the expectations read, or None when one filters rows by a condition (it may read any)."""
    found: list[str] = []
    for expectation in expectations:
        kwargs = expectation["kwargs"]
        if kwargs.get("row_condition"):
            return None
        found += [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
        found += kwargs.get("column_list", [])
    return list(dict.fromkeys(found))


def _quiet_great_expectations():
    """Import Great Expectations with its analytics off and its INFO chatter down; warnings still show."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    for name in list(logging.root.manager.loggerDict):  # some of its modules set INFO on their own logger
        if name.startswith("great_expectations."):
            logging.getLogger(name).setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    for site in list(context.get_config().data_docs_sites or {}):  # the default site writes to a temp dir
        context.delete_data_docs_site(site)
    return gx, context


def _failure(table: str, outcome) -> Failure:
    config = outcome.expectation_config
    kwargs = config.kwargs
    result = outcome.result or {}
    return Failure(
        table=table,
        column=kwargs.get("column") or ",".join(kwargs.get("column_list") or []),
        expectation=config.type,
        rows=tuple(int(i) for i in (result.get("unexpected_index_list") or [])[:MAX_ROWS_KEPT]
                   if isinstance(i, int | float)),
        values=tuple(str(v) for v in (result.get("partial_unexpected_list") or [])[:MAX_ROWS_KEPT]),
        severity=str(getattr(config.severity, "value", config.severity) or BLOCKING),
    )


def _outcome_key(outcome) -> str:
    """Which expectation an outcome is of, the same in every chunk of a table."""
    kwargs = outcome.expectation_config.kwargs
    return f"{outcome.expectation_config.type} {kwargs.get('column')} {kwargs.get('row_condition')}"


def _merged(first: Failure, other: Failure) -> Failure:
    """One expectation's failures in two chunks of a table as one failure."""
    return replace(first, rows=(first.rows + other.rows)[:MAX_ROWS_KEPT],
                   values=(first.values + other.values)[:MAX_ROWS_KEPT])


def _add_docs_site(context, directory: Path) -> None:
    context.add_data_docs_site(site_name="validation", site_config={
        "class_name": "SiteBuilder", "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(directory)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"}})


def publish_docs(site: Path, target: Path) -> None:
    """Copy the Data Docs in `site` to `target`, replacing the previous report whole (never half of one)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    old = staging.with_name(staging.name + "-old")
    try:
        shutil.copytree(site, staging, dirs_exist_ok=True)
        os.chmod(staging, default_mode(directory=True))  # mkdtemp's 0700 would hide the report from others
        if target.exists():
            target.rename(old)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def duplicate_failure(con, table: str, relation, columns: list[str], expectation: str) -> Failure | None:
    """The rows of `source` (a DuckDB relation with a `_row` column) whose `columns` repeat another row's
    (rows with a missing key value left out, as Great Expectations does), or None. DuckDB groups the keys
    with bounded memory, spilling to disk: a table larger than memory is checked without loading it."""
    relation.create_view("source", replace=True)
    keys = ", ".join(f'"{c}"' for c in columns)
    present = " AND ".join(f'"{c}" IS NOT NULL' for c in columns)
    repeated = con.sql(f"SELECT {keys} FROM source WHERE {present} GROUP BY ALL HAVING count(*) > 1 LIMIT 1")
    if not repeated.fetchall():
        return None
    found = con.sql(f"SELECT _row, concat_ws(' / ', {keys}) FROM (SELECT _row, {keys}, count(*) OVER "
                    f"(PARTITION BY {keys}) AS n FROM source WHERE {present}) WHERE n > 1 "
                    f"ORDER BY _row LIMIT {MAX_ROWS_KEPT}").fetchall()
    return Failure(table, ",".join(columns), expectation, tuple(int(r) for r, _ in found),
                   tuple(str(v) for _, v in found))


UNIQUENESS = {"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"}


class TableValidator:
    """The committed suites run over tables that arrive in batches, in bounded memory.

    Great Expectations runs on chunks of at most VALIDATE_ROWS rows or VALIDATE_BYTES, holding only the columns the
    expectations read (it copies the frame it is given, and no expectation reads the free texts); a table's
    shape is checked once on its header; uniqueness, which needs the whole table, and the row count are
    checked at the end, by DuckDB over the written Parquet file. Rows named in failures are table rows.
    """

    def __init__(self, docs_dir: Path | None = None, suites: Mapping[str, dict] | None = None,
                 row_counts: Mapping[str, int] | None = None, tables: tuple[str, ...] = TABLES):
        self.tables = tables  # the built tables, or the derived ones
        self.suites = load_suites(tables=tables) if suites is None else suites
        self.row_counts = load_row_counts() if row_counts is None else row_counts
        self.docs_dir = docs_dir
        self.rows = dict.fromkeys(tables, 0)
        self._buffer: dict[str, list[pd.DataFrame]] = {table: [] for table in tables}
        self._buffered = dict.fromkeys(tables, 0)  # bytes of the rows waiting for Great Expectations
        self._checked = dict.fromkeys(tables, 0)  # rows already run through Great Expectations
        self._failed: dict[str, dict[str, Failure]] = {table: {} for table in tables}
        self._definitions: dict[str, object] = {}
        self._shaped: set[str] = set()
        self._gx = self._context = self._site = None

    def _expectations(self, table: str) -> list[dict]:
        return list(self.suites[table]["expectations"])

    def _row_expectations(self, table: str) -> list[dict]:
        return [e for e in self._expectations(table) if e["type"] not in SHAPE_EXPECTATIONS | UNIQUENESS]

    def add(self, table: str, frame: pd.DataFrame) -> None:
        """Take the next rows of `table` (a typed frame, enums still plain strings)."""
        if table not in self._shaped:
            self._run_shape(table, frame)
        columns = columns_read(self._row_expectations(table))
        part = frame if columns is None else frame[columns]
        self.rows[table] += len(frame)
        if len(part):
            self._buffer[table].append(part)
            self._buffered[table] += int(part.memory_usage(deep=True).sum())
        if sum(map(len, self._buffer[table])) >= VALIDATE_ROWS or self._buffered[table] >= VALIDATE_BYTES:
            self._run_buffer(table)

    def _start(self) -> None:
        """Great Expectations, imported and set up when the first chunk runs."""
        if self._context is not None:
            return
        self._gx, self._context = _quiet_great_expectations()
        if self.docs_dir is not None:
            self._site = Path(tempfile.mkdtemp(prefix="fzzf-validation-"))
            _add_docs_site(self._context, self._site)
        self._source = self._context.data_sources.add_pandas("tables")

    def _run(self, name: str, table: str, expectations: list[dict], frame: pd.DataFrame) -> None:
        """Run `expectations` on `frame` (indexed by table row) under the definition `name`."""
        self._start()
        if name not in self._definitions:
            gx, context = self._gx, self._context
            suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=expectations))
            batch = self._source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all")
            self._definitions[name] = context.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=batch, suite=suite))
        outcomes = self._definitions[name].run(batch_parameters={"dataframe": frame}, result_format="COMPLETE")
        failed = self._failed[table]
        for outcome in outcomes.results:
            if not outcome.success:
                key, failure = f"{name} {_outcome_key(outcome)}", _failure(table, outcome)
                failed[key] = _merged(failed[key], failure) if key in failed else failure

    def _run_shape(self, table: str, frame: pd.DataFrame) -> None:
        self._shaped.add(table)
        shape = [e for e in self._expectations(table) if e["type"] in SHAPE_EXPECTATIONS]
        if shape:
            self._run(f"{table}-columns", table, shape, frame.iloc[:0])

    def _run_buffer(self, table: str) -> None:
        parts, self._buffer[table], self._buffered[table] = self._buffer[table], [], 0
        if not parts or not self._row_expectations(table):
            self._checked[table] += sum(map(len, parts))
            return
        chunk = pd.concat(parts, ignore_index=True)
        del parts
        chunk.index = pd.RangeIndex(self._checked[table], self._checked[table] + len(chunk))
        self._checked[table] += len(chunk)
        self._run(table, table, self._row_expectations(table), chunk)

    def finish(self, sources: Mapping[str, Path | pd.DataFrame]) -> ValidationResult:
        """Run what is left and what needs whole tables; `sources` holds each table whole, as its Parquet
        file or a frame. Publishes the Data Docs to `docs_dir` when nothing blocks."""
        for table in self.tables:
            if table not in self._shaped:
                self._run_shape(table, pd.DataFrame(columns=column_names(table)))
            self._run_buffer(table)
        self._check_whole_tables(sources)
        result = ValidationResult()
        for table in self.tables:
            failed = list(self._failed[table].values())
            expected = len(self._expectations(table)) + (table in self.row_counts)
            result.evaluated[table] = expected
            result.passed[table] = expected - len(failed)
            result.failures += [f for f in failed if f.severity == BLOCKING]
            result.warnings += [f for f in failed if f.severity != BLOCKING]
        for warning in result.warnings:
            log.warning("validation warning: %s", warning.describe())
        self._publish_docs(result)
        return result

    def _check_whole_tables(self, sources: Mapping[str, Path | pd.DataFrame]) -> None:
        import duckdb

        con = duckdb.connect()
        con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
        for table in self.tables:
            if table in self.row_counts and self.rows[table] < self.row_counts[table]:
                self._failed[table]["row count"] = Failure(
                    table, "", "expect_table_row_count_to_be_between", (), (str(self.rows[table]),),
                    severity="warning")
            for n, expectation in enumerate(e for e in self._expectations(table) if e["type"] in UNIQUENESS):
                kwargs = expectation["kwargs"]
                columns = kwargs.get("column_list") or [kwargs["column"]]
                source = _relation(con, sources[table], columns)
                if failure := duplicate_failure(con, table, source, columns, expectation["type"]):
                    self._failed[table][f"unique {n}"] = failure
        con.close()

    def _publish_docs(self, result: ValidationResult) -> None:
        if self._site is None:
            return
        self._context.build_data_docs()
        result.docs = self._site / "index.html"
        if result.success:
            publish_docs(self._site, self.docs_dir)
            shutil.rmtree(self._site, ignore_errors=True)
            result.docs = self.docs_dir / "index.html"
        else:
            log.warning("validation failed; its report is in %s", result.docs)


def _relation(con, source: Path | pd.DataFrame, columns: list[str]):
    """The key columns of a table and each row's number (`_row`), from its Parquet file or a frame."""
    if isinstance(source, pd.DataFrame):
        frame = source[columns].reset_index(drop=True).astype(object)
        frame.insert(0, "_row", range(len(frame)))
        return con.from_df(frame)
    keys = ", ".join(f'"{c}"' for c in columns)
    return con.sql(f"SELECT file_row_number AS _row, {keys} FROM read_parquet(?, file_row_number = true)",
                   params=[str(source)])


def validate_tables(frames: Mapping[str, pd.DataFrame], docs_dir: Path | None = None,
                    suites: Mapping[str, dict] | None = None,
                    row_counts: Mapping[str, int] | None = None) -> ValidationResult:
    """Run each table's committed suite (and row-count expectation) on tables held in memory.

    With `docs_dir`, the run's Great Expectations Data Docs replace what is there when nothing blocks; a
    blocked run leaves `docs_dir` alone (nothing is published) and keeps its report in a temporary folder
    that the log names.
    """
    validator = TableValidator(docs_dir, suites, row_counts, tables=tuple(frames))
    for table, frame in frames.items():
        validator.add(table, frame)
    return validator.finish(frames)


# ---------------------------------------------------------------- the terminal summary

def _fit(line: str, width: int = 120) -> str:
    return line if len(line) <= width else line[:width - 3] + "..."


def summary_lines(rows: Mapping[str, int], severities: Mapping[str, int], result: ValidationResult) -> list[str]:
    """A one-screen summary of a build: rows and expectations per table, checks by severity, failures."""
    lines = [f"{'table':<12}{'rows':>8}{'expectations':>14}{'passed':>8}{'failed':>8}"]
    for table in TABLES:
        lines.append(f"{table:<12}{rows.get(table, 0):>8}{result.evaluated.get(table, 0):>14}"
                     f"{result.passed.get(table, 0):>8}{result.failed(table):>8}")
    lines.append("checks by severity: " + ", ".join(
        f"{level} {int(severities.get(level, 0))}" for level in ("error", "warning", "info")))
    shown = result.failures + result.warnings
    lines += [_fit(f"  {f.severity}: {f.describe()}") for f in shown[:10]]
    if len(shown) > 10:
        lines.append(f"  ... and {len(shown) - 10} more (see the validation report)")
    if result.docs is not None:
        lines.append(f"validation report: {result.docs}")
    return lines
