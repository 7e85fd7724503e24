"""The site: Datasette over a SQLite copy of a build, through Datasette's own test client."""

import asyncio
import json
import re
from urllib.parse import urlencode, urlsplit

import pandas as pd
import pytest
import sqlite_utils
from builtdata import copy_of_build
from datasette.utils import tilde_encode

import pipeline.publish.site
from pipeline.publish.schemas import table_schema
from pipeline.publish.site import DATABASE, SiteError, build_database, datasette_app
from pipeline.run.cli import main

WORD = "行政复议"


@pytest.fixture
def processed(tmp_path_factory, tmp_path):
    return copy_of_build(tmp_path_factory, tmp_path / "processed")


@pytest.fixture
def site(processed, tmp_path):
    return datasette_app(processed, tmp_path / "site" / "data.db")


def get(ds, path: str):
    """One request through Datasette's in-process client."""
    return asyncio.run(ds.client.get(path))


def get_json(ds, path: str) -> dict:
    response = get(ds, path)
    assert response.status_code == 200, (path, response.text[:500])
    return response.json()


def rows(ds, path: str, **params) -> list[dict]:
    """Every row of a table or query page as dicts, following Datasette's next pages."""
    out, query = [], urlencode({**params, "_shape": "objects", "_size": "max"})
    url = f"{path}.json?{query}"
    while url:
        page = get_json(ds, url)
        out += page["rows"]
        url = page.get("next_url") and urlsplit(page["next_url"])._replace(scheme="", netloc="").geturl()
    return out


def csv_frame(processed, table: str) -> pd.DataFrame:
    return pd.read_csv(processed / f"{table}.csv", dtype=str, keep_default_na=False)


def add_resource(processed, name: str, frame: pd.DataFrame, schema: dict) -> None:
    """A table added to the build the way export adds one: its CSV and a tabular resource."""
    frame.to_csv(processed / f"{name}.csv", index=False)
    package = json.loads((processed / "datapackage.json").read_text(encoding="utf-8"))
    package["resources"].append({"name": name, "path": f"{name}.csv", "profile": "tabular-data-resource",
                                 "title": f"{name} title", "description": f"{name} description", "schema": schema})
    (processed / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")


def test_every_table_of_the_datapackage_is_in_the_database_whole(site, processed):
    tables = {t["name"]: t["count"] for t in get_json(site, f"/{DATABASE}.json")["tables"] if not t["hidden"]}
    package = json.loads((processed / "datapackage.json").read_text(encoding="utf-8"))
    expected = [r["name"] for r in package["resources"] if r["profile"] == "tabular-data-resource"]
    assert sorted(tables) == sorted(expected)
    for name in expected:
        assert tables[name] == len(csv_frame(processed, name)), name


def test_a_table_added_to_the_datapackage_appears_with_its_types_and_facets(processed, tmp_path):
    schema = {"fields": [{"name": "province", "type": "string", "title": "省份", "description": "Province.",
                          "description_zh": "省级行政区。"},
                         {"name": "year", "type": "integer", "title": "年度", "description": "Year."},
                         {"name": "reports", "type": "integer", "title": "报告数", "description": "Reports."}],
              "primaryKey": ["province", "year"]}
    add_resource(processed, "summary", pd.DataFrame({"province": ["广东省", "湖北省"], "year": [2023, 2023],
                                                      "reports": [3, ""]}), schema)
    ds = datasette_app(processed, tmp_path / "data.db")
    table = get_json(ds, f"/{DATABASE}/summary.json?_shape=objects")
    assert table["rows"] == [{"province": "广东省", "year": 2023, "reports": 3},
                             {"province": "湖北省", "year": 2023, "reports": None}]
    assert set(table["facet_results"]) == {"province", "year"}
    meta = get_json(ds, "/-/metadata.json")["databases"][DATABASE]["tables"]["summary"]
    assert meta["title"] == "summary title" and meta["columns"]["province"] == "省份 · 省级行政区。 · Province."


def test_search_finds_exactly_the_facts_and_sections_with_the_words(site, processed):
    facts = csv_frame(processed, "facts")
    found = rows(site, f"/{DATABASE}/facts", _search=WORD)
    assert found and sorted(f["fact_id"] for f in found) == sorted(facts[facts.sentence.str.contains(WORD)].fact_id)
    sections = csv_frame(processed, "sections")
    with_word = sections[sections.text.str.contains(WORD) | sections.heading.str.contains(WORD)]
    found = rows(site, f"/{DATABASE}/sections", _search=WORD)
    assert len(found) == len(with_word) > 0


def test_facts_are_searched_by_their_sentence_when_the_build_has_one(processed, tmp_path):
    facts = csv_frame(processed, "facts")
    facts["sentence"] = facts.quote
    facts.loc[0, "sentence"] = "全年办结督察整改事项" + facts.loc[0, "quote"]
    facts.to_csv(processed / "facts.csv", index=False)
    package = json.loads((processed / "datapackage.json").read_text(encoding="utf-8"))
    resource = next(r for r in package["resources"] if r["name"] == "facts")
    resource["schema"]["fields"].append({"name": "sentence", "type": "string", "title": "原句",
                                         "description": "The sentence the number sits in."})
    (processed / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    ds = datasette_app(processed, tmp_path / "data.db")
    assert [f["fact_id"] for f in rows(ds, f"/{DATABASE}/facts", _search="督察整改")] == [facts.fact_id[0]]
    report = facts.report_id[0]
    listed = rows(ds, f"/{DATABASE}/report_facts", report_id=report)
    assert listed[0]["sentence"].startswith("全年办结督察整改事项")


def test_metadata_carries_the_schemas_bilingual_titles_and_descriptions(site):
    tables = get_json(site, "/-/metadata.json")["databases"][DATABASE]["tables"]
    for name in ("reports", "sections", "facts", "indicators", "checks"):
        schema = table_schema(name)
        assert tables[name]["title"] == schema["title"] and tables[name]["description"] == schema["description"]
        for field in schema["fields"]:
            description = tables[name]["columns"][field["name"]]
            assert field["description"] in description and field.get("description_zh", "") in description
    assert "from reports" in tables["facts"]["columns"]["year"]
    page = get(site, f"/{DATABASE}/facts").text
    assert table_schema("facts")["title"] in page and "数字所在的分句原文" in page
    css_url = get_json(site, "/-/metadata.json")["extra_css_urls"][0]
    assert css_url in page
    css = get(site, css_url).text  # row pages label each value with its column's title
    assert 'body.row.table-facts td.col-quote:before { content: "原文 quote"; }' in css


def test_facets_by_level_year_and_indicator_where_the_columns_mean_that(site, processed):
    assert set(get_json(site, f"/{DATABASE}/reports.json")["facet_results"]) == {"level", "year"}
    facts = get_json(site, f"/{DATABASE}/facts.json?_search={WORD}")["facet_results"]
    assert set(facts) == {"level", "year", "indicator_id"}
    frame = csv_frame(processed, "facts")
    expected = frame[frame.sentence.str.contains(WORD) & (frame.indicator_id != "")].indicator_id.value_counts()
    assert {v["value"]: v["count"] for v in facts["indicator_id"]["results"]} == expected.to_dict()
    # a section's integer level is its depth in the tree, not an administrative level
    assert set(get_json(site, f"/{DATABASE}/sections.json")["facet_results"]) == {"year"}


def test_a_fact_links_to_its_report_and_its_section(site, processed):
    fact = csv_frame(processed, "facts").query("section_id != '0'").iloc[0]
    page = get(site, f"/{DATABASE}/facts/{tilde_encode(fact.fact_id)}").text
    section_href = f"/{DATABASE}/sections/{tilde_encode(fact.report_id + '/' + fact.section_id)}"
    assert f'href="/{DATABASE}/reports/{fact.report_id}"' in page and f'href="{section_href}"' in page
    section = get_json(site, section_href + ".json?_shape=objects")["rows"][0]
    assert (section["report_id"], section["section_id"]) == (fact.report_id, fact.section_id)
    listing = get(site, f"/{DATABASE}/facts?_search={WORD}").text
    assert re.search(rf'<a href="/{DATABASE}/reports/r[0-9a-f]{{12}}">[^<]+</a>', listing)
    report_page = get(site, f"/{DATABASE}/reports/{fact.report_id}").text
    assert f'href="/{DATABASE}/facts?report_id={fact.report_id}"' in report_page


def test_canned_queries_give_one_indicator_across_places_and_one_reports_facts(site, processed):
    indicators = csv_frame(processed, "indicators")
    indicator = indicators.indicator_id.value_counts().index[0]
    found = rows(site, f"/{DATABASE}/indicator_across_places", indicator_id=indicator)
    expected = indicators[indicators.indicator_id == indicator]
    assert sorted(r["report_id"] for r in found) == sorted(expected.report_id)
    assert all(r["jurisdiction"] and r["year"] for r in found)
    facts = csv_frame(processed, "facts")
    report = facts.report_id.iloc[0]
    listed = rows(site, f"/{DATABASE}/report_facts", report_id=report)
    mine = facts[facts.report_id == report]
    assert [r["fact_id"] for r in listed] == sorted(mine.fact_id)
    assert [r["sentence"] for r in listed] == list(mine.sort_values("fact_id").sentence)


def test_the_front_page_searches_and_lists_the_queries(site):
    page = get(site, "/").text
    assert f'action="/{DATABASE}/facts"' in page and 'name="_search"' in page
    assert f'href="/{DATABASE}/indicator_across_places"' in page and "CC-BY-4.0" in page


def test_the_database_is_rebuilt_only_when_the_build_changes(processed, tmp_path):
    db = tmp_path / "data.db"
    build_database(processed, db)
    stamp = db.stat().st_mtime_ns
    assert build_database(processed, db).stat().st_mtime_ns == stamp
    facts = csv_frame(processed, "facts").iloc[:5]
    facts.to_csv(processed / "facts.csv", index=False)
    package = json.loads((processed / "datapackage.json").read_text(encoding="utf-8"))
    package["version"] = "changed"
    (processed / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    ds = datasette_app(processed, db)
    assert get_json(ds, f"/{DATABASE}/facts.json")["filtered_table_rows_count"] == 5


def test_no_build_or_a_missing_file_is_a_clear_error(processed, tmp_path, capsys):
    with pytest.raises(SiteError, match="make build"):
        build_database(tmp_path / "empty", tmp_path / "data.db")
    assert main(["serve", "--out-dir", str(tmp_path / "empty"), "--db", str(tmp_path / "data.db")]) == 2
    assert "make build" in capsys.readouterr().err
    (processed / "checks.csv").unlink()
    with pytest.raises(SiteError, match="checks.csv"):
        build_database(processed, tmp_path / "data.db")
    assert not (tmp_path / "data.db").exists()


def test_texts_with_line_breaks_copy_whole_across_read_blocks(processed, tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline.publish.site, "_BATCH_BYTES", 1 << 13)  # the fixture's sections: 12 blocks
    sections = csv_frame(processed, "sections")
    assert sections.text.str.contains("\n").any()
    db = sqlite_utils.Database(build_database(processed, tmp_path / "data.db"))
    copied = {(r["report_id"], r["section_id"]): r["text"] or "" for r in db["sections"].rows}
    assert copied == {(r.report_id, r.section_id): r.text for r in sections.itertuples()}


def test_serve_listens_on_localhost_unless_told_otherwise():
    from pipeline.run.cli import parser

    args = parser().parse_args(["serve"])
    assert (args.host, args.port, args.out_dir) == ("127.0.0.1", 8001, "processed")
    assert parser().parse_args(["serve", "--host", "0.0.0.0", "--port", "9000"]).port == 9000
