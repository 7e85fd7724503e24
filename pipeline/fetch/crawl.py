"""`pipeline fetch`: download the catalogue's pages politely, find reports on column pages, archive it all.

Safe to run from cron against thousands of government sites:
- HTTP goes through pipeline.fetch.http: one request per host at a time with a delay, robots.txt, retries
  with backoff, redirects checked hop by hop, body limits; hosts run concurrently;
- challenge pages, login walls, empty pages and soft 404s are recognised and not archived;
- captures are written atomically by pipeline.fetch.archive, so a killed run leaves no half file and a rerun
  skips what finished.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

from pipeline.fetch import catalogue
from pipeline.fetch.archive import Archive
from pipeline.fetch.http import (
    FetchConfig,
    Fetcher,
    FetchError,
    Interrupted,
    _describe,
    conditional_headers,
    failure_reason,
    host_key,
    is_text_type,
    resolve_host,
)
from pipeline.fetch.listings import attachment_links, parse_listing, year_from_title
from pipeline.parse.encoding import decode

__all__ = ["FetchConfig", "FetchError", "Fetcher", "FetchSummary", "resolve_host", "run_fetch"]

log = logging.getLogger(__name__)


@dataclass
class HostCounts:
    fetched: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0


OUTCOMES = ("fetched", "unchanged", "skipped", "failed")


@dataclass
class FetchSummary:
    """What a run did, per host; `render()` gives the terminal table."""

    hosts: dict[str, HostCounts] = field(default_factory=dict)
    discovered: int = 0  # report links found on listing pages that were new to the catalogue
    notes: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, url: str, outcome: str) -> None:
        """Add one URL's outcome (fetched, unchanged, skipped or failed) to its host."""
        host = host_key(url) or "(no host)"
        with self._lock:
            counts = self.hosts.setdefault(host, HostCounts())
            setattr(counts, outcome, getattr(counts, outcome) + 1)

    def total(self, outcome: str) -> int:
        return sum(getattr(c, outcome) for c in self.hosts.values())

    @property
    def fetched(self) -> int:
        return self.total("fetched")

    @property
    def unchanged(self) -> int:
        return self.total("unchanged")

    @property
    def skipped(self) -> int:
        return self.total("skipped")

    @property
    def failed(self) -> int:
        return self.total("failed")

    def render(self) -> str:
        """A table: one line per host, a total line, then notes (no network, interrupted, discovered)."""
        width = max([len("total"), *(len(h) for h in self.hosts)])
        head = f"{'host':<{width}}  " + "  ".join(f"{o:>9}" for o in OUTCOMES)
        lines = [head, "-" * len(head)]
        for host in sorted(self.hosts):
            c = self.hosts[host]
            lines.append(f"{host:<{width}}  " + "  ".join(f"{getattr(c, o):>9}" for o in OUTCOMES))
        lines.append(f"{'total':<{width}}  " + "  ".join(f"{self.total(o):>9}" for o in OUTCOMES))
        lines.append(f"{self.discovered} new report link(s) found on listing pages")
        return "\n".join([*lines, *self.notes])


class Progress:
    """A one-line counter on stderr, only when it is a terminal (cron logs stay clean)."""

    def __init__(self, enabled: bool | None):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._last = 0.0

    def tick(self, outcome: str) -> None:
        with self._lock:
            self.counts[outcome] += 1
            if self.enabled and time.monotonic() - self._last > 0.2:
                self._last = time.monotonic()
                done = sum(self.counts.values())
                parts = ", ".join(f"{self.counts[o]} {o}" for o in OUTCOMES)
                sys.stderr.write(f"\rfetch: {done} URLs ({parts})   ")
                sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self.counts:
            sys.stderr.write("\n")


@dataclass
class FetchedPage:
    """A page as the run knows it after fetching (or reading back from the archive): its text if textual."""

    url: str
    final_url: str
    text: str | None


class Run:
    """One `pipeline fetch`: the archive, what is already in it, the fetcher and the running summary."""

    def __init__(self, archive: Archive, fetcher: Fetcher, *, refresh: bool, progress: Progress):
        self.archive = archive
        self.fetcher = fetcher
        self.refresh = refresh
        self.progress = progress
        self.summary = FetchSummary()
        self.latest = archive.latest_rows()
        self._seen_lock = threading.Lock()
        self._done: set[tuple[str, str]] = set()
        # DNS failures wait here until some host resolves: on a machine with no network at all they say
        # nothing about the sites, and recording them would only churn the committed manifest.
        self._dns_failures: list[dict[str, str]] = []

    def _count(self, url: str, outcome: str) -> None:
        self.summary.count(url, outcome)
        self.progress.tick(outcome)

    def record_dns_failures_if_online(self) -> None:
        """Write the held-back DNS failures to the manifest, once some host has resolved."""
        if self.fetcher.dns_ok:
            for failure in self._dns_failures:
                self.archive.record_failure(**failure)
        self._dns_failures.clear()

    def archived_page(self, url: str) -> FetchedPage | None:
        """The newest archived capture of `url` as a Page, if there is one."""
        row = self.latest.get(url)
        if not row:
            return None
        body = (self.archive.root / row["path"]).read_bytes()
        text = decode(body, row.get("content_type", ""))[0] if is_text_type(row.get("content_type", ""), body) \
            else None
        return FetchedPage(url, row.get("final_url") or url, text)

    def fetch_page(self, url: str, kind: str, parent_url: str = "") -> FetchedPage | None:
        """Fetch one URL (conditionally if archived), archive it, count and log the outcome.

        Returns the page (read back from the archive when unchanged), or None when nothing usable came.
        """
        with self._seen_lock:
            if (url, kind) in self._done:
                return None
            self._done.add((url, kind))
        if self.fetcher.host_unreachable(url):
            self._count(url, "skipped")
            return None
        previous = self.latest.get(url)
        extra = {"kind": kind, "parent_url": parent_url}
        try:
            got = self.fetcher.get(url, headers=conditional_headers(previous))
        except FetchError as exc:
            log.info("%s: %s", url, exc.reason)
            failure = {"url": url, "status": exc.status, "error": exc.reason, **extra}
            if exc.dns and not self.fetcher.dns_ok:
                with self._seen_lock:
                    self._dns_failures.append(failure)
            else:
                self.archive.record_failure(**failure)
            self._count(url, exc.outcome)
            return None
        if got.status == 304 and previous:
            self.archive.record_failure(url, status=304, error="", final_url=got.final_url, **extra)
            self._count(url, "unchanged")
            return self.archived_page(url)
        text, encoding = decode(got.body, got.content_type) if is_text_type(got.content_type, got.body) \
            else (None, "")
        reason = failure_reason(got, text or "", kind)
        if reason:
            log.info("%s: %s", url, reason)
            self.archive.record_failure(url, status=got.status, error=reason, final_url=got.final_url, **extra)
            self._count(url, "failed")
            return None
        capture = self.archive.store(
            got.body, url=url, status=got.status, content_type=got.content_type, final_url=got.final_url,
            encoding=encoding, etag=got.headers.get("ETag", ""), extension=got.document_type,
            last_modified=got.headers.get("Last-Modified", ""), **extra)
        unchanged = previous is not None and previous.get("sha256") == capture.sha256
        self.latest[url] = {"url": url, "sha256": capture.sha256, "path": capture.path,
                            "final_url": got.final_url, "content_type": got.content_type}
        self._count(url, "unchanged" if unchanged else "fetched")
        return FetchedPage(url, got.final_url, text)

    # --- reports and attachments -------------------------------------------------------------------------

    def process_report(self, url: str) -> None:
        """Fetch a report page unless archived (or with refresh), then its missing attachments."""
        if url in self.latest and not self.refresh:
            self._count(url, "skipped")
            page = self.archived_page(url)
        else:
            page = self.fetch_page(url, "report")
        if page is None or page.text is None:
            return
        for link in attachment_links(page.final_url, page.text)[: self.fetcher.config.max_attachments]:
            if link in self.latest and not self.refresh:
                continue
            self.fetch_page(link, "attachment", parent_url=url)

    # --- listings ----------------------------------------------------------------------------------------

    def crawl_listing(self, listing: dict[str, str]) -> list[dict[str, str]]:
        """Catalogue rows for the report links found on a listing and the pages it leads to."""
        start = listing["url"]
        queue, seen = deque([start]), {urldefrag(start).url}
        found: dict[str, dict[str, str]] = {}
        pages = 0
        while queue and pages < self.fetcher.config.max_listing_pages:
            page_url = queue.popleft()
            pages += 1
            page = self.fetch_page(urldefrag(page_url).url, "listing")
            if page is None or page.text is None:
                continue
            # A redirected listing's relative links resolve against where it ended up.
            base = page.final_url + ("#" + urlsplit(page_url).fragment if urlsplit(page_url).fragment else "")
            parsed = parse_listing(base, page.text)
            for link in parsed.report_links():
                if link.url not in found and self._discoverable(link.url):
                    found[link.url] = found_row(listing, link.url, link.title, link.published)
            for more in parsed.more:
                if urldefrag(more).url not in seen:
                    seen.add(urldefrag(more).url)
                    queue.append(more)
        if queue:
            self.summary.notes.append(f"listing {start}: stopped after {pages} pages (max_listing_pages)")
        return list(found.values())

    def _discoverable(self, url: str) -> bool:
        """True unless a found link points at a refused address (non-http, private) — DNS errors wait."""
        try:
            self.fetcher.check_url(url)
        except FetchError as exc:
            if exc.dns:
                return True
            log.info("discovered link %s dropped: %s", url, exc.reason)
            return False
        return True


def found_row(listing: dict[str, str], url: str, title: str, published: str) -> dict[str, str]:
    """A catalogue report row for a link found on a listing: place fields copied, year from the title."""
    year = year_from_title(title)
    return {"kind": "report", "url": url, "jurisdiction": listing.get("jurisdiction", ""),
            "parent": listing.get("parent", ""), "level": listing.get("level", ""),
            "year": str(year) if year else "", "title": title, "published": published,
            "found_on": listing["url"]}


def add_found_reports(sources: Path, found: list[dict[str, str]], summary: FetchSummary) -> list[dict[str, str]]:
    """Merge found report rows into the catalogue (re-read first: it may have changed meanwhile) and
    write it if anything changed; return the catalogue rows."""
    current = catalogue.read_catalogue(sources)
    before = [dict(r) for r in current]
    summary.discovered = len({r["url"] for r in found} - {r["url"] for r in current})
    merged = catalogue.merge_rows(current, found)
    if merged != before:
        catalogue.write_catalogue(sources, merged)
    return merged


def by_host(urls: Iterable[str]) -> list[list[str]]:
    """URLs grouped by host, biggest group first (so the longest queues start first)."""
    groups: dict[str, list[str]] = {}
    for url in urls:
        groups.setdefault(host_key(url), []).append(url)
    return sorted(groups.values(), key=len, reverse=True)


def run_per_host(groups: list[list[Any]], work: Callable[[Any], None], *, workers: int, stop: threading.Event,
                 url_of: Callable[[Any], str] = str, on_error: Callable[[Any, Exception], None]) -> None:
    """Hosts in parallel, each host's items one after the other; one broken item never stops the rest.

    Ctrl-C sets `stop`: workers finish their current request and leave; KeyboardInterrupt is re-raised.
    """
    def host_worker(items: list[Any]) -> None:
        for item in items:
            if stop.is_set():
                return
            try:
                work(item)
            except Interrupted:
                return
            except Exception as exc:  # one bad page must not stop the others
                log.exception("%s: unexpected error", url_of(item))
                on_error(item, exc)

    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="fetch")
    try:
        futures = [pool.submit(host_worker, group) for group in groups if group]
        for future in as_completed(futures):
            future.result()
    except KeyboardInterrupt:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def run_fetch(sources: Path, raw_dir: Path, *, offline: bool = False, refresh: bool = False,
              allow_private: bool = False, config: FetchConfig | None = None,
              resolver: Callable[[str, int], list] = resolve_host) -> FetchSummary:
    """Crawl the catalogue's listing rows for new reports, then fetch every report page not yet archived
    (all of them with `refresh`, conditionally) and their attachments. Never raises for network trouble:
    offline or with no network it warns and returns. A malformed catalogue raises catalogue.CatalogueError.
    """
    config = config or FetchConfig()
    rows = catalogue.read_catalogue(sources)
    if not rows:
        log.warning("the catalogue %s has no rows: nothing to fetch", sources)
    if offline:
        log.warning("offline: nothing fetched; using the archive as it is")
        summary = FetchSummary()
        summary.notes.append("offline: nothing fetched")
        return summary
    stop = threading.Event()
    fetcher = Fetcher(config, allow_private=allow_private, stop=stop, resolver=resolver)
    progress = Progress(config.progress)
    run = Run(Archive(raw_dir), fetcher, refresh=refresh, progress=progress)
    watch = _NoNetworkWatch(fetcher, config.no_network_after, stop)

    def failed(url: str, exc: Exception) -> None:
        run.archive.record_failure(url, error=f"internal error: {_describe(exc)}")
        run._count(url, "failed")

    try:
        listings = [r for r in rows if r["kind"] == "listing" and r["url"]]
        found: list[dict[str, str]] = []
        by_url = {r["url"]: r for r in listings}

        def crawl(url: str) -> None:
            found.extend(run.crawl_listing(by_url[url]))
            watch.check()

        run_per_host(by_host(by_url), crawl, workers=config.max_hosts_parallel, stop=stop, on_error=failed)
        if found:
            rows = add_found_reports(sources, found, run.summary)
        reports = list(dict.fromkeys(r["url"] for r in rows if r["kind"] == "report" and r["url"]))

        def fetch_report(url: str) -> None:
            run.process_report(url)
            watch.check()

        if not watch.no_network:
            run_per_host(by_host(reports), fetch_report, workers=config.max_hosts_parallel, stop=stop,
                         on_error=failed)
    except KeyboardInterrupt:
        log.warning("interrupted: finished captures are archived; run again to continue")
        raise
    finally:
        progress.close()
    run.record_dns_failures_if_online()
    run.summary.notes.extend(fetcher.set_aside_notes())
    if watch.no_network or (fetcher.dns_failed and not fetcher.dns_ok):
        message = (f"no network: {len(fetcher.dns_failed)} host(s) failed DNS lookup and none resolved; "
                   "nothing more fetched")
        log.warning(message)
        run.summary.notes.append(message)
    return run.summary


class _NoNetworkWatch:
    """Stops the run when the first hosts all fail DNS and none resolves: the machine has no network."""

    def __init__(self, fetcher: Fetcher, threshold: int, stop: threading.Event):
        self.fetcher = fetcher
        self.threshold = threshold
        self.stop = stop
        self.no_network = False

    def check(self) -> None:
        if not self.fetcher.dns_ok and len(self.fetcher.dns_failed) >= self.threshold:
            self.no_network = True
            self.stop.set()
