"""Releases: a dated, checksummed, citable copy of a build, ready to deposit (e.g. on Zenodo).

`write_release` copies the build in processed/ into processed/releases/vYYYY.MM.DD/ (a second release on
the same day is vYYYY.MM.DD-2, then -3 ...) with CHANGES.md against the previous release, CITATION.cff,
Excel-friendly CSV variants, SHA256SUMS and a zip of it all. The release is assembled in a temporary folder
and renamed into place only once it is complete and checked, so a failed or interrupted release leaves the
previous ones untouched. processed/latest points at the newest release. Nothing is written when the tables
and codebook are the same as in the newest release.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from pipeline.fetch.archive import file_sha256
from pipeline.publish.metadata import citation_cff, licence_files, load_metadata
from pipeline.publish.readme import release_readme
from pipeline.publish.schemas import RELEASED_TABLES, arrow_schema, primary_key

RELEASES = "releases"
LATEST = "latest"
RELEASE_NAME = re.compile(r"^v(\d{4})\.(\d{2})\.(\d{2})(?:-(\d+))?$")
DOCUMENTS = ("datapackage.json", "CODEBOOK.md")
KEYS_SHOWN = 10
VALUE_CHARS = 60  # an old or new value in CHANGES.md is cut to this many characters
DUCKDB_MEMORY = "500MB"  # DuckDB spills to disk beyond this when comparing two releases' tables
UTF8_BOM = "\ufeff".encode()


class ReleaseError(Exception):
    """The build cannot be released (missing or inconsistent files), or the release failed its checks."""


@dataclass(frozen=True)
class ReleaseResult:
    """What `write_release` did: the release folder (None when nothing was written) and why."""

    path: Path | None
    written: bool
    message: str


@dataclass
class TableChanges:
    """Rows added, removed and changed in one table between two releases, with a sample of their keys."""

    table: str
    rows: int
    added: int = 0
    removed: int = 0
    changed: int = 0
    samples: dict[str, list[str]] = field(default_factory=dict)
    columns: str = ""  # columns added or removed, when the schema changed
    values: list[str] = field(default_factory=list)  # old -> new values of the first changed rows


# ---------------------------------------------------------------- finding releases

def release_key(name: str) -> tuple[int, int, int, int] | None:
    """(year, month, day, n) of a release folder name, None for anything else."""
    m = RELEASE_NAME.match(name)
    return (int(m[1]), int(m[2]), int(m[3]), int(m[4] or 1)) if m else None


def releases(processed: Path) -> list[Path]:
    """The release folders under processed/releases/, oldest first."""
    root = processed / RELEASES
    found = [p for p in root.iterdir() if p.is_dir() and release_key(p.name)] if root.is_dir() else []
    return sorted(found, key=lambda p: release_key(p.name))


def next_release_name(processed: Path, today: date) -> str:
    """vYYYY.MM.DD for the first release of the day, then vYYYY.MM.DD-2, -3 ..."""
    base = f"v{today:%Y.%m.%d}"
    taken = [release_key(p.name)[3] for p in releases(processed) if p.name.split("-")[0] == base]
    return base if not taken else f"{base}-{max(taken) + 1}"


def latest_release(processed: Path) -> Path | None:
    """The release processed/latest points at (a symlink, or a text file holding the relative path)."""
    pointer = processed / LATEST
    if pointer.is_symlink() or pointer.is_dir():
        return pointer.resolve()
    if pointer.is_file():
        return (processed / pointer.read_text(encoding="utf-8").strip()).resolve()
    return None


# ---------------------------------------------------------------- what goes in

def release_files(processed: Path) -> list[str]:
    """Names of the build's files that a release copies; raises ReleaseError when one is missing."""
    names = [f"{t}.{fmt}" for t in RELEASED_TABLES for fmt in ("parquet", "csv")] + list(DOCUMENTS)
    missing = [n for n in names if not (processed / n).is_file()]
    if missing:
        raise ReleaseError(f"no complete build in {processed} (missing {', '.join(missing)}); "
                           f"run `python -m pipeline build` first")
    return names


def content_fingerprint(folder: Path) -> dict[str, str]:
    """sha256 of each table's CSV and of the codebook: what a release's content is compared by.

    The CSV rather than the Parquet file, so that a new pyarrow writing different bytes for the same rows
    is no reason for a release.
    """
    names = [f"{t}.csv" for t in RELEASED_TABLES] + ["CODEBOOK.md"]
    return {n: file_sha256(folder / n) if (folder / n).is_file() else "" for n in names}


# ---------------------------------------------------------------- CHANGES.md

Table = Path | pd.DataFrame  # a table as its Parquet file, or in memory


def _relation(con, name: str, source: Table) -> list[str]:
    """`source` as the DuckDB view `name`; its columns. A Parquet file is read where it lies, never loaded."""
    relation = con.from_df(source) if isinstance(source, pd.DataFrame) else con.read_parquet(str(source))
    relation.create_view(name, replace=True)
    return list(relation.columns)


def _text_view(con, name: str, source: str, columns: list[str]) -> None:
    """View `name` of `source`'s `columns` with every cell as text (missing as ""), so categories, nullable
    numbers and dates compare as written."""
    cells = ", ".join(f'coalesce(CAST("{c}" AS VARCHAR), \'\') AS "{c}"' for c in columns)
    con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT {cells} FROM {source}")


def _scalar(con, query: str) -> int:
    return con.execute(query).fetchall()[0][0]


def table_changes(table: str, old: Table | None, new: Table) -> TableChanges:
    """Rows added, removed and changed by primary key; a table without key is compared as whole rows.
    DuckDB compares the files with bounded memory (spilling to disk), so tables larger than memory can be."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
    new_columns = _relation(con, "new_table", new)
    changes = TableChanges(table, rows=_scalar(con, "SELECT count(*) FROM new_table"))
    if old is None:
        changes.added = changes.rows
        return changes
    old_columns = _relation(con, "old_table", old)
    common = [c for c in new_columns if c in old_columns]
    dropped, added_cols = sorted(set(old_columns) - set(common)), sorted(set(new_columns) - set(common))
    if dropped or added_cols:
        changes.columns = "; ".join(filter(None, [added_cols and "columns added: " + ", ".join(added_cols),
                                                  dropped and "columns removed: " + ", ".join(dropped)]))
    _text_view(con, "o", "old_table", common)
    _text_view(con, "n", "new_table", common)
    key = [k for k in primary_key(table) if k in common]
    if not key:
        count = "SELECT count(*) FROM (SELECT * FROM {} EXCEPT ALL SELECT * FROM {})"
        changes.added = _scalar(con, count.format("n", "o"))
        changes.removed = _scalar(con, count.format("o", "n"))
        return changes
    keys = ", ".join(f'"{k}"' for k in key)
    rest = [c for c in common if c not in key]
    differs = " OR ".join(f'n."{c}" <> o."{c}"' for c in rest) or "false"
    queries = {"added": f"FROM n ANTI JOIN o USING ({keys})", "removed": f"FROM o ANTI JOIN n USING ({keys})",
               "changed": f"FROM n JOIN o USING ({keys}) WHERE {differs}"}
    for label, rows in queries.items():
        setattr(changes, label, _scalar(con, f"SELECT count(*) {rows}"))
        sample = con.execute(f"SELECT concat_ws(' / ', {keys}) AS k {rows} ORDER BY {keys} LIMIT {KEYS_SHOWN}")
        if found := [k for (k,) in sample.fetchall()]:
            changes.samples[label] = found
    if rest and changes.changed:
        pairs = ", ".join(f'o."{c}", n."{c}"' for c in rest)
        sample = con.execute(f"SELECT concat_ws(' / ', {keys}), {pairs} {queries['changed']} "
                             f"ORDER BY {keys} LIMIT {KEYS_SHOWN}").fetchall()
        changes.values = [changed_values(row[0], rest, row[1::2], row[2::2]) for row in sample]
    con.close()
    return changes


def _short(value: str) -> str:
    value = value.replace("\n", " ").replace("|", "\\|")
    return value if len(value) <= VALUE_CHARS else value[:VALUE_CHARS - 1] + "…"


def changed_values(key: str, columns: list[str], old: tuple[str, ...], new: tuple[str, ...]) -> str:
    """One changed row for CHANGES.md: its key, then each changed column's old and new value."""
    cells = [f"{column}: `{_short(a)}` → `{_short(b)}`" for column, a, b in zip(columns, old, new, strict=True)
             if a != b]
    return f"{key}: " + "; ".join(cells)


def changes_markdown(name: str, previous: str | None, changes: list[TableChanges]) -> str:
    """CHANGES.md: per table, rows added, removed and changed against the previous release."""
    lines = [f"# Changes in {name}", ""]
    lines += ([f"Compared with the previous release, {previous}, row by row by each table's key "
               "(tables without a key are compared as whole rows).", ""] if previous
              else ["First release: every row is new.", ""])
    lines += ["| table | rows | added | removed | changed |", "|---|---|---|---|---|"]
    lines += [f"| {c.table} | {c.rows} | {c.added} | {c.removed} | {c.changed} |" for c in changes]
    lines.append("")
    for c in changes:
        details = ([c.columns] if c.columns else []) + [
            f"{label}: {', '.join(keys)}" + (" ..." if len(keys) == KEYS_SHOWN else "")
            for label, keys in c.samples.items()]
        if previous and details:
            lines += [f"## {c.table}", "", *[f"- {d}" for d in details], ""]
        if previous and c.values:
            lines += [f"Changed values in {c.table} (old → new):", "", *[f"- {v}" for v in c.values], ""]
    return "\n".join(lines)


def _table_file(folder: Path | None, table: str) -> Path | None:
    path = folder / f"{table}.parquet" if folder else None
    return path if path and path.is_file() else None


# ---------------------------------------------------------------- SHA256SUMS, zip

def sha256sums(folder: Path, names: list[str]) -> str:
    """SHA256SUMS in the format `sha256sum -c` reads."""
    return "".join(f"{file_sha256(folder / n)}  {n}\n" for n in sorted(names))


def zip_bytes(folder: Path, names: list[str], name: str, today: date) -> bytes:
    """A zip of the release's files under a folder named after it, with fixed timestamps (reproducible)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for n in sorted(names):
            info = zipfile.ZipInfo(f"{name}/{n}", date_time=(today.year, today.month, today.day, 0, 0, 0))
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            archive.writestr(info, (folder / n).read_bytes())
    return buf.getvalue()


# ---------------------------------------------------------------- assembling and checking

def _release_datapackage(processed: Path, name: str) -> bytes:
    """The build's datapackage.json with the release name as its version."""
    package = json.loads((processed / "datapackage.json").read_text(encoding="utf-8"))
    package["version"] = name.removeprefix("v")
    return (json.dumps(package, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _excel_csv(table: str, folder: Path) -> bytes:
    """The table's CSV with a UTF-8 byte order mark, so Excel shows the Chinese text instead of mojibake."""
    return UTF8_BOM + (folder / f"{table}.csv").read_bytes()


def assemble(processed: Path, folder: Path, name: str, today: date, previous: Path | None) -> None:
    """Write every file of release `name` into `folder`."""
    for n in release_files(processed):
        if n != "datapackage.json":
            shutil.copyfile(processed / n, folder / n)
    (folder / "datapackage.json").write_bytes(_release_datapackage(processed, name))
    for table in RELEASED_TABLES:
        (folder / f"{table}.excel.csv").write_bytes(_excel_csv(table, folder))
    changes = [table_changes(t, _table_file(previous, t), folder / f"{t}.parquet") for t in RELEASED_TABLES]
    (folder / "CHANGES.md").write_text(changes_markdown(name, previous.name if previous else None, changes),
                                       encoding="utf-8")
    meta = load_metadata()
    (folder / "CITATION.cff").write_text(citation_cff(meta, name, today), encoding="utf-8")
    for licence in licence_files(meta):
        shutil.copyfile(licence, folder / licence.name)
    (folder / "README.md").write_text(release_readme(meta, folder, name, today), encoding="utf-8")
    names = sorted(p.name for p in folder.iterdir())
    (folder / "SHA256SUMS").write_text(sha256sums(folder, names), encoding="utf-8")
    (folder / f"{name}.zip").write_bytes(zip_bytes(folder, names + ["SHA256SUMS"], name, today))


def package_problems(folder: Path) -> list[str]:
    """Files that do not match the bytes and hashes datapackage.json gives for them."""
    problems = []
    for resource in json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))["resources"]:
        path = folder / resource["path"]
        if not path.is_file() or "sha256:" + file_sha256(path) != resource["hash"]:
            problems.append(f"{resource['path']} does not match datapackage.json (was the build interrupted?)")
    return problems


def untraced_reports(folder: Path) -> list[str]:
    """Reports whose raw_sha256 is not a capture with a URL or a stated source: bytes of unknown origin."""
    reports = pq.read_table(folder / "reports.parquet", columns=["report_id", "raw_sha256"]).to_pandas()
    captures = pq.read_table(folder / "captures.parquet", columns=["sha256", "url", "source"]).to_pandas()
    traced = set(captures.loc[captures["url"].notna() | captures["source"].notna(), "sha256"])
    untraced = reports.loc[~reports["raw_sha256"].isin(traced), "report_id"].tolist()
    return [f"reports {', '.join(untraced[:KEYS_SHOWN])} have no capture with a URL or source in captures"] \
        if untraced else []


def check_release(folder: Path) -> None:
    """Raise ReleaseError unless the folder's files match SHA256SUMS and datapackage.json, every report
    traces to a capture with a URL or source, and every Parquet file has its table's schema."""
    problems = []
    for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, n = line.split("  ", 1)
        if not (folder / n).is_file() or file_sha256(folder / n) != digest:
            problems.append(f"{n} does not match SHA256SUMS")
    problems += package_problems(folder) + untraced_reports(folder)
    for table in RELEASED_TABLES:
        if not pq.read_schema(folder / f"{table}.parquet").remove_metadata().equals(
                arrow_schema(table).remove_metadata()):
            problems.append(f"{table}.parquet does not have the schema of schemas/{table}.schema.json")
    if problems:
        raise ReleaseError("the release failed its checks: " + "; ".join(problems))


def point_latest(processed: Path, release: Path) -> None:
    """Make processed/latest point at `release`: a relative symlink, or a text file where there are none."""
    target = os.path.relpath(release, processed)
    staging = processed / f".{LATEST}.tmp"
    with contextlib.suppress(FileNotFoundError):
        staging.unlink()
    try:
        os.symlink(target, staging, target_is_directory=True)
    except (OSError, NotImplementedError):
        staging.write_text(target + "\n", encoding="utf-8")
    pointer = processed / LATEST
    if pointer.is_dir() and not pointer.is_symlink():
        raise ReleaseError(f"{pointer} is a folder; move it away so it can point at the newest release")
    os.replace(staging, pointer)


@contextlib.contextmanager
def _release_lock(root: Path) -> Iterator[None]:
    """One release at a time (where the OS has flock); a second waits for the first."""
    try:
        import fcntl
    except ImportError:  # Windows: no lock, releases are rare and started by hand
        yield
        return
    with (root / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def new_error_checks(processed: Path, previous: Path | None) -> list[str]:
    """Error checks on reports new since the `previous` release (every report, for a first release): what a
    person should look at before they are published. A page that could not be read at all is no report (it
    adds no row to reports): `all --cron` alarms about it when it is new, and it does not hold a release."""
    reports = set(pq.read_table(processed / "reports.parquet", columns=["report_id"])["report_id"].to_pylist())
    if previous is not None:
        reports -= set(pq.read_table(previous / "reports.parquet", columns=["report_id"])["report_id"].to_pylist())
    checks = pq.read_table(processed / "checks.parquet", columns=["report_id", "check", "severity", "message"])
    errors = checks.to_pandas().astype(object)
    errors = errors[(errors["severity"] == "error") & errors["report_id"].isin(reports)]
    return [f"{r.report_id} {r.check}: {r.message}" for r in errors.itertuples()]


def refusal(errors: list[str], previous: Path | None) -> str:
    """Why a release is refused: the error checks, and how to release anyway."""
    since = f"since {previous.name}" if previous else "(first release)"
    return (f"release refused: {len(errors)} error check(s) on reports new {since}:\n" +
            "\n".join(f"  {e}" for e in errors) +
            "\nlook at them, then `python -m pipeline release --accept` releases them anyway")


def write_release(processed: Path, today: date | None = None, accept: bool = False) -> ReleaseResult:
    """Release the build in `processed`; no new release when its content equals the newest release's, and
    none when reports new since the last release have error checks, unless `accept`.

    Raises nothing for a missing build, a refusal or a failed check: the result says what happened, and the
    previous releases and processed/latest are left as they were.
    """
    processed, today = Path(processed), today or date.today()
    try:
        release_files(processed)
        if problems := package_problems(processed):
            raise ReleaseError(f"the build in {processed} is not consistent: " + "; ".join(problems))
    except (ReleaseError, ValueError, KeyError) as err:
        return ReleaseResult(None, False, str(err))
    root = processed / RELEASES
    root.mkdir(parents=True, exist_ok=True)
    with _release_lock(root):
        for leftover in root.glob(".tmp-*"):  # from a release that was killed half-way
            shutil.rmtree(leftover, ignore_errors=True)
        existing = releases(processed)
        previous = existing[-1] if existing else None
        if previous and content_fingerprint(previous) == content_fingerprint(processed):
            point_latest(processed, previous)
            return ReleaseResult(previous, False, f"no change since {previous.name}: no new release written")
        if not accept and (errors := new_error_checks(processed, previous)):
            return ReleaseResult(None, False, refusal(errors, previous))
        name = next_release_name(processed, today)
        staging = root / f".tmp-{name}-{os.getpid()}"
        staging.mkdir()
        try:
            assemble(processed, staging, name, today, previous)
            check_release(staging)
            staging.rename(root / name)
        except (ReleaseError, OSError, ValueError) as err:
            return ReleaseResult(None, False, f"release {name} not written: {err}")
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        point_latest(processed, root / name)
    return ReleaseResult(root / name, True, f"released {name} into {root / name}")
