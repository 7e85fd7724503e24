"""Throughput of extract_facts on >= 1,000 report texts made by varying the numbers of the real ones.

Run: .venv/bin/python bench/bench_extract.py [--reports N] [--seed S]. Target: >= 200 reports/second on one core.
"""

from __future__ import annotations

import argparse
import random
import re
import time
from pathlib import Path

from pipeline.extract.facts import extract_facts

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "corpus"
TEXTS = ("futian-2024.txt", "guangming-2021.txt", "longhua-2019.txt")
_NUMBER_RE = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])")


def vary_numbers(text: str, rng: random.Random) -> str:
    """Return `text` with every Arabic number replaced by another of the same shape (digits, decimals)."""

    def replace(m: re.Match[str]) -> str:
        whole, _, frac = m.group().partition(".")
        if len(whole) == 4 and whole.startswith(("19", "20")):
            return m.group()  # keep years years
        new_whole = str(rng.randint(10 ** (len(whole) - 1) if len(whole) > 1 else 0, 10 ** len(whole) - 1))
        return new_whole + ("." + "".join(rng.choice("0123456789") for _ in frac) if frac else "")

    return _NUMBER_RE.sub(replace, text)


def build_reports(n: int, seed: int) -> list[str]:
    """Return `n` report texts cycling through the real texts with varied numbers."""
    rng = random.Random(seed)
    originals = [(CORPUS / name).read_text(encoding="utf-8") for name in TEXTS]
    return [vary_numbers(originals[i % len(originals)], rng) for i in range(n)]


def main() -> None:
    """Time extract_facts over the generated reports and print the rates."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    reports = build_reports(max(args.reports, 1), args.seed)
    extract_facts(reports[0])  # warm caches and compiled patterns
    start = time.perf_counter()
    n_facts = sum(len(extract_facts(text)) for text in reports)
    elapsed = time.perf_counter() - start
    chars = sum(map(len, reports))
    print(f"reports: {len(reports)}  chars: {chars}  facts: {n_facts}  seconds: {elapsed:.3f}")
    print(f"reports/second: {len(reports) / elapsed:.0f}")
    print(f"facts/second: {n_facts / elapsed:.0f}")


if __name__ == "__main__":
    main()
