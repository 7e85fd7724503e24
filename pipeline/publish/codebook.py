"""The codebook: every table, column and indicator in Chinese and English, generated from schemas/."""

from __future__ import annotations

from pipeline.extract.indicators import Indicator
from pipeline.publish.schemas import RELEASED_TABLES, fields, primary_key, table_schema


def _cell(text: object) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def _constraints(field: dict) -> str:
    cons = field.get("constraints", {})
    parts = ["required"] if cons.get("required") else []
    if "enum" in cons:
        parts.append("one of " + ", ".join(cons["enum"]))
    if "minimum" in cons or "maximum" in cons:
        parts.append(f"{cons.get('minimum', '')} to {cons.get('maximum', '')}")
    if "pattern" in cons:
        parts.append(f"pattern `{cons['pattern']}`")
    return "; ".join(parts)


READING = {
    "coverage": [
        "How to read it: one row for every government that should publish a report (every province, prefecture-"
        "level city and county-level division of the Ministry of Civil Affairs table of that year; Taiwan, Hong "
        "Kong and Macau excluded) and every year some catalogued or built report is about. The three flags are "
        "a funnel: `parsed` implies `archived`, which implies `in_catalogue`. A row with `in_catalogue` false is "
        "a report nobody has looked for yet; `in_catalogue` without `archived` is a known page not (yet) "
        "fetched; `archived` without `parsed` is a capture that could not be read (see `checks`); `parsed` with "
        "`n_indicators` 0 is a report that states none of the canonical indicators. `python -m pipeline "
        "coverage` sums it by province and level.", ""],
    "panel": [
        "How to read it: the columns after `year` are the indicators of the taxonomy (their names below and in "
        "the Indicators section), each the value the `indicators` table holds for the report; empty when the "
        "report does not state it.", ""],
}


def table_section(table: str) -> list[str]:
    """The codebook part of one table: its description, how to read it, and a row per column."""
    spec = table_schema(table)
    lines = [f"## {table}: {spec.get('title', '')}", "", spec.get("description", ""), "", *READING.get(table, [])]
    if key := primary_key(table):
        lines += [f"Key: {', '.join(key)}", ""]
    lines += ["| column | 名称 | type | description | 说明 | constraints |", "|---|---|---|---|---|---|"]
    lines += [f"| `{f['name']}` | {_cell(f.get('title'))} | {f['type']} | {_cell(f.get('description'))} | "
              f"{_cell(f.get('description_zh'))} | {_cell(_constraints(f))} |" for f in fields(table)]
    return lines + [""]


def indicator_section(taxonomy: list[Indicator]) -> list[str]:
    """The codebook part of the indicator taxonomy: names, definitions, units and valid ranges."""
    lines = ["## Indicators 标准指标", "",
             "A fact gets an indicator only when its phrase says exactly that; values outside the valid range "
             "are written to `checks` and kept out of `indicators`.", "",
             "| id | 指标 | indicator | unit | kind | valid range | 定义 | definition |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [f"| `{i.id}` | {_cell(i.name_zh)} | {_cell(i.name_en)} | {_cell(i.unit)} | {i.kind} | "
              f"{_cell(i.min)} to {_cell(i.max)} | {_cell(i.definition_zh)} | {_cell(i.definition_en)} |"
              for i in taxonomy]
    return lines + [""]


def codebook_markdown(taxonomy: list[Indicator]) -> str:
    """The whole codebook as Markdown."""
    lines = ["# Codebook 数据手册", "",
             "Generated from `schemas/*.schema.json` and `schemas/indicators.toml`; do not edit by hand.", ""]
    for table in RELEASED_TABLES:
        lines += table_section(table)
    return "\n".join(lines + indicator_section(taxonomy))
