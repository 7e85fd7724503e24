"""A site to browse a build or release: Datasette over a SQLite copy of the tables in its datapackage.json.

The SQLite database is derived from the datapackage's tabular resources alone (their CSV files and Table
Schemas), so a table added to the export appears on the site without a change here. The copy adds what
Datasette needs to link and facet: foreign keys (declared ones, and a column named like another table's
single-column key), a single-column `section_key` for sections (whose key is composite) and the facts that
sit in them, the reporting place, level and year on every table that has a report_id, indexes, and
full-text search over section texts and fact sentences. Titles and descriptions come from the schemas.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import markupsafe
import pyarrow as pa
import pyarrow.csv as pa_csv
import sqlite_utils
from datasette import hookimpl
from datasette.utils import escape_css_string, tilde_encode, to_css_class

log = logging.getLogger(__name__)

DATABASE = "data"
DEFAULT_DB = Path(".cache/site") / f"{DATABASE}.db"
SECTION_KEY = "section_key"
ASSETS = "assets"
# Columns faceted wherever a table has them, with the type that gives them that meaning ("level" as an
# administrative level is a string; a section's integer level is its depth, not faceted).
FACETS = {"province": "string", "level": "string", "year": "integer", "indicator_id": "string"}
# Report columns copied onto every table that has a report_id, so its rows facet by place and year.
REPORT_CONTEXT = ("jurisdiction", "province", "level", "year")
# The label Datasette shows for a linked row.
LABELS = {"reports": "title", "sections": "heading", "facts": "quote"}
SEARCH_COLUMNS = {"sections": ("heading", "text"), "facts": ("sentence", "quote")}

_ARROW_TYPES = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(),
                "date": pa.date32()}
_SQLITE_TYPES = {"string": str, "integer": int, "number": float, "boolean": int, "date": str}
_BATCH_BYTES = 1 << 22


class SiteError(ValueError):
    """The datapackage cannot be served: missing, or a resource without its file or schema."""


@dataclass(frozen=True)
class Table:
    """One tabular resource of the datapackage: its name, CSV file and Table Schema."""

    name: str
    path: Path
    schema: dict
    title: str
    description: str

    @property
    def columns(self) -> list[str]:
        return [f["name"] for f in self.schema.get("fields", [])]

    @property
    def primary_key(self) -> list[str]:
        return as_list(self.schema.get("primaryKey", []))


def read_package(data_dir: Path) -> dict:
    """The datapackage.json of a build or release folder, with a clear error when there is none."""
    path = data_dir / "datapackage.json"
    if not path.exists():
        raise SiteError(f"no build in {data_dir}: {path} is missing (run `make build` first)")
    return json.loads(path.read_text(encoding="utf-8"))


def package_tables(package: dict, data_dir: Path) -> list[Table]:
    """The tabular resources of the package, reports first (other tables take their context from it)."""
    tables = []
    for res in package.get("resources", []):
        if res.get("profile") != "tabular-data-resource":
            continue
        path = data_dir / res["path"]
        if not path.exists():
            raise SiteError(f"resource {res['name']!r} names {path}, which is missing")
        if not res.get("schema", {}).get("fields"):
            raise SiteError(f"resource {res['name']!r} has no schema fields")
        tables.append(Table(res["name"], path, res["schema"], res.get("title", res["name"]),
                            res.get("description", "")))
    return sorted(tables, key=lambda t: t.name != "reports")


def csv_batches(table: Table) -> Iterator[list[dict]]:
    """The CSV's rows typed by its schema, a few MB at a time (a national facts table never sits in memory)."""
    types = {f["name"]: _ARROW_TYPES.get(f["type"], pa.string()) for f in table.schema["fields"]}
    convert = pa_csv.ConvertOptions(column_types=types, null_values=[""], strings_can_be_null=True,
                                    true_values=["true"], false_values=["false"])
    try:
        reader = pa_csv.open_csv(table.path, read_options=pa_csv.ReadOptions(block_size=_BATCH_BYTES),
                                 parse_options=pa_csv.ParseOptions(newlines_in_values=True),
                                 convert_options=convert)
        for batch in reader:
            yield batch.to_pylist()
    except pa.ArrowInvalid as err:
        raise SiteError(f"{table.path} does not read as its schema says: {err}") from err


def single_key_links(tables: list[Table]) -> dict[str, str]:
    """Column name -> table, for every table with a one-column primary key: a column of that name elsewhere
    links to it (report_id to reports, fact_id to facts)."""
    links: dict[str, str] = {}
    for t in tables:  # the first table keyed by a column owns it (reports, not panel, owns report_id)
        if len(t.primary_key) == 1:
            links.setdefault(t.primary_key[0], t.name)
    return links


def foreign_keys(table: Table, tables: list[Table]) -> list[tuple[str, str, str]]:
    """(column, other table, other column) for the table's declared single-column foreign keys, the columns
    named like another table's key, and section_key."""
    names = {t.name for t in tables}
    links = {}
    for fk in table.schema.get("foreignKeys", []):
        fields, ref = as_list(fk["fields"]), fk["reference"]
        if len(fields) == 1 and ref.get("resource") in names:
            links[fields[0]] = (ref["resource"], as_list(ref["fields"])[0])
    for column, other in single_key_links(tables).items():
        if column in table.columns and other != table.name:
            links.setdefault(column, (other, column))
    if section_key_applies(table) and "sections" in names and table.name != "sections":
        links[SECTION_KEY] = ("sections", SECTION_KEY)
    return [(column, other, other_column) for column, (other, other_column) in links.items()]


def as_list(fields: str | list[str]) -> list[str]:
    """Frictionless writes a one-column key as a string or a list."""
    return [fields] if isinstance(fields, str) else list(fields)


def section_key_applies(table: Table) -> bool:
    """Whether rows of the table name one section (report_id and section_id): they get a section_key."""
    return {"report_id", "section_id"} <= set(table.columns)


def section_key(row: dict) -> str | None:
    """The single-column key of a section: report_id/section_id."""
    if row.get("report_id") is None or row.get("section_id") is None:
        return None
    return f"{row['report_id']}/{row['section_id']}"


def context_columns(table: Table, reports: Table | None) -> list[str]:
    """The report columns copied onto the table: those reports has and the table lacks."""
    if reports is None or table.name == "reports" or "report_id" not in table.columns:
        return []
    return [c for c in REPORT_CONTEXT if c in reports.columns and c not in table.columns]


def column_types(table: Table, context: list[str], reports: Table | None) -> dict:
    """SQLite column types of the copy: the schema's, then section_key and the report context."""
    types = {f["name"]: _SQLITE_TYPES.get(f["type"], str) for f in table.schema["fields"]}
    if section_key_applies(table):
        types[SECTION_KEY] = str
    report_types = {f["name"]: _SQLITE_TYPES.get(f["type"], str) for f in reports.schema["fields"]} if reports else {}
    types.update({c: report_types[c] for c in context})
    return types


def sqlite_key(table: Table) -> str | tuple[str, ...] | None:
    """The primary key of the copy: section_key for sections, else the schema's (None: rowid)."""
    if table.name == "sections" and section_key_applies(table):
        return SECTION_KEY
    key = table.primary_key
    return key[0] if len(key) == 1 else tuple(key) or None


def load_table(db: sqlite_utils.Database, table: Table, tables: list[Table]) -> None:
    """Create the table with its keys and copy the CSV's rows in, adding section_key and the report context."""
    reports = next((t for t in tables if t.name == "reports"), None)
    context = context_columns(table, reports)
    db[table.name].create(column_types(table, context, reports), pk=sqlite_key(table),
                          foreign_keys=foreign_keys(table, tables))
    places = place_lookup(db) if context else {}
    for rows in csv_batches(table):
        for row in rows:
            if section_key_applies(table):
                row[SECTION_KEY] = section_key(row)
            if places:
                row.update(places.get(row["report_id"], {}))
        db[table.name].insert_all(rows, batch_size=1000)


def place_lookup(db: sqlite_utils.Database) -> dict[str, dict]:
    """report_id -> the report's place, level and year, from the copied reports table."""
    columns = [c for c in REPORT_CONTEXT if c in db["reports"].columns_dict]
    return {row["report_id"]: {c: row[c] for c in columns}
            for row in db["reports"].rows_where(select=", ".join(["report_id", *columns]))}


def index_links_and_facets(db: sqlite_utils.Database, tables: list[Table]) -> None:
    """Indexes on link and facet columns, so linked rows and facet counts are found without a scan."""
    for table in tables:
        t = db[table.name]
        columns = {fk.column for fk in t.foreign_keys} | set(facet_columns(t))
        for column in sorted(columns):
            t.create_index([column], if_not_exists=True)


def facet_columns(t: sqlite_utils.db.Table) -> list[str]:
    """The columns of FACETS the SQLite table has, with the meaning the facet is for."""
    types = {"string": str, "integer": int}
    return [c for c, kind in FACETS.items() if t.columns_dict.get(c) is types[kind]]


def search_columns(t: sqlite_utils.db.Table) -> list[str]:
    """The columns searched in full text: section headings and texts; a fact's sentence, else its quote."""
    wanted = SEARCH_COLUMNS.get(t.name, ())
    present = [c for c in wanted if c in t.columns_dict]
    return present[:1] if t.name == "facts" else present


def enable_search(db: sqlite_utils.Database) -> None:
    """FTS5 with the trigram tokenizer: Chinese has no spaces, so any run of three or more characters
    (行政复议, 败诉率) matches wherever it occurs."""
    for name in SEARCH_COLUMNS:
        if name in db.table_names() and (columns := search_columns(db[name])):
            db[name].enable_fts(columns, fts_version="FTS5", tokenize="trigram", create_triggers=False)


def package_key(data_dir: Path) -> str:
    """What the database is derived from: the datapackage.json bytes, which hash every file they list."""
    return hashlib.sha256((data_dir / "datapackage.json").read_bytes()).hexdigest()


def build_database(data_dir: Path, db_path: Path) -> Path:
    """Write the SQLite copy of the build in `data_dir` to `db_path` (atomically), unless it is up to date."""
    package = read_package(data_dir)
    key_path = db_path.with_name(db_path.name + ".sha256")
    key = package_key(data_dir)
    if db_path.exists() and key_path.exists() and key_path.read_text().strip() == key:
        return db_path
    tables = package_tables(package, data_dir)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = db_path.with_name(f"{db_path.name}.{os.getpid()}.tmp")  # two servers starting at once write apart
    db = sqlite_utils.Database(tmp)
    # A file written whole and renamed into place needs no journal and no sync per insert (a crash leaves
    # only the temporary file, rewritten next time): this is what makes a national build load in minutes.
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    try:
        for table in tables:
            load_table(db, table, tables)
        index_links_and_facets(db, tables)
        enable_search(db)
        db.vacuum()
    except BaseException:
        db.close()
        tmp.unlink(missing_ok=True)
        raise
    db.close()
    os.replace(tmp, db_path)
    key_path.write_text(key + "\n")
    log.info("site database %s built from %s", db_path, data_dir / "datapackage.json")
    return db_path


def column_description(field: dict) -> str:
    """A column's bilingual description: its Chinese title and description, then the English one."""
    parts = [field.get("title", ""), field.get("description_zh", ""), field.get("description", "")]
    return " · ".join(p for p in parts if p)


def column_descriptions(table: Table, t: sqlite_utils.db.Table, reports: Table | None) -> dict[str, str]:
    """Every column of the SQLite table described: the schema's own, then what the copy added."""
    described = {f["name"]: column_description(f) for f in table.schema["fields"]}
    report_fields = {f["name"]: f for f in reports.schema["fields"]} if reports else {}
    for column in t.columns_dict:
        if column == SECTION_KEY:
            described[column] = ("章节键 · 报告编号/章节编号，链接到所在章节。 · The section, as report_id/section_id "
                                 "(a single-column key for links; added in this database).")
        elif column not in described and column in report_fields:
            described[column] = "取自 reports 表 / from reports: " + column_description(report_fields[column])
    return described


def column_titles(table: Table, t: sqlite_utils.db.Table, reports: Table | None) -> dict[str, str]:
    """Column -> its Chinese title and name (原文 quote), for the labels of a row page."""
    fields = {f["name"]: f for f in (reports.schema["fields"] if reports else [])}
    fields.update({f["name"]: f for f in table.schema["fields"]})
    titles = {c: f"{fields[c].get('title', '')} {c}".strip() if c in fields else c for c in t.columns_dict}
    if SECTION_KEY in titles:
        titles[SECTION_KEY] = f"章节 {SECTION_KEY}"
    return titles


# A row page lists one row's columns top to bottom, each under its title, so long texts (a fact's sentence, a
# section) read as paragraphs instead of a squeezed column of a one-row table.
_ROW_PAGE_CSS = """body.row .rows-and-columns, body.row .rows-and-columns tbody, body.row .rows-and-columns tr,
body.row .rows-and-columns td { display: block; }
body.row .rows-and-columns thead { display: none; }
body.row .rows-and-columns td { border: none; border-bottom: 1px solid #eee; padding: 0.4em 0; white-space: pre-wrap; }
body.row .rows-and-columns td:before { display: block; margin-left: 0; color: #666; font-size: 0.8em; }
"""


def row_page_css(db: sqlite_utils.Database, tables: list[Table]) -> str:
    """The site's style sheet: row pages vertical, each cell labelled with its column's title."""
    reports = next((t for t in tables if t.name == "reports"), None)
    rules = [_ROW_PAGE_CSS]
    for table in tables:
        for column, title in column_titles(table, db[table.name], reports).items():
            rules.append(f'body.row.table-{to_css_class(table.name)} td.col-{to_css_class(column)}:before '
                         f'{{ content: "{escape_css_string(title)}"; }}\n')
    return "".join(rules)


def table_metadata(table: Table, db: sqlite_utils.Database, tables: list[Table]) -> dict:
    """Datasette metadata of one table: title, description, column descriptions, facets, link label."""
    reports = next((t for t in tables if t.name == "reports"), None)
    t = db[table.name]
    meta = {"title": table.title, "description": table.description,
            "columns": column_descriptions(table, t, reports)}
    if facets := facet_columns(t):
        meta["facets"] = facets
    if table.name in LABELS and LABELS[table.name] in t.columns_dict:
        meta["label_column"] = LABELS[table.name]
    return meta


def fact_text_column(db: sqlite_utils.Database) -> str:
    """A fact's sentence where the facts table has one, else its quote."""
    return "coalesce(f.sentence, f.quote)" if "sentence" in db["facts"].columns_dict else "f.quote"


def canned_queries(db: sqlite_utils.Database) -> dict:
    """Two queries a researcher asks first: one indicator across places and years; one report's facts."""
    names = db.table_names()
    queries = {}
    if {"indicators", "reports"} <= set(names):
        place = [c for c in ("jurisdiction", "province", "level", "parent") if c in db["reports"].columns_dict]
        ids = [row["indicator_id"] for row in db.query(
            "select distinct indicator_id from indicators order by indicator_id")]
        links = ", ".join(f'<a href="?indicator_id={html.escape(i)}">{html.escape(i)}</a>' for i in ids)
        queries["indicator_across_places"] = {
            "title": "一项指标的地区与年份对比 / One indicator across places and years",
            "description_html": "<p>指标编号 / indicator_id (see the codebook): " + links + "</p>",
            "sql": ("select " + "".join(f"r.{c}, " for c in place) + "i.division_code, i.year, i.value, i.unit, "
                    "i.report_id, i.fact_id from indicators i join reports r on r.report_id = i.report_id "
                    "where i.indicator_id = :indicator_id order by i.year, i.division_code, i.report_id"),
        }
    if {"facts", "sections"} <= set(names):
        queries["report_facts"] = {
            "title": "一份报告的全部数值事实及其原句 / One report's facts with their sentences",
            "description": "report_id: see the reports table.",
            "sql": (f"select f.fact_id, s.heading as section, {fact_text_column(db)} as sentence, f.quote, "
                    "f.value, f.unit, f.kind, f.indicator_id from facts f "
                    f"left join sections s on s.{SECTION_KEY} = f.{SECTION_KEY} "
                    "where f.report_id = :report_id order by f.fact_id"),
        }
    return queries


def front_page_html(package: dict, db: sqlite_utils.Database) -> str:
    """The front page: what the data are, a search box over facts and sections, the queries, the sources."""
    names = db.table_names()
    forms = "".join(
        f'<form action="/{DATABASE}/{name}" method="get" class="site-search">'
        f'<label for="search-{name}">{label}</label> '
        f'<input type="search" id="search-{name}" name="_search" placeholder="行政复议"> '
        f'<input type="submit" value="搜索 / Search"></form>'
        for name, label in (("facts", "搜索数值事实的原句 / Search the facts' sentences"),
                            ("sections", "搜索报告章节正文 / Search the reports' sections"))
        if f"{name}_fts" in names)
    sources = "".join(f'<li><a href="{html.escape(s.get("path", ""))}">{html.escape(s.get("title", ""))}</a></li>'
                      if s.get("path", "").startswith("http") else f"<li>{html.escape(s.get('title', ''))}</li>"
                      for s in package.get("sources", []))
    queries = "".join(f'<li><a href="/{DATABASE}/{name}">{html.escape(q["title"])}</a></li>'
                      for name, q in canned_queries(db).items())
    return (f"<p>{html.escape(package.get('description', ''))}</p>{forms}"
            "<p>全文检索需至少三个字；两个字请用表格页的 contains 筛选。 / Full-text search needs three or more "
            "characters; for two, use a table's <em>contains</em> filter.</p>"
            f"<h3>查询 / Queries</h3><ul>{queries}</ul><h3>来源 / Sources</h3><ul>{sources}</ul>")


def site_metadata(data_dir: Path, db_path: Path) -> dict:
    """Datasette metadata from the datapackage and schemas: bilingual titles and descriptions, facets,
    labels, the canned queries and the front page; the style sheet is written beside the database."""
    package = read_package(data_dir)
    tables = package_tables(package, data_dir)
    db = sqlite_utils.Database(db_path)
    try:
        licence = (package.get("licenses") or [{}])[0]
        assets_dir(db_path).mkdir(exist_ok=True)
        (assets_dir(db_path) / "site.css").write_text(row_page_css(db, tables), encoding="utf-8")
        return {
            "title": package.get("title", "Data"),
            "extra_css_urls": [f"/{ASSETS}/site.css"],
            "description_html": front_page_html(package, db),
            "license": licence.get("name", ""),
            "license_url": licence.get("path", ""),
            "databases": {DATABASE: {
                "tables": {t.name: table_metadata(t, db, tables) for t in tables},
                "queries": canned_queries(db),
            }},
        }
    finally:
        db.close()


@hookimpl
def render_cell(value, column, table, database, datasette):
    """Link a foreign-key value that Datasette shows bare (on a row page, a fact's report and section)."""
    if database != DATABASE or not isinstance(value, str):
        return None

    async def link() -> markupsafe.Markup | None:
        fks = {fk["column"]: fk for fk in await datasette.get_database(database).foreign_keys_for_table(table)}
        if column not in fks:
            return None
        href = datasette.urls.row(database, fks[column]["other_table"], tilde_encode(value))
        return markupsafe.Markup(f'<a href="{markupsafe.escape(href)}">{markupsafe.escape(value)}</a>')

    return link()


def assets_dir(db_path: Path) -> Path:
    """Where the site's style sheet is written, served at /assets/."""
    return db_path.parent / ASSETS


# Suggested facets try every column of a table: 3 s a page on 390,000 facts, against 0.3 s without.
SETTINGS = {"truncate_cells_html": 300, "sql_time_limit_ms": 5000, "facet_time_limit_ms": 1000, "suggest_facets": False}


def datasette_app(data_dir: Path, db_path: Path = DEFAULT_DB):
    """A Datasette instance over the (re)built database of `data_dir`, read-only."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    if not pm.is_registered(sys.modules[__name__]):
        pm.register(sys.modules[__name__], name="fzzf-site-links")
    db_path = build_database(data_dir, db_path)
    metadata = site_metadata(data_dir, db_path)
    return Datasette(immutables=[str(db_path)], metadata=metadata, settings=SETTINGS,
                     static_mounts=[(ASSETS, str(assets_dir(db_path)))])


def serve(data_dir: Path, host: str = "127.0.0.1", port: int = 8001, db_path: Path = DEFAULT_DB) -> None:
    """Serve the site until interrupted."""
    import uvicorn

    ds = datasette_app(data_dir, db_path)
    print(f"serving {data_dir} at http://{host}:{port}/ (Ctrl-C stops)", flush=True)
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning")
