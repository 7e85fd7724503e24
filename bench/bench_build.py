"""Full, no-op and one-new-page builds of synthetic archives of 2,000 and 8,000 reports; a build of 100,000;
a freak capture of 20 MB beside a real report.

The reports are the three real texts in tests/fixtures/corpus/ and the Futian report's body set in the real
NFCMS page template of tests/fixtures/pages/ (that page itself is a statistics bulletin, not a report: it has
several times a report's numbers), with numbers, place names and years varied, archived with `Archive.store`
into a temporary raw dir. Each build runs in a fresh process (so imports, pool start-up and peak memory are
counted as a user sees them) and reports wall time, CPU time of all its processes (other jobs on the
machine slow the wall time, not this), reports per second, peak RSS of the main process and of the largest
worker, cache hits and misses, and where the time went.

    .venv/bin/python bench/bench_build.py [--sizes 2000 8000] [--workers N] [--seed 7] [--keep DIR]
    .venv/bin/python bench/bench_build.py --sizes 100000 --full-only   # the national-scale step (long)
    .venv/bin/python bench/bench_build.py --freak                      # 20 MB freak beside a real report

Each size also prints the floor: reading, decoding and one regex pass over the same captures in one
process, and the full build's time as a multiple of it. Targets on a 2-core machine: memory bounded by a
batch, not by the archive (8,000 vs 2,000 reports: time ratio at most 4.4, peak-memory ratio at most 1.3;
100,000 reports under 2 GB); a rebuild with nothing new under 10% of a full build; the freak build under
90 s, the freak flagged and kept out of indicators, the real report with all its facts.
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
from unittest import mock

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
                  "rows": result.rows}))
"""
FLOOR = """
import json, re, sys, time
from pathlib import Path
t0 = time.perf_counter()
from pipeline.fetch.archive import Archive
from pipeline.parse.encoding import decode
archive = Archive(Path(sys.argv[1]))
number, found = re.compile(r"\\d+(?:\\.\\d+)?"), 0
for capture in archive.latest_captures():
    text, _ = decode(archive.read(capture), capture.content_type)
    found += len(number.findall(text))
print(json.dumps({"seconds": time.perf_counter() - t0, "numbers": found}))
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
    """Archive `n` synthetic reports (the first `start` skipped) and catalogue them; return bytes written.
    Files are not fsynced here: archiving is not what is measured, and 100,000 reports would take an hour."""
    from pipeline.fetch.archive import Archive
    from pipeline.fetch.catalogue import merge_rows, read_catalogue, write_catalogue

    archive, total, rows = Archive(raw), 0, []
    with mock.patch("os.fsync"):
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
    """A copy of pipeline/, schemas/ and the release metadata for the builds to import: edits made to the tree
    while the benchmark runs would otherwise change the parser version between builds and void the cache (as
    they should)."""
    code = root / "code"
    for name in ("pipeline", "schemas"):
        shutil.copytree(ROOT / name, code / name, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    shutil.copy2(ROOT / "release.toml", code / "release.toml")  # the datapackage's title, licence and authors
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


def floor_seconds(raw: Path) -> float:
    """Seconds to read, decode and scan every capture once with one regex, in a fresh process: what no build
    of these captures can beat."""
    done = subprocess.run([sys.executable, "-c", FLOOR, str(raw)], cwd=raw.parent / "code", capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["seconds"]


def describe(label: str, n: int, r: dict) -> str:
    """One line of the results table."""
    s = r["stats"]
    steps = "  ".join(f"{k} {v:.1f}s" for k, v in s["seconds"].items())
    return (f"{label:<13} {n:>6} {r['seconds']:>8.1f} {r['cpu_seconds']:>7.1f} {n / r['seconds']:>9.0f} "
            f"{r['rss_main_mb']:>8.0f} "
            f"{r['rss_worker_mb']:>8.0f} {s['cache_hits']:>6} {s['cache_misses']:>6}  {steps}")


def bench_size(n: int, seed: int, workers: int, root: Path, full_only: bool = False) -> tuple[list[str], dict]:
    """Full build, no-op rebuild and one-new-page rebuild of an archive of `n` reports, and the floor; the
    lines to print and the full build's measurements."""
    raw, out = root / f"raw-{n}", root / f"processed-{n}"
    t0 = time.perf_counter()
    size = write_archive(raw, n, seed)
    print(f"archived {n} synthetic reports ({size / n / 1024:.1f} KiB each) in {time.perf_counter() - t0:.0f}s",
          file=sys.stderr)
    floor = floor_seconds(raw)
    full = run_build(raw, out, workers)
    print(f"facts: {full['rows']['facts']}, sections: {full['rows']['sections']}, "
          f"checks: {full['rows']['checks']}", file=sys.stderr)
    lines = [describe("full", n, full)]
    if not full_only:
        noop = run_build(raw, out, workers)
        write_archive(raw, 1, seed + 1, start=n)
        one = run_build(raw, out, workers)
        lines += [describe("no-op", n, noop), describe("one new page", n + 1, one),
                  f"{'':<13} no-op / full = {noop['seconds'] / full['seconds']:.1%}"]
    lines.append(f"{'':<13} floor (read, decode, one regex pass) {floor:.1f}s; full build = "
                 f"{full['seconds'] / floor:.0f} x floor ({full['cpu_seconds'] / floor:.0f} x in CPU)")
    shutil.rmtree(raw, ignore_errors=True)  # a large size's captures are not needed once built
    return lines, full


def ratio_lines(small: tuple[int, dict], large: tuple[int, dict]) -> list[str]:
    """Time and peak-memory ratios of the full builds of two sizes."""
    (n, a), (m, b) = small, large

    def peak(r: dict) -> float:
        return max(r["rss_main_mb"], r["rss_worker_mb"])

    return [f"{m} vs {n} reports: time ratio {b['seconds'] / a['seconds']:.2f} (target <= 4.4), "
            f"peak-memory ratio main {b['rss_main_mb'] / a['rss_main_mb']:.2f}, "
            f"largest process {peak(b) / peak(a):.2f} (target <= 1.3)"]


FREAK_MB = 20
REFERENCE = "corpus/futian-2024.txt"  # the reference report: 59 facts when read alone


def freak_capture(text: str, megabytes: int) -> bytes:
    """The reference report's text capture with its body (first paragraph to the share buttons) repeated
    until the capture has `megabytes` MB."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if len(line) >= 60)
    end = next(i for i, line in enumerate(lines) if line.startswith("分享到"))
    body = "\n".join(lines[start:end]) + "\n"
    copies = megabytes * 1024 * 1024 // len(body.encode("utf-8"))
    return ("\n".join(lines[:start]) + "\n" + body * copies + "\n".join(lines[end:])).encode("utf-8")


def bench_freak(root: Path, workers: int) -> list[str]:
    """A 20 MB freak capture beside the reference report: build time, the freak's checks and indicators, the
    reference report's facts, the longest check message."""
    import pandas as pd

    from pipeline.fetch.archive import Archive
    from pipeline.rows import report_id_for

    raw, out, text = root / "raw-freak", root / "processed-freak", (FIXTURES / REFERENCE).read_text(encoding="utf-8")
    archive = Archive(raw)
    reference = archive.store(text.encode("utf-8"), url="http://www.bench.gov.cn/fzzf/reference.html",
                              content_type="text/plain; charset=utf-8", kind="report")
    freak = archive.store(freak_capture(text, FREAK_MB), url="http://www.bench.gov.cn/fzzf/freak.html",
                          content_type="text/plain; charset=utf-8", kind="report")
    result = run_build(raw, out, workers)
    ids = {name: report_id_for(capture) for name, capture in (("reference", reference), ("freak", freak))}
    facts, checks, indicators = (pd.read_parquet(out / f"{t}.parquet") for t in ("facts", "checks", "indicators"))
    flagged = checks[(checks.report_id == ids["freak"]) & (checks.severity == "error")]
    return [f"freak of {FREAK_MB} MB beside the reference report: build {result['seconds']:.1f}s (target < 90 s), "
            f"peak main {result['rss_main_mb']:.0f} MB, worker {result['rss_worker_mb']:.0f} MB",
            f"  freak: error checks {', '.join(sorted(set(flagged.check))) or 'none'}; "
            f"facts {int((facts.report_id == ids['freak']).sum())}; "
            f"indicators {int((indicators.report_id == ids['freak']).sum())} (target 0)",
            f"  reference report: facts {int((facts.report_id == ids['reference']).sum())} (target 59); "
            f"longest check message {int(checks.message.str.len().max())} characters (target <= 2,000)"]


def main() -> None:
    """Print the results table for each archive size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 8000])
    parser.add_argument("--full-only", action="store_true", help="only the full build of each size")
    parser.add_argument("--freak", action="store_true", help="only the 20 MB freak capture beside a report")
    parser.add_argument("--workers", type=int, default=0, help="parse processes (default: one per core)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it (default: a temp dir)")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-build-"))
    root.mkdir(parents=True, exist_ok=True)
    snapshot_code(root)
    lines = [f"{'build':<13} {'reports':>6} {'seconds':>8} {'cpu s':>7} {'reports/s':>9} {'main MB':>8} "
             f"{'worker MB':>8} {'hits':>6} {'misses':>6}  time by step"]
    fulls = []
    try:
        if args.freak:
            lines = bench_freak(root, args.workers)
        for n in [] if args.freak else args.sizes:
            more, full = bench_size(n, args.seed, args.workers, root, args.full_only)
            lines += more
            fulls.append((n, full))
        for small, large in zip(fulls, fulls[1:], strict=False):
            lines += ratio_lines(small, large)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
