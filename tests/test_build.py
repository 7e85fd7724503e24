"""The build over an archive: table facts, reports read from their PDF attachment, and bad input that costs one
clear check row while the reports archived beside it still build."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from pdfmaker import make_pdf

from pipeline.extract.indicators import load_taxonomy
from pipeline.fetch.archive import Archive
from pipeline.model import Capture
from pipeline.rows import ReportRows, read_report_safely, report_id_for
from pipeline.run.build import collect_rows, frames_from_rows

PAGES = Path(__file__).parent / "fixtures" / "pages"
CORPUS = Path(__file__).parent / "fixtures" / "corpus"
SITE = "http://www.example.gov.cn/zwgk"
GOOD_URL = f"{SITE}/t20250212_1.html"


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


def rows_of(rows: ReportRows, url: str) -> ReportRows:
    """The rows one capture contributed, picked out of a whole build by its report id."""
    rid = report_id_for(Capture(sha256="", path="", url=url))
    return ReportRows(*([r for r in getattr(rows, t) if r["report_id"] == rid]
                        for t in ("reports", "sections", "facts", "indicators", "checks")))


def store_good_report(archive: Archive) -> None:
    archive.store((CORPUS / "futian-2024.txt").read_bytes(), url=GOOD_URL, content_type="text/plain; charset=utf-8",
                  kind="report")


def assert_good_report_built(rows: ReportRows) -> None:
    good = rows_of(rows, GOOD_URL)
    assert len(good.reports) == 1 and good.reports[0]["title"] == "福田区人民政府2024年法治政府建设年度报告"
    assert len(good.facts) > 50 and len(good.sections) > 20
    assert not [c for c in good.checks if c["severity"] == "error"]


# ---------------------------------------------------------------- tables


def table_page() -> bytes:
    return (PAGES / "table-of-numbers.html").read_bytes()


def test_html_table_cells_become_facts_with_header_subjects(tmp_path, taxonomy):
    archive = Archive(tmp_path)
    url = f"{SITE}/t20240320_7.html"
    archive.store(table_page(), url=url, content_type="text/html", kind="report")
    rows = rows_of(collect_rows(tmp_path, taxonomy), url)
    table = {f["subject"]: f for f in rows.facts if f["char_start"] is None}
    row_labels = ("行政复议案件", "行政诉讼败诉率", "规范性文件备案审查")
    assert set(table) == {f"{row} / 完成情况 / {year}" for row in row_labels for year in ("2022年", "2023年")}
    cases = table["行政复议案件 / 完成情况 / 2023年"]
    assert (cases["value"], cases["unit"], cases["kind"], cases["char_end"]) == (1187, "件", "count", None)
    assert cases["quote"] == "行政复议案件 1,024 1,187 件"
    assert cases["section_id"] == "0"
    rate = table["行政诉讼败诉率 / 完成情况 / 2022年"]
    assert (rate["value"], rate["unit"], rate["kind"]) == (6.8, "%", "rate")
    text_facts = [f for f in rows.facts if f["char_start"] is not None]
    ids = [f["fact_id"] for f in rows.facts]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert rows.facts[: len(text_facts)] == text_facts  # table facts come after the text's, ids continue
    assert rows.reports[0]["n_facts"] == len(rows.facts)
    facts = frames_from_rows(rows)["facts"]
    assert facts["char_start"].isna().sum() == 6 and facts["section_id"].notna().all()


# ---------------------------------------------------------------- attachments

REPORT_LINES = [
    "某某县2023年法治政府建设年度报告",
    "一、主要工作成效",
    "全年办理行政复议案件215件，同比增长18.1%，直接纠",
    "错率为9.3%，行政机关负责人出庭应诉率达到100%。",
    "二、存在的问题",
    "基层执法力量仍然不足，执法人员培训覆盖面有待提高。",
]


def stub_page(href: str) -> bytes:
    return (
        '<html><head><meta charset="utf-8"><title>某某县2023年法治政府建设年度报告</title></head><body>'
        f'<div class="TRS_Editor"><p>附件：<a href="{href}">报告全文</a></p></div></body></html>'
    ).encode()


def test_stub_page_is_read_from_its_pdf_attachment(tmp_path, taxonomy):
    archive = Archive(tmp_path)
    url = f"{SITE}/t20240301_1.html"
    archive.store(stub_page("files/report2023.pdf"), url=url, content_type="text/html", kind="report")
    archive.store(make_pdf(REPORT_LINES), url=f"{SITE}/files/report2023.pdf", content_type="application/pdf",
                  kind="attachment", parent_url=url)
    rows = collect_rows(tmp_path, taxonomy)
    assert len(rows.reports) == 1  # the attachment is no report of its own
    report = rows_of(rows, url)
    assert report.reports[0]["url"] == url
    assert report.reports[0]["title"] == "某某县2023年法治政府建设年度报告"
    facts = {(f["value"], f["unit"]): f for f in report.facts}
    assert {(215, "件"), (9.3, "%"), (100, "%")} <= set(facts)
    assert "行政复议案件" in facts[(215, "件")]["subject"] and facts[(215, "件")]["section_id"] == "1"
    assert [s["heading"] for s in report.sections if s["level"] == 1] == ["一、主要工作成效", "二、存在的问题"]


def test_stub_page_without_its_attachment_has_no_facts(tmp_path, taxonomy):
    archive = Archive(tmp_path)
    url = f"{SITE}/t20240301_2.html"
    archive.store(stub_page("files/missing.pdf"), url=url, content_type="text/html", kind="report")
    rows = rows_of(collect_rows(tmp_path, taxonomy), url)
    assert rows.facts == [] and rows.reports[0]["n_chars"] < 20


def test_unreadable_attachment_of_a_stub_page_is_a_check(tmp_path, taxonomy):
    archive = Archive(tmp_path)
    url = f"{SITE}/t20240301_3.html"
    archive.store(stub_page("files/broken.pdf"), url=url, content_type="text/html", kind="report")
    archive.store(b"%PDF-1.4 cut short", url=f"{SITE}/files/broken.pdf", content_type="application/pdf",
                  kind="attachment", parent_url=url)
    checks = rows_of(collect_rows(tmp_path, taxonomy), url).checks
    assert [(c["check"], c["severity"]) for c in checks if c["check"] != "unknown_jurisdiction"] == [
        ("unreadable_attachment", "warning")]  # 某某县 is no division: its own check
    assert "files/broken.pdf" in checks[0]["message"]


# ---------------------------------------------------------------- bad input


def gbk_page_labelled_utf8() -> bytes:
    return (PAGES / "trs-gbk-no-meta.html").read_bytes().replace(b"<head>", b'<head><meta charset="utf-8">')


def truncated_page() -> bytes:
    data = (PAGES / "trs-gbk-no-meta.html").read_bytes()
    return data[: data.index("三、存在的问题".encode("gbk")) - 8]


def fifty_megabyte_page() -> bytes:
    head = (PAGES / "trs-gbk-no-meta.html").read_bytes().decode("gbk")
    pad = '<div class="pad"><a href="/x">链接</a></div>' * (50 * 1024 * 1024 // 45)
    return head.replace('<div id="bottom">', pad + '<div id="bottom">').encode("utf-8")


def navigation_only_page() -> bytes:
    links = "".join(f'<li><a href="/n/{i}.html">某某县召开第{i}次常务会议研究部署重点工作</a></li>' for i in range(20))
    return (f'<html><head><meta charset="utf-8"><title>某某县人民政府</title></head><body><ul class="list">{links}'
            "</ul><div class=\"footer\">版权所有 某某县人民政府</div></body></html>").encode()


BAD_INPUTS = {  # name: (bytes, content type, expected check, severity, words of the message)
    "empty": (lambda: b"", "text/html", "unreadable_page", "error", "empty capture"),
    "binary": (lambda: random.Random(3).randbytes(30000), "text/html", "unreadable_page", "error", "binary data"),
    "truncated": (truncated_page, "text/html", "capture_truncated", "warning", "cut off"),
    "gbk-as-utf8": (gbk_page_labelled_utf8, "text/html; charset=utf-8", "charset_mislabelled", "warning", "utf-8"),
    "fifty-mb": (fifty_megabyte_page, "text/html", "page_truncated", "warning", "cut at"),
    "no-report": (navigation_only_page, "text/html", "unreadable_page", "error", "no main text"),
}


@pytest.fixture(scope="module")
def bad_archive_rows(tmp_path_factory, taxonomy) -> ReportRows:
    """One archive holding every bad input beside a good report, built once."""
    raw = tmp_path_factory.mktemp("raw")
    archive = Archive(raw)
    store_good_report(archive)
    for name, (make, content_type, *_) in BAD_INPUTS.items():
        archive.store(make(), url=f"{SITE}/{name}.html", content_type=content_type, kind="report")
    return collect_rows(raw, taxonomy)


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_gets_a_clear_check_row(bad_archive_rows, name):
    _, _, check, severity, words = BAD_INPUTS[name]
    url = f"{SITE}/{name}.html"
    rows = rows_of(bad_archive_rows, url)
    found = [c for c in rows.checks if c["check"] == check]
    assert len(found) == 1, rows.checks
    assert found[0]["severity"] == severity
    assert found[0]["message"].startswith(f"{url}: ") and words in found[0]["message"]
    assert not [c for c in rows.checks if c["check"] == "build_failed"]
    if severity == "warning":  # worked around: the report is there, with its facts, or is a mirror of it
        mirrors = {m["url"] for m in bad_archive_rows.mirrors}  # these three captures are one report's text
        assert len(rows.reports) == 1 and any(f["value"] == 3452 for f in rows.facts) or url in mirrors
    else:
        assert rows.reports == [] and rows.facts == []


def test_good_report_builds_beside_bad_input(bad_archive_rows):
    assert_good_report_built(bad_archive_rows)
    frames = frames_from_rows(bad_archive_rows)
    worked_around = [name for name, (*_, severity, _) in BAD_INPUTS.items() if severity == "warning"]
    assert len(frames["reports"]) + len(frames["mirrors"]) == 1 + len(worked_around)
    assert len(frames["reports"]) == 2  # the good report, and one report whose other captures are its mirrors


def test_read_report_safely_turns_an_adapter_crash_into_a_check(taxonomy, monkeypatch):
    def explode(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("pipeline.rows.extract_facts", explode)
    capture = Capture(sha256="1" * 64, path="x", url=GOOD_URL, content_type="text/plain")
    rows = read_report_safely(capture, (CORPUS / "futian-2024.txt").read_bytes(), {}, taxonomy)
    assert rows.reports == [] and [c["check"] for c in rows.checks] == ["build_failed"]
    assert rows.checks[0]["message"] == f"{GOOD_URL}: RuntimeError: boom"
