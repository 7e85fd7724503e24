"""One report, one row: captures of one report on several sites are its mirrors; a report_id that stays put."""

from __future__ import annotations

import html
import itertools
from pathlib import Path

import pandas as pd
import pytest

from pipeline.extract.indicators import load_taxonomy
from pipeline.fetch.archive import Archive
from pipeline.model import Capture
from pipeline.publish.export import export_tables
from pipeline.publish.schemas import TABLES, typed_frame
from pipeline.rows import report_id_for
from pipeline.run import mirrors as mirrors_module
from pipeline.run.build import build, collect_rows, frames_from_rows, merged_checks, sorted_frame
from pipeline.run.mirrors import Record, RecordSpool, group_mirrors, record_of, similarity, sketch, spooled_plan

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
TEXT = (CORPUS / "futian-2024.txt").read_text(encoding="utf-8")
COUNTY_SITE = "http://www.example-county.gov.cn/zwgk/t20250212_1.html"
CITY_SITE = "http://sfj.example-city.gov.cn/fzzf/t20250213_9.html"
TEXT_URL = "http://www.example-county.gov.cn/text/2024.txt"


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


def as_html(text: str, site: str) -> bytes:
    """The report as another site's page: its own chrome around the same text."""
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())
    return (f'<html><head><meta charset="utf-8"><title>{html.escape(text.splitlines()[0])}_{site}</title></head>'
            f'<body><div class="nav"><a href="/">首页</a> &gt; <a href="/zwgk">政务公开</a></div>'
            f'<div class="TRS_Editor">{paragraphs}</div><div class="footer">版权所有 {site}</div></body></html>'
            ).encode()


def archive_three_captures(raw: Path, order: tuple[str, ...] = ("county", "city", "text")) -> None:
    archive = Archive(raw)
    stores = {
        "county": lambda t: archive.store(as_html(TEXT, "某区人民政府"), url=COUNTY_SITE, content_type="text/html",
                                          kind="report", fetched_at=t),
        "city": lambda t: archive.store(as_html(TEXT, "某市司法局"), url=CITY_SITE, content_type="text/html",
                                        kind="report", fetched_at=t),
        "text": lambda t: archive.store(TEXT.encode("utf-8"), url=TEXT_URL, content_type="text/plain; charset=utf-8",
                                        kind="report", fetched_at=t),
    }
    for n, name in enumerate(order):
        stores[name](f"2025-03-0{n + 1}T08:00:00Z")


def test_one_report_archived_three_times_is_one_row_with_two_mirrors(tmp_path, taxonomy):
    archive_three_captures(tmp_path)
    frames = frames_from_rows(collect_rows(tmp_path, taxonomy))
    canonical = report_id_for(Capture("", "", url=COUNTY_SITE))  # the earliest fetched
    assert frames["reports"]["report_id"].tolist() == [canonical]
    assert frames["reports"].loc[0, "jurisdiction"] == "福田区"
    assert sorted(frames["mirrors"]["url"]) == sorted([CITY_SITE, TEXT_URL])
    assert set(frames["mirrors"]["report_id"]) == {canonical}
    assert (frames["mirrors"]["similarity"] >= 0.6).all()
    indicators = frames["indicators"]
    assert len(indicators) > 0 and set(indicators["report_id"]) == {canonical}
    assert not indicators["indicator_id"].duplicated().any()  # one set of indicator rows
    assert set(frames["facts"]["report_id"]) == {canonical} and set(frames["sections"]["report_id"]) == {canonical}


def test_report_id_stays_when_a_mirror_is_added_later(tmp_path, taxonomy):
    archive = Archive(tmp_path)
    archive.store(as_html(TEXT, "某区人民政府"), url=COUNTY_SITE, content_type="text/html", kind="report",
                  fetched_at="2025-03-01T08:00:00Z")
    before = frames_from_rows(collect_rows(tmp_path, taxonomy))["reports"]["report_id"].tolist()
    archive.store(as_html(TEXT, "某市司法局"), url=CITY_SITE, content_type="text/html", kind="report",
                  fetched_at="2025-03-09T08:00:00Z")
    after = frames_from_rows(collect_rows(tmp_path, taxonomy))
    assert after["reports"]["report_id"].tolist() == before
    assert after["mirrors"]["url"].tolist() == [CITY_SITE]


def record(rid: str, text: str, fetched: str = "2025-03-01", jurisdiction: str = "福田区", year: int | None = 2024,
           code: str = "440304", flagged: bool = False) -> Record:
    return Record(rid, f"http://{rid}.gov.cn/", rid * 4, fetched, jurisdiction, "district", code, year, sketch(text),
                  flagged)


OTHER = "2024年，本区坚持依法行政，推进政务公开，全年办理行政复议案件120件，行政诉讼案件45件，开展普法活动300场次。" * 8


def test_different_texts_with_one_claim_keep_their_rows_and_get_a_check():
    plan = group_mirrors([record("ra", TEXT), record("rb", OTHER)])
    assert plan.dropped == set() and plan.mirrors == []
    assert sorted(c["report_id"] for c in plan.checks) == ["ra", "rb"]
    assert {c["check"] for c in plan.checks} == {"same_jurisdiction_and_year"}


def test_same_text_of_other_years_or_places_is_no_mirror():
    assert group_mirrors([record("ra", TEXT), record("rb", TEXT, year=2023)]).dropped == set()
    elsewhere = record("rb", TEXT, jurisdiction="南山区", code="440305")
    assert group_mirrors([record("ra", TEXT), elsewhere]).dropped == set()
    assert group_mirrors([record("ra", TEXT, year=None), record("rb", TEXT, year=None)]).dropped == set()


def test_the_earliest_fetched_capture_is_the_report_whatever_the_order():
    records = [record("rb", TEXT, fetched="2025-03-05"), record("ra", TEXT + "附件：无", fetched="2025-03-01")]
    for ordered in (records, records[::-1]):
        plan = group_mirrors(ordered)
        assert plan.dropped == {"rb"} and [m["report_id"] for m in plan.mirrors] == ["ra"]


def test_a_flagged_capture_never_displaces_a_sound_copy_of_its_report():
    freak = record("ra", TEXT * 3, fetched="2025-03-01", flagged=True)
    sound = record("rb", TEXT, fetched="2025-03-05")
    for ordered in ([freak, sound], [sound, freak]):
        plan = group_mirrors(ordered)
        assert plan.dropped == {"ra"} and [m["report_id"] for m in plan.mirrors] == ["rb"]
    later_freak = record("rc", TEXT * 3, fetched="2025-03-09", flagged=True)
    assert group_mirrors([later_freak, freak]).dropped == {"rc"}  # no sound copy: the earliest flagged one


def test_an_error_on_the_capture_itself_flags_it_and_an_error_on_a_number_does_not():
    rows = {"reports": [{"report_id": "ra"}], "sections": [{"text": TEXT}],
            "checks": [{"check": "implausible_page", "severity": "error", "fact_id": ""}]}
    assert record_of(rows, "2025-03-01").flagged
    rows["checks"] = [{"check": "rate_disagrees_with_counts", "severity": "error", "fact_id": "ra-0001"},
                      {"check": "same_jurisdiction_and_year", "severity": "warning", "fact_id": ""}]
    assert not record_of(rows, "2025-03-01").flagged


def test_sketch_similarity_separates_reposts_from_other_reports():
    repost = "首页 > 政务公开\n" + TEXT + "\n版权所有 某市人民政府 网站标识码 4403000001"
    assert similarity(sketch(TEXT), sketch(repost)) > 0.9
    assert similarity(sketch(TEXT), sketch(OTHER)) < 0.2
    assert similarity(sketch(""), sketch(TEXT)) == 0.0


@pytest.mark.parametrize("rows_at_once", [1, 10_000])
def test_records_read_back_from_the_spool_are_those_that_share_a_claim(tmp_path, monkeypatch, rows_at_once):
    monkeypatch.setattr(mirrors_module, "READ_BACK_ROWS", rows_at_once)
    spool = RecordSpool(tmp_path / "records.parquet")
    mirrored = [record("ra", TEXT), record("rb", TEXT, fetched="2025-03-02")]
    alone = [record("rc", TEXT, year=2023), record("rd", OTHER, jurisdiction="南山区", code="440305", flagged=True),
             record("re", TEXT, year=None)]
    spool.extend([mirrored[0], *alone[:2]])
    spool.extend([])
    spool.extend([mirrored[1], alone[2]])
    spool.extend([record("rf", OTHER, year=2023)])  # a second shared claim
    shared = list(spool.sharing_a_claim())
    assert [[r.report_id for r in claim] for claim in shared] == [["rc", "rf"], ["ra", "rb"]]  # a claim whole
    assert shared[1] == mirrored  # every field as it was, the sketch too
    assert spooled_plan(spool) == group_mirrors([*mirrored, *alone, record("rf", OTHER, year=2023)])


def checks_frame(rows: list[tuple[str, str | None, str]]) -> pd.DataFrame:
    return typed_frame("checks", [{"report_id": r, "fact_id": f, "check": c, "severity": "warning",
                                   "message": f"{r} {c}"} for r, f, c in rows])


def test_checks_merged_batch_by_batch_are_in_the_order_of_one_sort():
    staged = checks_frame([("r1", None, "b"), ("r2", None, "a"), ("r2", None, "t"), ("r2", "f1", "a"),
                           ("r3", None, "c"), ("r3", "f9", "c"), ("r5", None, "a")])
    added = checks_frame([("r6", None, "z"), ("r2", None, "same"), ("r0", None, "a"), ("r3", None, "c"),
                          ("r4", None, "x")])
    whole = sorted_frame("checks", pd.concat([staged, added], ignore_index=True))
    for cuts in ([0, 7], [0, 2, 4, 7], list(range(8)), [0, 0, 3, 7]):  # a report's rows split between batches
        batches = (staged.iloc[a:b] for a, b in itertools.pairwise(cuts))
        merged = pd.concat(list(merged_checks(batches, added)), ignore_index=True)
        pd.testing.assert_frame_equal(merged, whole)


def test_a_streamed_build_drops_mirrors_as_reading_in_memory_does(tmp_path, taxonomy):
    raw = tmp_path / "raw"
    archive_three_captures(raw)
    rival = "\n".join(TEXT.splitlines()[:8]) + "\n" + OTHER  # the same title and page head, another text
    Archive(raw).store(as_html(rival, "某区人民政府"), url="http://www.example-county.gov.cn/zwgk/other.html",
                       content_type="text/html", kind="report", fetched_at="2025-03-04T08:00:00Z")
    in_memory = frames_from_rows(collect_rows(raw, taxonomy))
    result = build(raw, tmp_path / "out", workers=1, use_cache=False)
    assert result.rows["reports"] == 2 and result.rows["mirrors"] == 2
    assert result.check_counts["same_jurisdiction_and_year"] == 2  # merged into the staged checks
    export_tables(in_memory, tmp_path / "in-memory", [])
    for table in TABLES:  # the same rows in the same order: the same bytes
        for fmt in ("csv", "parquet"):
            name = f"{table}.{fmt}"
            assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "in-memory" / name).read_bytes(), name
