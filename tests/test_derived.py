"""captures, coverage and panel: derived after the build from its files, the archive and the catalogue."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from pipeline.extract.indicators import load_taxonomy
from pipeline.fetch.archive import MANIFEST_FIELDS, Archive
from pipeline.fetch.catalogue import write_catalogue
from pipeline.publish.derived import captures_frame, package_sources, source_title
from pipeline.publish.panel import PANEL_PATH, panel_schema_text
from pipeline.publish.pinyin import romanize
from pipeline.publish.schemas import column_names

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
FUTIAN_URL = "https://www.szft.gov.cn/xxgk/zwgk/fzzfjsndbg/content/post_1.html"
LISTING = "https://www.szft.gov.cn/xxgk/zwgk/fzzfjsndbg/"
HAND_SOURCE = "a public repository of report texts (data/); signed 2019年12月18日; original URL unknown"


def make_archive(raw: Path) -> dict[str, str]:
    """A small archive: Futian 2024 fetched from a listing, Longhua 2019 archived by hand with a stated source,
    and a catalogued Luohu 2024 report that was never fetched. Returns the sha256 of each capture."""
    archive = Archive(raw)
    futian = archive.store((CORPUS / "futian-2024.txt").read_bytes(), url=FUTIAN_URL, final_url=FUTIAN_URL,
                           content_type="text/plain", kind="report", fetched_at="2025-03-01T08:00:00Z")
    longhua = archive.store((CORPUS / "longhua-2019.txt").read_bytes(), content_type="text/plain", kind="report",
                            source=HAND_SOURCE, fetched_at="2025-03-02T08:00:00Z")
    write_catalogue(raw / "sources.csv", [
        {"kind": "report", "url": FUTIAN_URL, "jurisdiction": "福田区", "parent": "深圳市", "level": "district",
         "year": "2024", "found_on": LISTING},
        {"kind": "report", "sha256": longhua.sha256, "jurisdiction": "龙华区", "parent": "深圳市",
         "level": "district", "year": "2019", "source": HAND_SOURCE},
        {"kind": "report", "url": "http://www.szlh.gov.cn/report-2024.html", "jurisdiction": "罗湖区",
         "parent": "深圳市", "level": "district", "year": "2024"},
        {"kind": "listing", "url": LISTING, "jurisdiction": "福田区", "parent": "深圳市", "level": "district"},
    ])
    return {"futian": futian.sha256, "longhua": longhua.sha256}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from pipeline.run.build import build

    root = tmp_path_factory.mktemp("derived")
    shas = make_archive(root / "raw")
    build(root / "raw", root / "processed", workers=1, use_cache=False)
    return root / "processed", shas


def table(out: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(out / f"{name}.parquet")


def test_captures_say_where_each_report_came_from(built):
    out, shas = built
    captures = table(out, "captures").set_index("sha256")
    futian, longhua = captures.loc[shas["futian"]], captures.loc[shas["longhua"]]
    assert futian["url"] == FUTIAN_URL and futian["found_on"] == LISTING and pd.isna(futian["source"])
    assert futian["fetched_at"] == "2025-03-01T08:00:00Z" and futian["kind"] == "report"
    assert pd.isna(longhua["url"]) and longhua["source"] == HAND_SOURCE
    assert not captures["withdrawn"].any()
    reports = table(out, "reports")
    assert set(reports["raw_sha256"]) <= set(captures.index)


def test_coverage_has_every_government_of_each_year_and_its_funnel(built):
    out, _ = built
    coverage = table(out, "coverage")
    assert sorted(coverage["year"].unique()) == [2019, 2024]
    per_year = coverage.groupby("year").size()
    assert per_year[2024] == per_year[2019] > 3000  # every province, city and county-level division
    assert {"710000", "810000", "820000"}.isdisjoint(set(coverage["division_code"]))
    row = coverage.set_index(["year", "government"]).loc
    futian = row[(2024, "福田区")]
    assert futian["parsed"] and futian["archived"] and futian["in_catalogue"] and futian["n_indicators"] > 0
    assert futian["division_code"] == "440304" and futian["province"] == "广东省" and futian["parent"] == "深圳市"
    luohu = row[(2024, "罗湖区")]
    assert luohu["in_catalogue"] and not luohu["archived"] and not luohu["parsed"] and luohu["n_indicators"] == 0
    by_code = coverage.set_index(["year", "division_code"]).loc
    assert by_code[(2019, "440309")]["parsed"] and not by_code[(2019, "460106")]["parsed"]  # 龙华区 of 深圳, of 海口
    assert not row[(2019, "福田区")]["in_catalogue"]
    assert str(coverage["level"].dtype) == "category" and str(coverage["parsed"].dtype) == "boolean"
    guangdong = row[(2024, "广东省")]
    assert guangdong["level"] == "province" and guangdong["province"] == "广东省" and pd.isna(guangdong["parent"])


def test_panel_has_a_row_per_report_and_a_column_per_indicator(built):
    out, _ = built
    panel, reports, indicators = table(out, "panel"), table(out, "reports"), table(out, "indicators")
    taxonomy = load_taxonomy()
    assert list(panel.columns) == column_names("panel")
    assert [c for c in panel.columns][-len(taxonomy):] == [i.id for i in taxonomy]
    assert sorted(panel["report_id"]) == sorted(reports["report_id"])
    futian = panel.set_index("report_id").loc[reports.loc[reports["jurisdiction"] == "福田区", "report_id"].iloc[0]]
    assert futian["jurisdiction_pinyin"] == "Futian Qu" and futian["province"] == "广东省"
    assert futian["province_pinyin"] == "Guangdong Sheng" and futian["parent_pinyin"] == "Shenzhen Shi"
    for row in indicators.itertuples():
        assert panel.set_index("report_id").loc[row.report_id, row.indicator_id] == row.value
    assert str(panel[taxonomy[0].id].dtype) == "Float64"


def test_datapackage_describes_the_derived_tables_and_lists_every_source_once(built):
    from frictionless import validate

    out, _ = built
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    names = [r["name"] for r in package["resources"]]
    assert {"captures", "coverage", "panel", "panel-parquet"} <= set(names) and len(names) == len(set(names))
    panel = next(r for r in package["resources"] if r["name"] == "panel")
    titles = {f["name"]: f["title"] for f in panel["schema"]["fields"]}
    assert titles["admin_reconsideration_received"] == load_taxonomy()[0].name_zh
    assert package["sources"] == [{"title": "a public repository of report texts (data/)"},
                                  {"title": "www.szft.gov.cn", "path": "https://www.szft.gov.cn/"}]
    report = validate(str(out / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "message"])


def test_codebook_explains_coverage_and_names_the_panel_indicators(built):
    out, _ = built
    codebook = (out / "CODEBOOK.md").read_text(encoding="utf-8")
    assert "## coverage" in codebook and "funnel" in codebook and "## panel" in codebook
    assert f"| `admin_reconsideration_received` | {load_taxonomy()[0].name_zh} |" in codebook


def test_a_withdrawn_capture_is_marked(tmp_path):
    shas = make_archive(tmp_path)
    with open(tmp_path / "manifest.csv", "a", newline="", encoding="utf-8") as handle:
        csv.DictWriter(handle, MANIFEST_FIELDS, lineterminator="\n").writerow(
            {"url": FUTIAN_URL, "sha256": shas["futian"], "status": "withdrawn", "fetched_at": "2025-04-01T00:00:00Z"})
    captures = captures_frame(tmp_path).set_index("sha256")
    assert captures.loc[shas["futian"], "withdrawn"] and not captures.loc[shas["longhua"], "withdrawn"]
    assert captures.loc[shas["futian"], "fetched_at"] == "2025-03-01T08:00:00Z"  # the capture, not the withdrawal


def test_sources_are_hosts_or_stated_sources_without_their_details():
    assert source_title({"url": "http://www.gd.gov.cn/a/b.html"}) == "www.gd.gov.cn"
    assert source_title({"url": "", "source": "repo X (data/); signed 2022年1月5日"}) == "repo X (data/)"
    captures = pd.DataFrame({"url": [None, None, "http://a.gov.cn/1", "http://a.gov.cn/2"],
                             "source": ["repo X; one", "repo X; two", None, None]})
    assert package_sources(captures) == [{"title": "a.gov.cn", "path": "http://a.gov.cn/"}, {"title": "repo X"}]


@pytest.mark.parametrize(("name", "pinyin"), [
    ("福田区", "Futian Qu"), ("西安市", "Xi'an Shi"), ("广东省", "Guangdong Sheng"), ("长宁区", "Changning Qu"),
    ("内蒙古自治区", "Neimenggu Zizhiqu"), ("绿春县", "Lüchun Xian"), ("华富街道", "hua fu jie dao"), ("", ""),
])
def test_place_names_in_pinyin(name, pinyin):
    assert romanize(name) == pinyin


def test_the_committed_panel_schema_is_current():
    assert PANEL_PATH.read_text(encoding="utf-8") == panel_schema_text(), "run `make suites` and commit the diff"


def test_cli_coverage_prints_by_province_and_level(built, capsys):
    from pipeline.run.cli import main

    out, _ = built
    assert main(["coverage", "--out-dir", str(out), "--year", "2024"]) == 0
    printed = capsys.readouterr().out.splitlines()
    guangdong = next(line for line in printed if line.startswith("广东省") and " district " in line)
    governments, catalogued, archived, parsed, with_indicators = map(int, guangdong.split()[2:])
    assert catalogued == 2 and archived == parsed == with_indicators == 1 and governments > 50
    assert printed[-1].startswith("total")
    assert main(["coverage", "--out-dir", str(out.parent / "nothing")]) == 2


def test_each_fact_carries_the_whole_sentence_it_sits_in():
    from pipeline.model import Capture
    from pipeline.rows import read_report

    data = (CORPUS / "guangming-2021.txt").read_bytes()
    capture = Capture(sha256="0" * 64, path="guangming.txt", content_type="text/plain")
    facts = read_report(capture, data, {"jurisdiction": "光明区", "parent": "深圳市", "level": "district",
                                        "year": "2021"}, load_taxonomy()).facts
    cases = next(f for f in facts if f["quote"].endswith("各街道涉及行政诉讼案件80宗"))
    assert cases["sentence"] == "2021年光明区政府及各部门、各街道涉及行政诉讼案件80宗，行政机关负责人出庭应诉案件19宗。"
    text = data.decode("utf-8")
    for fact in facts:
        assert fact["quote"] in fact["sentence"] and fact["sentence"] in text
        assert fact["sentence"].count("。") <= 1


def test_a_new_catalogue_row_rebuilds_coverage_though_no_capture_changed(tmp_path):
    from pipeline.fetch.catalogue import read_catalogue
    from pipeline.run.build import build

    make_archive(tmp_path / "raw")
    out = tmp_path / "processed"
    build(tmp_path / "raw", out, workers=1)
    assert build(tmp_path / "raw", out, workers=1).stats.outputs_reused
    rows = read_catalogue(tmp_path / "raw" / "sources.csv")
    write_catalogue(tmp_path / "raw" / "sources.csv", rows + [
        {"kind": "report", "url": "http://www.szns.gov.cn/2024.html", "jurisdiction": "南山区", "parent": "深圳市",
         "level": "district", "year": "2024"}])
    again = build(tmp_path / "raw", out, workers=1)
    assert not again.stats.outputs_reused and again.stats.cache_misses == 0  # nothing parsed again
    coverage = table(out, "coverage").set_index(["year", "division_code"])
    assert coverage.loc[(2024, "440305"), "in_catalogue"] and not coverage.loc[(2024, "440305"), "archived"]
