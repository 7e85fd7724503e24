"""The evaluation script: multiset matching, misses and false positives, exit codes."""

from pathlib import Path

import pytest

from pipeline.extract.facts import extract_facts
from pipeline.run.evaluate import GoldRow, evaluate_dir, main, read_gold, score_facts

HERE = Path(__file__).parent
GOLD = HERE / "gold"
CORPUS = HERE / "fixtures" / "corpus"
HELDOUT = HERE / "heldout"  # ten made-up excerpts in other provinces' styles, annotated blind (see NOTES.md)
HELDOUT2 = HERE / "heldout2"  # eight more, annotated blind to the extractor and to the first set


def gold(value: float, unit: str, quote: str = "") -> GoldRow:
    return GoldRow(quote, value, unit, "", "", "")


def test_multiset_matching_counts_repeated_values_once_each() -> None:
    facts = extract_facts("废止2件，修订2件，印发7件。")
    score = score_facts("x", [gold(2, "件"), gold(7, "件"), gold(3, "件", "漏掉的3件")], facts)
    assert (score.n_matched, score.n_gold, score.n_extracted) == (2, 3, 3)
    assert [g.quote for g in score.misses] == ["漏掉的3件"]
    assert [(f.value, f.unit) for f in score.false_positives] == [(2, "件")]
    assert score.precision == pytest.approx(2 / 3) and score.recall == pytest.approx(2 / 3)


def test_unit_must_agree() -> None:
    facts = extract_facts("受理53.7万件。")
    assert score_facts("x", [gold(53.7, "件")], facts).n_matched == 0


def test_empty_cases() -> None:
    score = score_facts("x", [], [])
    assert (score.precision, score.recall) == (1.0, 1.0)


def test_read_gold_rejects_bad_value(tmp_path: Path) -> None:
    path = tmp_path / "bad.facts.csv"
    path.write_text("quote,value,unit,qualifier,kind,indicator\n某,abc,件,,count,\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad gold row"):
        read_gold(path)


def test_gold_files_are_well_formed() -> None:
    for path in [*GOLD.glob("*.facts.csv"), *HELDOUT.glob("*.facts.csv")]:
        rows = read_gold(path)
        assert rows, path
        assert all(r.kind in {"count", "rate", "amount", "change", "ratio", "duration"} for r in rows)


def test_reference_scores_meet_the_bar() -> None:
    scores = {s.name: s for s in evaluate_dir(GOLD, CORPUS)}
    assert set(scores) == {"futian-2024", "guangming-2021", "longhua-2019"}
    assert scores["futian-2024"].precision >= 0.98 and scores["futian-2024"].recall >= 0.98
    for name in ("guangming-2021", "longhua-2019"):
        assert scores[name].precision >= 0.97 and scores[name].recall >= 0.97


@pytest.mark.parametrize(("folder", "n_files"), [(HELDOUT, 10), (HELDOUT2, 8)])
def test_heldout_scores_meet_the_bar(folder: Path, n_files: int) -> None:
    scores = evaluate_dir(folder, folder)
    assert len(scores) == n_files
    matched = sum(s.n_matched for s in scores)
    assert matched / sum(s.n_extracted for s in scores) >= 0.97
    assert matched / sum(s.n_gold for s in scores) >= 0.97
    for score in scores:
        assert score.precision >= 0.9 and score.recall >= 0.9, score.name


def test_main_prints_scores_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "r.txt").write_text("受理案件12件，办结11件。", encoding="utf-8")
    (tmp_path / "r.facts.csv").write_text(
        "quote,value,unit,qualifier,kind,indicator\n受理案件12件,12,件,,count,\n", encoding="utf-8"
    )
    args = ["--gold-dir", str(tmp_path), "--corpus-dir", str(tmp_path)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "r: precision 0.500 recall 1.000" in out and "false 11 件" in out
    assert main([*args, "--min-precision", "0.9"]) == 1
    assert main(["--gold-dir", str(tmp_path / "none"), "--corpus-dir", str(tmp_path)]) == 2
