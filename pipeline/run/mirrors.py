"""One report, one row: captures of the same report become one `reports` row and its mirrors.

A report is often published on several sites (the county's, the city's, its 司法局's) or archived twice. The
build computes a small `Record` per capture in its first pass (identity and a bottom-k sketch of the text's
character shingles, a few hundred bytes), groups them here, and then drops the mirrors' rows from every
table: each place-year keeps one set of indicator rows. Grouping needs only the records, never the rows, and
only the records whose claim another record shares: the build spools them to a file as batches arrive
(`RecordSpool`) and reads back just those, so its main process never holds a record per capture.

Captures are the same report when they claim the same reporter and year and their texts are essentially
the same (estimated Jaccard similarity of character 5-grams at least SAME_TEXT). The canonical capture is the
earliest fetched (then the smallest URL), a rule a later mirror cannot change, so `report_id` stays stable;
a capture with an error of its own (a freak page, a page that could not be read) is the report only when no
sound capture of it exists, so a broken copy never displaces the report it copies.
Two different texts that claim the same reporter and year both keep their rows, with a check each.
"""

from __future__ import annotations

import re
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from itertools import groupby
from operator import itemgetter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

SHINGLE = 5  # characters per shingle: long enough that shared boilerplate phrases matter little
SKETCH = 128  # smallest shingle hashes kept per text
READ_BACK_ROWS = 10_000  # spooled records read back at a time
DUCKDB_MEMORY = "100MB"  # DuckDB spills to disk beyond this when it sorts the spooled records by claim
SAME_TEXT = 0.6  # estimated Jaccard similarity from which two texts are one report (reposts add page chrome)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Record:
    """What grouping needs of one capture: its report, identity, fetch time, text sketch and soundness."""

    report_id: str
    url: str
    raw_sha256: str
    fetched_at: str
    jurisdiction: str
    level: str
    division_code: str
    year: int | None
    sketch: bytes  # see sketch()
    flagged: bool = False  # the capture itself has an error check (implausible_page, unreadable_page ...)


@dataclass
class MirrorPlan:
    """The outcome of grouping: report ids whose rows are dropped, `mirrors` rows and checks to add."""

    dropped: set[str] = field(default_factory=set)
    mirrors: list[dict] = field(default_factory=list)
    checks: list[dict] = field(default_factory=list)


def sketch(text: str) -> bytes:
    """The SKETCH smallest CRC-32 hashes of the text's character shingles (whitespace ignored), sorted, packed
    as 32-bit integers: 512 bytes a capture, where a tuple of Python ints would take ten times that in the
    build's main process, which holds one per capture."""
    squashed = _SPACE.sub("", text or "")
    hashes = {zlib.crc32(squashed[i:i + SHINGLE].encode("utf-8")) for i in range(max(0, len(squashed) - SHINGLE + 1))}
    return array("I", sorted(hashes)[:SKETCH]).tobytes()


def _hashes(packed: bytes) -> set[int]:
    values = array("I")
    values.frombytes(packed)
    return set(values)


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two texts from their bottom-k sketches (0 when either is empty)."""
    if not a or not b:
        return 0.0
    first, second = _hashes(a), _hashes(b)
    union = sorted(first | second)[:SKETCH]
    both = first & second
    return sum(1 for h in union if h in both) / len(union)


def record_of(rows: dict[str, list[dict]], fetched_at: str) -> Record | None:
    """The record of one capture's rows (its report row and the text of its sections); None without a report."""
    if not rows.get("reports"):
        return None
    report = rows["reports"][0]
    text = "\n".join(s.get("text") or "" for s in rows.get("sections", []))
    flagged = any(c.get("severity") == "error" and not c.get("fact_id") for c in rows.get("checks", []))
    return Record(report["report_id"], report.get("url") or "", report.get("raw_sha256") or "", fetched_at or "",
                  report.get("jurisdiction") or "", report.get("level") or "", report.get("division_code") or "",
                  report.get("year"), sketch(text), flagged)


_NOT_STRINGS = {"year": pa.int64(), "sketch": pa.binary(), "flagged": pa.bool_()}  # Record fields
_RECORD_SCHEMA = pa.schema([pa.field("claim", pa.string())] +
                           [pa.field(f.name, _NOT_STRINGS.get(f.name, pa.string())) for f in fields(Record)])


class RecordSpool:
    """Records written to a Parquet file batch by batch, for grouping once every capture has been read."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._writer = pq.ParquetWriter(self.path, _RECORD_SCHEMA)

    def extend(self, records: list[Record]) -> None:
        """Spool a batch's records, each with its claim (who and when it reports on) as one string."""
        if records:
            rows = [{"claim": _claim_key(r), **asdict(r)} for r in records]
            self._writer.write_table(pa.Table.from_pylist(rows, schema=_RECORD_SCHEMA))

    def sharing_a_claim(self) -> Iterator[list[Record]]:
        """The records of each claim that more than one spooled record makes (the only ones grouping can
        join), a claim at a time: DuckDB sorts them by claim, spilling to disk beyond DUCKDB_MEMORY, and
        hands them over READ_BACK_ROWS at a time."""
        import duckdb

        self._writer.close()
        con = duckdb.connect()
        try:
            con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
            con.execute("SET temp_directory = ?", [str(self.path.parent / ".spill")])  # not the working dir
            names = ", ".join(f'"{f.name}"' for f in fields(Record))
            shared = con.sql(f"SELECT claim, {names} FROM read_parquet($path) WHERE claim IN (SELECT claim FROM "
                             "read_parquet($path) GROUP BY claim HAVING count(*) > 1) ORDER BY claim, report_id",
                             params={"path": str(self.path)}).to_arrow_reader(READ_BACK_ROWS)
            rows = (row for batch in shared for row in batch.to_pylist())
            for _, claimed in groupby(rows, key=itemgetter("claim")):
                yield [Record(**{f.name: row[f.name] for f in fields(Record)}) for row in claimed]
        finally:
            con.close()


def spooled_plan(spool: RecordSpool) -> MirrorPlan:
    """group_mirrors over the spooled records, claim by claim: memory for a batch of records, whatever the
    archive holds (the plan itself holds a row per mirror)."""
    plan = MirrorPlan()
    for records in spool.sharing_a_claim():
        part = group_mirrors(records)
        plan.dropped |= part.dropped
        plan.mirrors += part.mirrors
        plan.checks += part.checks
    return plan


def _claim_key(r: Record) -> str | None:
    claim = _claim(r)
    return None if claim is None else "\t".join(map(str, claim))


def _claim(r: Record) -> tuple | None:
    """Who and when a capture claims to report on; None when it cannot be told (never grouped)."""
    if not r.year or not (r.division_code or r.jurisdiction):
        return None
    return (r.year, r.level, r.division_code or r.jurisdiction)


def _same_reporter(a: Record, b: Record) -> bool:
    """Jurisdictions as written agree (光明区司法局 and 深圳市光明区司法局 are one body)."""
    return a.jurisdiction.endswith(b.jurisdiction) or b.jurisdiction.endswith(a.jurisdiction)


def _canonical_order(r: Record) -> tuple[bool, str, str, str]:
    """Sound captures first, then the earliest fetched: a mirror found later never displaces the report it
    copies, and a broken copy (a freak, a cut-off page) never displaces a sound one."""
    return (r.flagged, r.fetched_at or "9999", r.url, r.raw_sha256)


def group_mirrors(records: list[Record]) -> MirrorPlan:
    """Which captures are mirrors of which report, and the checks for different texts with one claim."""
    plan = MirrorPlan()
    claims: dict[tuple, list[Record]] = {}
    for r in records:
        if (claim := _claim(r)) is not None:
            claims.setdefault(claim, []).append(r)
    for group in claims.values():
        canon: list[Record] = []
        for r in sorted(group, key=_canonical_order):
            same = _copied(canon, r)
            if same is None:
                canon.append(r)
                continue
            plan.dropped.add(r.report_id)
            plan.mirrors.append({"report_id": same.report_id, "url": r.url, "raw_sha256": r.raw_sha256,
                                 "fetched_at": r.fetched_at or None,
                                 "similarity": round(similarity(same.sketch, r.sketch), 3)})
        plan.checks += _rival_checks(canon)
    return plan


def _copied(canon: list[Record], r: Record) -> Record | None:
    """The report among `canon` whose text `r` essentially repeats, if any."""
    return next((c for c in canon if _same_reporter(c, r) and similarity(c.sketch, r.sketch) >= SAME_TEXT), None)


def _rival_checks(canon: list[Record]) -> list[dict]:
    """A warning on each of several different texts that claim the same reporter and year."""
    checks = []
    for r in canon:
        rivals = [o for o in canon if o is not r and _same_reporter(o, r)]
        if rivals:
            others = ", ".join(f"{o.report_id} ({o.url or o.raw_sha256[:12]})" for o in rivals)
            checks.append({"report_id": r.report_id, "fact_id": "", "check": "same_jurisdiction_and_year",
                           "severity": "warning",
                           "message": f"{r.jurisdiction} {r.year}: another text claims the same reporter and year "
                                      f"but differs: {others}"})
    return checks
