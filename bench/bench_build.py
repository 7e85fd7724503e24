"""Full, no-op and one-new-page builds of synthetic archives of 1,000 and 10,000 reports.

The reports are the three real texts in tests/fixtures/corpus/ and the Futian report's body set in the real
NFCMS page template of tests/fixtures/pages/ (that page itself is a statistics bulletin, not a report: it has
several times a report's numbers), with numbers, place names and years varied, archived with `Archive.store`
into a temporary raw dir. Each build runs in a fresh process (so imports, pool start-up and peak memory are
counted as a user sees them) and reports wall time, CPU time of all its processes (other jobs on the
machine slow the wall time, not this), reports per second, peak RSS of the main process and of the largest
worker, cache hits and misses, and where the time went.

    .venv/bin/python bench/bench_build.py [--sizes 1000 10000] [--workers N] [--seed 7] [--keep DIR]

Targets on a 2-core machine: a full build of 10,000 reports under 2 minutes, peak memory under 2 GB, cost
linear in reports; a rebuild with nothing new under 10% of a full build.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
# (file, its jurisdiction, its city, its province, the year it reports on, body-only capture?)
TEMPLATES = (
    ("corpus/futian-2024.txt", "福田区", "深圳市", "广东省", 2024, False),
    ("corpus/guangming-2021.txt", "光明区", "深圳市", "广东省", 2021, True),
    ("corpus/longhua-2019.txt", "龙华区", "深圳市", "广东省", 2019, True),
    ("pages/nfcms-sz-gov-cn-post-12212437.html", "福田区", "深圳市", "广东省", 2024, False),
)
NFCMS_BODY = re.compile(r'(<div class="news_cont_d_wrap">).*?(</div>)', re.S)
NFCMS_TITLE = re.compile(r'(<h1>|name="ArticleTitle" content=")深圳市2024年国民经济和社会发展统计公报')
YEARS = range(2015, 2025)
_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])")
_YEAR = re.compile(r"(?<!\d)(20[0-3]\d)(?=\s*年|-\d\d-\d\d|年度)")
_TAG = re.compile(r"(<[^>]*>)")
CHILD = """
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
from pipeline.run.build import build
result = build(Path(sys.argv[1]), Path(sys.argv[2]), workers=int(sys.argv[3]) or None, cache_dir=Path(sys.argv[4]))
seconds = time.perf_counter() - t0
rss = lambda who: resource.getrusage(who).ru_maxrss / 1024
cpu = sum(u.ru_utime + u.ru_stime for u in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "rss_main_mb": rss(resource.RUSAGE_SELF),
                  "rss_worker_mb": rss(resource.RUSAGE_CHILDREN), "stats": result.stats.as_dict(),
                  "rows": {t: len(f) for t, f in result.frames.items()}}))
"""


def places(year: int = 2020) -> list[tuple[str, str, str]]:
    """(county, city, province) of every county-level division in the MCA table for `year`."""
    import pandas as pd

    from pipeline.parse.divisions import NO_CITY, table_path

    df = pd.read_csv(table_path(), usecols=["year", "rank", "province_name", "city_name", "county_name"],
                     keep_default_na=False, dtype=str)
    df = df[(df["year"] == str(year)) & (df["rank"] == "3") & ~df["city_name"].isin(NO_CITY)]
    return sorted(set(zip(df["county_name"], df["city_name"], df["province_name"], strict=True)))


def vary_numbers(text: str, rng: random.Random) -> str:
    """`text` with every number that is not a year replaced by another of the same shape."""

    def replace(m: re.Match[str]) -> str:
        whole, _, frac = m.group().partition(".")
        if len(whole) == 4 and whole.startswith(("19", "20")):
            return m.group()
        low = 10 ** (len(whole) - 1) if len(whole) > 1 else 0
        new = str(rng.randint(low, 10 ** len(whole) - 1))
        return new + ("." + "".join(rng.choice("0123456789") for _ in frac) if frac else "")

    return _NUMBER.sub(replace, text)


def vary_text(text: str, rng: random.Random, delta: int, names: dict[str, str]) -> str:
    """Numbers varied, years shifted by `delta`, place names replaced (markup left alone)."""

    def vary(part: str) -> str:
        part = _YEAR.sub(lambda m: str(int(m.group(1)) + delta), part)
        for old, new in names.items():
            part = part.replace(old, new)
        return vary_numbers(part, rng)

    return "".join(p if p.startswith("<") else vary(p) for p in _TAG.split(text))


def nfcms_report_page(page: str, capture: str) -> str:
    """The NFCMS page with the title and body of a report's text capture (title on its 3rd line, body up to
    the share buttons) in place of its own: how a report page on an NFCMS site is laid out."""
    lines = [line.strip() for line in capture.split("分享到")[0].splitlines() if line.strip()]
    title, body = lines[1], lines[3:]
    paragraphs = "".join(f"<p>{line}</p>\n" for line in body)
    page = NFCMS_TITLE.sub(lambda m: m.group(1) + title, page)
    return NFCMS_BODY.sub(lambda m: m.group(1) + paragraphs + m.group(2), page, count=1)


def synthetic_reports(n: int, seed: int):
    """Yield (bytes, store() keyword arguments) of `n` synthetic captures, cycling through the templates."""
    rng = random.Random(seed)
    pool = places()
    texts = [(FIXTURES / t[0]).read_text(encoding="utf-8") for t in TEMPLATES]
    texts[-1] = nfcms_report_page(texts[-1], texts[0])
    for i in range(n):
        k = i % len(TEMPLATES)
        name, county, city, province, year, body_only = TEMPLATES[k]
        new_county, new_city, new_province = pool[rng.randrange(len(pool))]
        new_year = rng.choice(YEARS)
        names = {old: new for old, new in ((county, new_county), (city, new_city), (province, new_province)) if old}
        body = vary_text(texts[k], rng, new_year - year, names)
        is_html = name.endswith(".html")
        fields = {"url": f"http://www.bench{i % 997}.gov.cn/fzzf/{i}.html", "kind": "report",
                  "content_type": "text/html; charset=utf-8" if is_html else "text/plain"}
        if body_only:
            fields["title"] = f"{new_city}{new_county}人民政府关于{new_year}年度法治政府建设情况的报告"
        yield body.encode("utf-8"), fields


def write_archive(raw: Path, n: int, seed: int, start: int = 0) -> int:
    """Archive `n` synthetic reports (the first `start` skipped) and catalogue them; return bytes written."""
    from pipeline.fetch.archive import Archive
    from pipeline.fetch.catalogue import merge_rows, read_catalogue, write_catalogue

    archive, total, rows = Archive(raw), 0, []
    for i, (body, fields) in enumerate(synthetic_reports(start + n, seed)):
        if i < start:
            continue
        archive.store(body, **fields)
        rows.append({"kind": "report", "url": fields["url"]})
        total += len(body)
    path = raw / "sources.csv"
    write_catalogue(path, merge_rows(read_catalogue(path), rows))
    return total


def snapshot_code(root: Path) -> Path:
    """A copy of pipeline/ and schemas/ for the builds to import: edits made to the tree while the benchmark
    runs would otherwise change the parser version between builds and void the cache (as they should)."""
    code = root / "code"
    for name in ("pipeline", "schemas"):
        shutil.copytree(ROOT / name, code / name, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    return code


def run_build(raw: Path, out: Path, workers: int) -> dict:
    """One build in a fresh process, importing the code snapshot, with a cache of its own: its timings,
    peak memory and row counts."""
    cache = raw.parent / f"cache-{raw.name}"
    code = raw.parent / "code"
    done = subprocess.run([sys.executable, "-c", CHILD, str(raw), str(out), str(workers), str(cache)], cwd=code,
                          capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"build failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def describe(label: str, n: int, r: dict) -> str:
    """One line of the results table."""
    s = r["stats"]
    steps = "  ".join(f"{k} {v:.1f}s" for k, v in s["seconds"].items())
    return (f"{label:<13} {n:>6} {r['seconds']:>8.1f} {r['cpu_seconds']:>7.1f} {n / r['seconds']:>9.0f} "
            f"{r['rss_main_mb']:>8.0f} "
            f"{r['rss_worker_mb']:>8.0f} {s['cache_hits']:>6} {s['cache_misses']:>6}  {steps}")


def bench_size(n: int, seed: int, workers: int, root: Path) -> list[str]:
    """Full build, no-op rebuild and one-new-page rebuild of an archive of `n` reports."""
    raw, out = root / f"raw-{n}", root / f"processed-{n}"
    t0 = time.perf_counter()
    size = write_archive(raw, n, seed)
    print(f"archived {n} synthetic reports ({size / n / 1024:.1f} KiB each) in {time.perf_counter() - t0:.0f}s",
          file=sys.stderr)
    full = run_build(raw, out, workers)
    print(f"facts: {full['rows']['facts']}, sections: {full['rows']['sections']}, "
          f"checks: {full['rows']['checks']}", file=sys.stderr)
    noop = run_build(raw, out, workers)
    write_archive(raw, 1, seed + 1, start=n)
    one = run_build(raw, out, workers)
    ratio = noop["seconds"] / full["seconds"]
    return [describe("full", n, full), describe("no-op", n, noop), describe("one new page", n + 1, one),
            f"{'':<13} no-op / full = {ratio:.1%}"]


def main() -> None:
    """Print the results table for each archive size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--workers", type=int, default=0, help="parse processes (default: one per core)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it (default: a temp dir)")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-build-"))
    root.mkdir(parents=True, exist_ok=True)
    snapshot_code(root)
    lines = [f"{'build':<13} {'reports':>6} {'seconds':>8} {'cpu s':>7} {'reports/s':>9} {'main MB':>8} "
             f"{'worker MB':>8} {'hits':>6} {'misses':>6}  time by step"]
    try:
        for n in args.sizes:
            lines += bench_size(n, args.seed, args.workers, root)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
