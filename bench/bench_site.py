"""The site's SQLite copy and pages at scale: the committed archive's build, its reports repeated N times.

Builds raw/ once into a temporary folder, repeats every report's rows (reports, sections, facts) under new
report ids, then times the database's build and the pages a visitor opens first, each asked twice (the
second time is reported), through Datasette's own client.

    .venv/bin/python bench/bench_site.py [--copies 3000]

Targets on a 2-core machine, 3,000 copies (9,000 reports, 339,000 sections, 390,000 facts): the database in
under 3 minutes with peak memory under 1 GB; every page under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import tempfile
import time
from pathlib import Path

import pandas as pd

from pipeline.publish.site import datasette_app
from pipeline.run.build import build

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("/", "/data/facts", "/data/facts?_search=行政复议", "/data/sections?_search=行政复议", "/data/reports",
         "/data/indicator_across_places?indicator_id=admin_litigation_cases")


def repeated(frame: pd.DataFrame, copies: int) -> pd.DataFrame:
    """The rows again and again, each copy under report ids (and fact ids) of its own."""
    parts = []
    for k in range(copies):
        part = frame.copy()
        part["report_id"] = part.report_id.str[:-4] + f"{k:04x}"
        if "fact_id" in part:
            part["fact_id"] = part.report_id + "-" + part.fact_id.str.split("-").str[1]
        parts.append(part)
    return pd.concat(parts)


def scaled_build(out: Path, copies: int) -> dict[str, int]:
    """The build of raw/ in `out`, with reports, sections and facts repeated; rows per table."""
    build(ROOT / "raw", out)
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    rows = {}
    for table in ("reports", "sections", "facts"):
        frame = repeated(pd.read_csv(out / f"{table}.csv", dtype=str, keep_default_na=False), copies)
        frame.to_csv(out / f"{table}.csv", index=False)
        rows[table] = len(frame)
    package["version"] = f"bench x{copies}"  # a new key for the database
    (out / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    return rows


async def page_times(ds) -> dict[str, float]:
    """Seconds per page, the second of two requests."""
    times = {}
    for page in PAGES:
        for _ in range(2):
            start = time.perf_counter()
            response = await ds.client.get(page)
            times[page] = time.perf_counter() - start
        assert response.status_code == 200, (page, response.status_code)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = scaled_build(Path(tmp) / "processed", args.copies)
        print("rows: " + ", ".join(f"{n:,} {t}" for t, n in rows.items()))
        db = Path(tmp) / "site" / "data.db"
        start = time.perf_counter()
        ds = datasette_app(Path(tmp) / "processed", db)
        print(f"database: {time.perf_counter() - start:.1f} s, {db.stat().st_size / 1e6:,.0f} MB, peak RSS "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
        for page, seconds in asyncio.run(page_times(ds)).items():
            print(f"{seconds * 1000:8.0f} ms  {page}")


if __name__ == "__main__":
    main()
