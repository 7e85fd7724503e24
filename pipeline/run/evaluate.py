"""Score extract_facts against hand-annotated gold files: precision, recall, misses and false positives.

Run as `python -m pipeline.run.evaluate [--gold-dir DIR] [--corpus-dir DIR]`. Each `<name>.facts.csv` in the
gold dir is scored against `<name>.txt` in the corpus dir. A fact matches a gold row when (value, unit)
agree; matching counts occurrences (a multiset), and misses and false positives are listed in reading order.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.extract.facts import extract_facts
from pipeline.model import Fact

DEFAULT_GOLD_DIR = Path("tests/gold")
DEFAULT_CORPUS_DIR = Path("tests/fixtures/corpus")

Key = tuple[float, str]


@dataclass(frozen=True)
class GoldRow:
    """One annotated fact."""

    quote: str
    value: float
    unit: str
    qualifier: str
    kind: str
    indicator: str


@dataclass
class Score:
    """How one report's extracted facts compare with its gold file."""

    name: str
    n_gold: int
    n_extracted: int
    n_matched: int
    misses: list[GoldRow] = field(default_factory=list)
    false_positives: list[Fact] = field(default_factory=list)

    @property
    def precision(self) -> float:
        """Return matched / extracted (1.0 when nothing was extracted and nothing was expected)."""
        return self.n_matched / self.n_extracted if self.n_extracted else float(self.n_gold == 0)

    @property
    def recall(self) -> float:
        """Return matched / gold (1.0 when the gold file is empty)."""
        return self.n_matched / self.n_gold if self.n_gold else 1.0


def fact_key(value: float, unit: str) -> Key:
    """Return the matching key of a fact: value rounded past float noise, unit as written."""
    return round(float(value), 6), unit.strip()


def read_gold(path: Path) -> list[GoldRow]:
    """Return the rows of a gold CSV (columns quote,value,unit,qualifier,kind,indicator)."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    try:
        return [
            GoldRow(r["quote"], float(r["value"]), r["unit"] or "", r.get("qualifier") or "",
                    r.get("kind") or "", r.get("indicator") or "")
            for r in rows
        ]
    except (KeyError, ValueError) as exc:
        raise ValueError(f"{path}: bad gold row ({exc})") from exc


def score_facts(name: str, gold: list[GoldRow], facts: list[Fact]) -> Score:
    """Return the multiset comparison of extracted facts with gold rows."""
    gold_counts = Counter(fact_key(g.value, g.unit) for g in gold)
    fact_counts = Counter(fact_key(f.value, f.unit) for f in facts)
    matched = gold_counts & fact_counts
    return Score(
        name=name,
        n_gold=len(gold),
        n_extracted=len(facts),
        n_matched=sum(matched.values()),
        misses=_unmatched(gold, lambda g: fact_key(g.value, g.unit), matched),
        false_positives=_unmatched(facts, lambda f: fact_key(f.value, f.unit), matched),
    )


def _unmatched(items, key, matched: Counter) -> list:
    """Return the items left over, in reading order, once `matched` occurrences of each key are used."""
    budget = Counter(matched)
    left = []
    for item in items:
        k = key(item)
        if budget[k] > 0:
            budget[k] -= 1
        else:
            left.append(item)
    return left


def evaluate_file(text_path: Path, gold_path: Path) -> Score:
    """Return the score of extract_facts on one report text against its gold file."""
    text = text_path.read_text(encoding="utf-8")
    name = gold_path.name.removesuffix(".facts.csv")
    return score_facts(name, read_gold(gold_path), extract_facts(text))


def evaluate_dir(gold_dir: Path, corpus_dir: Path) -> list[Score]:
    """Return a score for every gold file whose report text exists in `corpus_dir`."""
    scores = []
    for gold_path in sorted(gold_dir.glob("*.facts.csv")):
        text_path = corpus_dir / (gold_path.name.removesuffix(".facts.csv") + ".txt")
        if not text_path.exists():
            print(f"skip {gold_path.name}: no text at {text_path}", file=sys.stderr)
            continue
        scores.append(evaluate_file(text_path, gold_path))
    return scores


def format_score(score: Score) -> str:
    """Return a readable report of one score: the numbers, then each miss and false positive."""
    lines = [
        f"{score.name}: precision {score.precision:.3f} recall {score.recall:.3f} "
        f"(gold {score.n_gold}, extracted {score.n_extracted}, matched {score.n_matched})"
    ]
    lines += [f"  miss  {g.value:g} {g.unit or '(none)'}  {g.quote}" for g in score.misses]
    lines += [f"  false {f.value:g} {f.unit or '(none)'}  {f.quote}" for f in score.false_positives]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the scores; exit 1 when a file falls below --min-precision or --min-recall."""
    parser = argparse.ArgumentParser(prog="python -m pipeline.run.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--gold-dir", type=Path, default=DEFAULT_GOLD_DIR)
    parser.add_argument("--corpus-dir", type=Path, default=DEFAULT_CORPUS_DIR)
    parser.add_argument("--min-precision", type=float, default=0.0)
    parser.add_argument("--min-recall", type=float, default=0.0)
    args = parser.parse_args(argv)
    try:
        scores = evaluate_dir(args.gold_dir, args.corpus_dir)
    except (OSError, ValueError) as exc:
        print(f"evaluate: {exc}", file=sys.stderr)
        return 2
    if not scores:
        print(f"evaluate: no gold files with texts under {args.gold_dir}", file=sys.stderr)
        return 2
    for score in scores:
        print(format_score(score))
    failing = [s for s in scores if s.precision < args.min_precision or s.recall < args.min_recall]
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
