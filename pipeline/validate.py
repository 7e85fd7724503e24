"""Validation: Great Expectations suites derived from schemas/, run on every table before export.

A failed expectation is structural (a missing key, a value outside its enum or range, a duplicate id) and
blocks the release. Doubtful values that are still well-formed (a rate of 350% for an indicator) are not
handled here: the indicators stage records them in `checks` and keeps them out of `indicators`.
Great Expectations is imported only in this module, and only when validation runs.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import pandas as pd

from pipeline.schemas import TABLES, column_names, fields, primary_key

MAX_ROWS_SHOWN = 5


@dataclass(frozen=True)
class Failure:
    """One expectation that did not hold: where, what, and a sample of the offending rows."""

    table: str
    column: str
    expectation: str
    rows: tuple[int, ...]
    values: tuple[str, ...]

    def describe(self) -> str:
        """One line naming the table, column and offending rows."""
        rows = ", ".join(map(str, self.rows[:MAX_ROWS_SHOWN])) + (" ..." if len(self.rows) > MAX_ROWS_SHOWN else "")
        values = ", ".join(self.values[:MAX_ROWS_SHOWN])
        return (f"{self.table}.{self.column or '*'}: {self.expectation} failed "
                f"(rows {rows or '-'}; values {values or '-'})")


@dataclass
class ValidationResult:
    """Expectations run and the failures among them, per table."""

    evaluated: dict[str, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)

    @property
    def success(self) -> bool:
        """True when no expectation failed."""
        return not self.failures


def expectation_specs(table: str) -> list[tuple[str, dict]]:
    """The expectations of `table` as (expectation class name, kwargs), generated from its schema."""
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
        if "minimum" in cons or "maximum" in cons:
            specs.append(("ExpectColumnValuesToBeBetween",
                          {"column": col, "min_value": cons.get("minimum"), "max_value": cons.get("maximum")}))
    key = primary_key(table)
    if len(key) > 1:
        specs.append(("ExpectCompoundColumnsToBeUnique", {"column_list": key}))
    return specs


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
    return gx, context


def _failure(table: str, outcome) -> Failure:
    kwargs = outcome.expectation_config.kwargs
    result = outcome.result or {}
    return Failure(
        table=table,
        column=kwargs.get("column") or ",".join(kwargs.get("column_list", [])),
        expectation=outcome.expectation_config.type,
        rows=tuple(int(i) for i in result.get("unexpected_index_list") or [] if isinstance(i, int | float)),
        values=tuple(str(v) for v in result.get("partial_unexpected_list") or []),
    )


def validate_tables(frames: dict[str, pd.DataFrame]) -> ValidationResult:
    """Run each table's generated suite on its frame; collect what failed."""
    gx, context = _quiet_great_expectations()
    source = context.data_sources.add_pandas("tables")
    result = ValidationResult()
    for table in TABLES:
        frame = frames[table].reset_index(drop=True)
        suite = gx.ExpectationSuite(name=table)
        for name, kwargs in expectation_specs(table):
            suite.add_expectation(getattr(gx.expectations, name)(**kwargs))
        batch_definition = source.add_dataframe_asset(table).add_batch_definition_whole_dataframe("all")
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        outcome = batch.validate(suite, result_format="COMPLETE")
        result.evaluated[table] = len(outcome.results)
        result.failures += [_failure(table, r) for r in outcome.results if not r.success]
    return result
