"""The catalogue reads, merges and writes raw/sources.csv without losing what it knew."""

import pytest

from pipeline.fetch.catalogue import CatalogueError, merge_rows, read_catalogue, report_entries, write_catalogue


def test_round_trip_and_merge_fills_empty_fields(tmp_path):
    path = tmp_path / "sources.csv"
    write_catalogue(path, [{"kind": "report", "url": "http://a.gov.cn/1.html", "jurisdiction": "某区"}])
    rows = merge_rows(read_catalogue(path), [
        {"kind": "report", "url": "http://a.gov.cn/1.html", "jurisdiction": "别的", "year": "2023"},
        {"kind": "report", "url": "http://a.gov.cn/2.html", "found_on": "http://a.gov.cn/"},
    ])
    write_catalogue(path, rows)
    again = read_catalogue(path)
    assert [r["url"] for r in again] == ["http://a.gov.cn/1.html", "http://a.gov.cn/2.html"]
    assert again[0]["jurisdiction"] == "某区" and again[0]["year"] == "2023"
    assert again[1]["found_on"] == "http://a.gov.cn/"


def test_bad_kind_names_the_line(tmp_path):
    path = tmp_path / "sources.csv"
    path.write_text("kind,url\nreport,http://a.gov.cn/\npage,http://b.gov.cn/\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"sources.csv:3: kind"):
        read_catalogue(path)


def test_entry_found_by_url_or_sha256():
    rows = [{"kind": "report", "url": "", "sha256": "ab" * 32, "jurisdiction": "光明区"},
            {"kind": "listing", "url": "http://a.gov.cn/", "sha256": ""}]
    entry = report_entries(rows)
    assert entry("", "ab" * 32)["jurisdiction"] == "光明区"
    assert entry("http://a.gov.cn/", "") == {}


def test_site_rows_and_what_list_rows_showed_round_trip(tmp_path):
    path = tmp_path / "sources.csv"
    write_catalogue(path, [{"kind": "site", "url": "https://www.a.gov.cn/", "jurisdiction": "某区"},
                           {"kind": "report", "url": "https://www.a.gov.cn/t1.html", "doc_number": "某府〔2024〕1号",
                            "written": "2024-02-01", "column": "法治政府建设年度报告"}])
    site, report = read_catalogue(path)
    assert site["kind"] == "site"
    assert (report["doc_number"], report["written"], report["column"]) == ("某府〔2024〕1号", "2024-02-01",
                                                                           "法治政府建设年度报告")
