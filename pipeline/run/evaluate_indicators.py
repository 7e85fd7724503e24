"""Score the fact -> indicator mapping against tests/realindicators: precision and recall on core pairs.

Run as `python -m pipeline.run.evaluate_indicators [--dir tests/realindicators]`. Each text goes through the
real extraction (extract_facts, zero_facts, text_table_facts, then assign_indicators with the report's year and level);
a prediction is a pair
(indicator_id, value) of a doc. The scoring rule is the set's README: a predicted pair equal to a core gold pair
is a true positive, one equal to a borderline pair is neutral, any other is a false positive; core pairs not
predicted are misses. Every miss and every wrong mapping is printed with its quote.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.extract.facts import extract_facts, zero_facts
from pipeline.extract.indicators import assign_indicators, load_taxonomy
from pipeline.extract.tables import text_table_facts
from pipeline.model import Fact

DEFAULT_DIR = Path("tests/realindicators")

Pair = tuple[str, float]


def pair(indicator_id: str, value: float) -> Pair:
    """The matching key of a value: indicator and value rounded past float noise (rates keep their digits)."""
    return indicator_id, round(float(value), 6)


@dataclass
class DocScore:
    """How one doc's predicted pairs compare with its gold."""

    doc: str
    core: dict[Pair, str]  # pair -> quote of its first core row
    borderline: set[Pair]
    predicted: dict[Pair, Fact]
    true_positives: set[Pair] = field(init=False)
    false_positives: list[Pair] = field(init=False)
    misses: list[Pair] = field(init=False)

    def __post_init__(self) -> None:
        self.true_positives = set(self.predicted) & set(self.core)
        self.false_positives = [p for p in self.predicted if p not in self.core and p not in self.borderline]
        self.misses = [p for p in self.core if p not in self.predicted]


def read_jsonl(path: Path) -> list[dict]:
    """The rows of a JSON-lines file; raises ValueError naming the line that is not JSON."""
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}:{n}: {err}") from err
    return rows


def gold_pairs(rows: list[dict]) -> tuple[dict[Pair, str], set[Pair]]:
    """Core pairs (with a quote) and borderline-only pairs of one doc's gold rows."""
    core: dict[Pair, str] = {}
    for row in rows:
        if not row["borderline"]:
            core.setdefault(pair(row["indicator_id"], row["value"]), row["quote"])
    borderline = {pair(r["indicator_id"], r["value"]) for r in rows} - set(core)
    return core, borderline


def predicted_pairs(text: str, year: int | None, level: str = "") -> dict[Pair, Fact]:
    """(indicator_id, value) pairs the pipeline gives for one text, each with the first fact that gave it."""
    facts = sorted(extract_facts(text) + zero_facts(text), key=lambda f: f.char_start) + text_table_facts(text)
    assign_indicators(facts, text, load_taxonomy(), year=year, level=level)
    found: dict[Pair, Fact] = {}
    for fact in facts:
        if fact.indicator_id and not fact.is_target:
            found.setdefault(pair(fact.indicator_id, fact.value_normalized), fact)
    return found


def evaluate(directory: Path) -> list[DocScore]:
    """A score per doc of docs.jsonl, texts read from texts/NN.txt."""
    docs = read_jsonl(directory / "docs.jsonl")
    gold = read_jsonl(directory / "gold.jsonl")
    scores = []
    for doc in docs:
        text = (directory / "texts" / f"{doc['doc']}.txt").read_text(encoding="utf-8")
        core, borderline = gold_pairs([g for g in gold if g["doc"] == doc["doc"]])
        predicted = predicted_pairs(text, doc.get("year"), doc.get("level", ""))
        scores.append(DocScore(doc["doc"], core, borderline, predicted))
    return scores


def totals(scores: list[DocScore]) -> tuple[int, int, int]:
    """Micro-averaged true positives, false positives and misses."""
    return (sum(len(s.true_positives) for s in scores), sum(len(s.false_positives) for s in scores),
            sum(len(s.misses) for s in scores))


def format_scores(scores: list[DocScore]) -> str:
    """Every wrong mapping and every miss by doc, then precision and recall on core pairs."""
    lines = []
    for s in scores:
        for p in s.false_positives:
            fact = s.predicted[p]
            lines.append(f"{s.doc} wrong {p[0]} = {p[1]:g}  [{fact.quote}]")
        for p in s.misses:
            lines.append(f"{s.doc} miss  {p[0]} = {p[1]:g}  [{s.core[p]}]")
    tp, fp, fn = totals(scores)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    neutral = sum(len(set(s.predicted) & s.borderline) for s in scores)
    lines.append(f"indicators: precision {precision:.3f} recall {recall:.3f} "
                 f"(true {tp}, wrong {fp}, missed {fn}, neutral {neutral}; {len(scores)} docs)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the scores; exit 1 below --min-precision or --min-recall, 2 when the set cannot be read."""
    parser = argparse.ArgumentParser(prog="python -m pipeline.run.evaluate_indicators",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--min-precision", type=float, default=0.0)
    parser.add_argument("--min-recall", type=float, default=0.0)
    args = parser.parse_args(argv)
    try:
        scores = evaluate(args.dir)
    except (OSError, ValueError, KeyError) as err:
        print(f"evaluate_indicators: {err}", file=sys.stderr)
        return 2
    print(format_scores(scores))
    tp, fp, fn = totals(scores)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return 1 if precision < args.min_precision or recall < args.min_recall else 0


if __name__ == "__main__":
    sys.exit(main())
