"""The panel's schema: one row per report, its place, and one column per indicator of the taxonomy.

It is derived here from schemas/reports.schema.json and schemas/indicators.toml, never written by hand, and
committed as schemas/panel.schema.json by `python -m pipeline suites` so that the panel is typed, validated
and described like every other table; a test fails when the committed file is not what this makes.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from pipeline import SCHEMA_DIR
from pipeline.extract.indicators import Indicator, load_taxonomy
from pipeline.publish.schemas import fields, table_schema

PANEL_PATH = SCHEMA_DIR / "panel.schema.json"
REPORT_FIELDS = ("report_id", "jurisdiction", "level", "province", "parent", "division_code", "year")
PINYIN_OF = {"jurisdiction": "地区或部门", "province": "省份", "parent": "上级"}  # columns that get a pinyin twin
PROVINCE_FIELD = {
    "name": "province", "type": "string", "title": "省份",
    "description": "Province-level division the report's division code lies in, by name (广东省); empty when "
                   "the code is unknown.",
    "description_zh": "报告行政区划代码所在的省级行政区名称（如广东省）；代码未知时为空。",
}


def _pinyin_field(name: str, title: str) -> dict:
    return {"name": f"{name}_pinyin", "type": "string", "title": f"{title}（拼音）",
            "description": f"{name} in Hanyu Pinyin: place names as GB/T 16159 writes them (Futian Qu), other "
                           "names transliterated syllable by syllable.",
            "description_zh": f"{title}的汉语拼音：地名按 GB/T 16159 拼写（如 Futian Qu），其他名称逐字音译。"}


def _report_field(name: str) -> dict:
    if name == "province":
        return dict(PROVINCE_FIELD)
    field = copy.deepcopy(next(f for f in fields("reports") if f["name"] == name))
    if name == "report_id":
        field["description"] = "The report (see reports): one row per report."
        field["description_zh"] = "报告（见 reports 表）：每份报告一行。"
    return field


def _indicator_field(indicator: Indicator) -> dict:
    unit = f" ({indicator.unit})" if indicator.unit else ""
    return {"name": indicator.id, "type": "number", "title": indicator.name_zh,
            "description": f"{indicator.name_en}{unit}: {indicator.definition_en} Empty when the report does "
                           "not state it.",
            "description_zh": f"{indicator.name_zh}{unit}：{indicator.definition_zh}报告未载明为空。",
            "constraints": {"minimum": indicator.min, "maximum": indicator.max}}


def panel_schema(taxonomy: list[Indicator]) -> dict:
    """The Table Schema of the panel: report fields, their pinyin, then the taxonomy's indicators in order."""
    columns: list[dict] = []
    for name in REPORT_FIELDS:
        columns.append(_report_field(name))
        if name in PINYIN_OF:
            columns.append(_pinyin_field(name, PINYIN_OF[name]))
    columns += [_indicator_field(i) for i in taxonomy]
    return {
        "name": "panel", "title": "面板 / Panel",
        "description": "One row per report and one column per canonical indicator (the value of the indicators "
                       "table), with the report's place, level, province, parent, division code and year, and "
                       "the place names in pinyin: ready for a spreadsheet. Generated from "
                       "schemas/reports.schema.json and schemas/indicators.toml by `python -m pipeline suites`.",
        "fields": columns,
        "primaryKey": ["report_id"],
        "foreignKeys": [{"fields": ["report_id"], "reference": {"resource": "reports", "fields": ["report_id"]}}],
        "missingValues": [""],
    }


def panel_schema_text(taxonomy: list[Indicator] | None = None) -> str:
    """schemas/panel.schema.json as the generator writes it."""
    schema = panel_schema(load_taxonomy() if taxonomy is None else taxonomy)
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def write_panel_schema(path: Path = PANEL_PATH) -> Path:
    """Rewrite the committed panel schema and forget the cached one, so what follows reads the new file."""
    path.write_text(panel_schema_text(), encoding="utf-8")
    table_schema.cache_clear()
    return path
