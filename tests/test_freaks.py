"""Freak pages: a capture far beyond what real reports look like is flagged, cut down to size and kept out of
`indicators`, while the real report beside it builds as it does alone; a parse that runs too long is cut off."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

import pipeline.extract.plausibility as plausibility
import pipeline.rows as rows_module
from pipeline.extract.indicators import load_taxonomy
from pipeline.fetch.archive import Archive
from pipeline.model import Capture, Check
from pipeline.rows import check_row, read_report, read_report_safely, report_id_for
from pipeline.run.build import build

TESTS = Path(__file__).parent
CORPUS = TESTS / "fixtures" / "corpus"
REAL_TEXTS = sorted([*CORPUS.glob("*.txt"), *TESTS.glob("heldout*/*.txt")])
REFERENCE_URL = "http://www.example.gov.cn/fzzf/t20250212_1.html"
FREAK_URL = "http://www.example.gov.cn/fzzf/t20250212_2.html"
TEXT = "text/plain; charset=utf-8"


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


def text_capture(url: str) -> Capture:
    return Capture(sha256="0" * 64, path="", url=url, content_type=TEXT, kind="report")


def freak_bytes(copies: int) -> bytes:
    """The reference report's text capture with its body (from the first paragraph to the share buttons)
    repeated `copies` times: one report's body pasted over and over."""
    lines = (CORPUS / "futian-2024.txt").read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(lines) if len(line) >= 60)
    end = next(i for i, line in enumerate(lines) if line.startswith("分享到"))
    body = "\n".join(lines[start:end]) + "\n"
    return ("\n".join(lines[:start]) + "\n" + body * copies + "\n".join(lines[end:])).encode("utf-8")


@pytest.fixture(scope="module")
def freak_build(tmp_path_factory, taxonomy):
    """The reference report and a freak of 200 copies of its body (2.4 MB), built together; and the
    reference report read alone."""
    root = tmp_path_factory.mktemp("freak")
    archive = Archive(root / "raw")
    archive.store((CORPUS / "futian-2024.txt").read_bytes(), url=REFERENCE_URL, content_type=TEXT, kind="report")
    archive.store(freak_bytes(200), url=FREAK_URL, content_type=TEXT, kind="report")
    build(root / "raw", root / "out", workers=1, use_cache=False)
    tables = {t: pd.read_parquet(root / "out" / f"{t}.parquet") for t in ("facts", "indicators", "checks")}
    alone = read_report(text_capture(REFERENCE_URL), (CORPUS / "futian-2024.txt").read_bytes(), {}, taxonomy)
    return tables, alone


def of(frame: pd.DataFrame, url: str) -> pd.DataFrame:
    return frame[frame["report_id"] == report_id_for(text_capture(url))]


def test_the_freak_is_flagged_naming_what_was_odd(freak_build):
    tables, _ = freak_build
    flagged = of(tables["checks"], FREAK_URL)
    flagged = flagged[flagged["check"] == plausibility.CHECK]
    assert len(flagged) == 1 and flagged["severity"].iloc[0] == "error"
    assert "repeated paragraphs" in flagged["message"].iloc[0]
    assert flagged["value"].iloc[0] > 0.9 and flagged["limit"].iloc[0] == plausibility.MAX_REPEATED_SHARE


def test_the_freak_is_kept_out_of_indicators_and_cannot_dominate(freak_build):
    tables, alone = freak_build
    assert of(tables["indicators"], FREAK_URL).empty and not of(tables["indicators"], REFERENCE_URL).empty
    assert len(of(tables["facts"], FREAK_URL)) <= len(alone.facts)  # its repeats collapsed, not 200 times


def test_the_reference_report_keeps_its_facts_beside_the_freak(freak_build):
    tables, alone = freak_build
    assert len(alone.facts) > 50
    assert len(of(tables["facts"], REFERENCE_URL)) == len(alone.facts)
    assert len(of(tables["indicators"], REFERENCE_URL)) == len(alone.indicators)


def test_no_check_message_is_longer_than_the_cap(freak_build):
    tables, _ = freak_build
    assert tables["checks"]["message"].str.len().max() <= plausibility.MAX_MESSAGE_CHARS


@pytest.mark.parametrize("path", REAL_TEXTS, ids=lambda p: p.name)
def test_no_real_report_is_beyond_a_limit(path, taxonomy):
    rows = read_report(text_capture(f"http://www.example.gov.cn/{path.stem}.html"), path.read_bytes(), {}, taxonomy)
    assert not [c for c in rows.checks if c["check"] == plausibility.CHECK]


def test_text_beyond_the_length_limit_is_cut_at_a_line_break(monkeypatch):
    monkeypatch.setattr(plausibility, "MAX_TEXT_CHARS", 100)
    text = "\n".join(f"第{i}段，内容各不相同。" for i in range(50))
    cut, oddities = plausibility.plausible_text(text)
    assert len(cut) <= 100 and text.startswith(cut) and text[len(cut)] == "\n"
    assert [(o.what, o.value, o.limit) for o in oddities] == [("text length", len(text), 100)]


def test_dense_numbers_are_odd_only_in_a_text_long_enough_to_tell():
    limit = plausibility.MAX_FACTS_PER_KCHAR
    assert plausibility.fact_oddities(int(limit) * 3, 2_000) != []
    assert plausibility.fact_oddities(int(limit) * 2, 2_000) == []
    assert plausibility.fact_oddities(100, 500) == []  # a short table of numbers
    (too_many,) = plausibility.fact_oddities(plausibility.MAX_FACTS + 1, 10**6)
    assert too_many.value == plausibility.MAX_FACTS + 1


def test_facts_are_capped_per_capture(monkeypatch, taxonomy):
    monkeypatch.setattr(rows_module, "MAX_FACTS", 10)
    monkeypatch.setattr(plausibility, "MAX_FACTS", 10)
    rows = read_report(text_capture(REFERENCE_URL), (CORPUS / "futian-2024.txt").read_bytes(), {}, taxonomy)
    assert len(rows.facts) == 10 and rows.reports[0]["n_facts"] == 10 and rows.indicators == []
    assert any(c["check"] == plausibility.CHECK and c["value"] > 50 for c in rows.checks)


def test_long_messages_and_many_checks_are_cut():
    row = check_row("r1", Check("x", "warning", "很长" * 5_000))
    assert len(row["message"]) == plausibility.MAX_MESSAGE_CHARS and row["message"].endswith("…")
    many = plausibility.capped_checks([Check("x", "info", "m")] * (plausibility.MAX_CHECKS + 50))
    assert len(many) == plausibility.MAX_CHECKS and many[-1].check == "too_many_checks" and many[-1].value == 250


def test_a_parse_beyond_its_time_budget_is_cut_off(monkeypatch, taxonomy):
    def slow(text):
        time.sleep(5)
        return []

    monkeypatch.setattr(rows_module, "extract_facts", slow)
    monkeypatch.setattr(rows_module, "PARSE_SECONDS", 0.2)
    started = time.perf_counter()
    rows = read_report_safely(text_capture(REFERENCE_URL), (CORPUS / "futian-2024.txt").read_bytes(), {}, taxonomy)
    assert time.perf_counter() - started < 2
    assert [(c["check"], c["severity"]) for c in rows.checks] == [(plausibility.PARSE_TIMEOUT, "error")]
    assert rows.reports == [] and rows.facts == []
