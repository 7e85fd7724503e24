"""`pipeline fetch`: download the catalogue's pages politely, find reports on column pages, archive it all.

Safe to run from cron against thousands of government sites:
- HTTP goes through pipeline.fetch.http: one request per host at a time with a delay, robots.txt, retries
  with backoff, redirects checked hop by hop, body limits; hosts run concurrently;
- challenge pages, login walls, empty pages and soft 404s are recognised and not archived;
- captures are written atomically by pipeline.fetch.archive, so a killed run leaves no half file and a rerun
  skips what finished.
"""

from __future__ import annotations

import heapq
import logging
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
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
from pipeline.fetch.listings import (
    Link,
    ListingPage,
    PageRequest,
    attachment_links,
    is_column_url,
    parse_listing,
    portal,
    year_from_title,
)
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


class ProgressBar(Protocol):
    """What fetch draws its progress on: a tqdm bar (pipeline.run.progress.progress_bar) or anything alike;
    its owner opens and closes it."""

    def update(self, n: int = 1) -> Any: ...
    def set_postfix_str(self, s: str = "", refresh: bool = True) -> Any: ...


class Progress:
    """Outcomes counted on the caller's progress bar, if it gave one (fetch itself never decides to draw)."""

    def __init__(self, bar: ProgressBar | None = None):
        self.bar = bar
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def tick(self, outcome: str) -> None:
        with self._lock:
            self.counts[outcome] += 1
            if self.bar is not None:
                self.bar.set_postfix_str(", ".join(f"{self.counts[o]} {o}" for o in OUTCOMES), refresh=False)
                self.bar.update(1)


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
        self.aliases: dict[str, str] = {}  # another URL of a found report -> the URL it is catalogued under

    def _count(self, url: str, outcome: str) -> None:
        self.summary.count(url, outcome)
        self.progress.tick(outcome)

    def archived_page(self, url: str) -> FetchedPage | None:
        """The newest archived capture of `url` as a Page, if there is one."""
        row = self.latest.get(url)
        if not row:
            return None
        body = (self.archive.root / row["path"]).read_bytes()
        text = decode(body, row.get("content_type", ""))[0] if is_text_type(row.get("content_type", ""), body) \
            else None
        return FetchedPage(url, row.get("final_url") or url, text)

    def fetch_page(self, page: PageRequest | str, kind: str, parent_url: str = "", *,
                   past_end: bool = False) -> FetchedPage | None:
        """Fetch one URL (conditionally if archived; a POST under its request key), archive it, count and log
        the outcome. With `past_end`, a 404 is the end of a list (skipped), not a failure.

        Returns the page (read back from the archive when unchanged), or None when nothing usable came.
        """
        request = page if isinstance(page, PageRequest) else PageRequest(page)
        url = request.key
        with self._seen_lock:
            if (url, kind) in self._done:
                return None
            self._done.add((url, kind))
        if self.fetcher.host_unreachable(request.url):
            self._count(url, "skipped")
            return None
        previous = self.latest.get(url)
        extra = {"kind": kind, "parent_url": parent_url}
        try:
            got = self.fetcher.get(request.url, headers=conditional_headers(previous) if request.method == "GET"
                                   else {}, method=request.method, data=request.data)
        except FetchError as exc:
            log.info("%s: %s", url, exc.reason)
            self.archive.record_failure(url, status=exc.status, error=exc.reason, **extra)
            self._count(url, exc.outcome)
            return None
        if got.status == 304 and previous:
            self.archive.record_failure(url, status=304, error="", final_url=got.final_url, **extra)
            self._count(url, "unchanged")
            return self.archived_page(url)
        if past_end and got.status == 404:
            self.archive.record_failure(url, status=404, error="HTTP 404: past the end of the list",
                                        final_url=got.final_url, **extra)
            self._count(url, "skipped")
            return None
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

    def crawl_listing(self, listing: dict[str, str], catalogued: Mapping[str, str] | None = None
                      ) -> list[dict[str, str]]:
        """Catalogue rows for the report links found on a listing and the pages and lists it leads to.

        A list (one series of pages) stops at the first page that adds no new links, once it has shown as
        many items as it says it holds, at a 404 past its end, and, when `catalogued` (report URL ->
        found_on) shows this listing was crawled before, at the first page with a report already found here.
        """
        catalogued = catalogued or {}
        start = listing["url"]
        known_here = set() if self.refresh else {u for u, on in catalogued.items() if on == start}
        crawl = _ListingCrawl(PageRequest(start))
        found: dict[str, dict[str, str]] = {}
        pages = 0
        while crawl.queue and pages < self.fetcher.config.max_listing_pages:
            request, series, first = crawl.queue.popleft()
            if series in crawl.stopped:
                continue
            pages += 1
            page = self._listing_page(PageRequest(urldefrag(request.url).url, request.method, request.data),
                                      start, first)
            if page is None or page.text is None:
                crawl.stopped.add(series)
                continue
            # A redirected listing's relative links resolve against where it ended up.
            fragment = urlsplit(request.url).fragment
            base = page.final_url + ("#" + fragment if fragment else "")
            parsed = parse_listing(PageRequest(base, request.method, request.data), page.text)
            for link in parsed.report_links():
                self._add_found(found, listing, link, parsed.column, catalogued)
            met_known = any({link.url, *link.aliases} & known_here for link in parsed.report_links())
            crawl.follow(parsed, series, done=met_known)
        if any(series not in crawl.stopped for _, series, _ in crawl.queue):
            self.summary.notes.append(f"listing {start}: stopped after {pages} pages (max_listing_pages)")
        return list(found.values())

    def _listing_page(self, request: PageRequest, listing_url: str, first: bool) -> FetchedPage | None:
        """A listing page: fetched, or read back from the archive when another listing fetched it this run."""
        with self._seen_lock:
            fetched_before = (request.key, "listing") in self._done
        if fetched_before:
            return self.archived_page(request.key)
        return self.fetch_page(request, "listing", parent_url="" if first else listing_url, past_end=not first)

    def _add_found(self, found: dict[str, dict[str, str]], listing: dict[str, str], link: Link, column: str,
                   catalogued: Mapping[str, str]) -> None:
        """Add a report link once, whichever of its URLs (gkmlpt URL, post_url) it was reached by."""
        names = (link.url, *link.aliases)
        with self._seen_lock:
            reached = any(name in found or name in self.aliases for name in names)
        if reached or not self._discoverable(link.url):
            return
        if known := next((name for name in link.aliases if name in catalogued), ""):
            with self._seen_lock:
                self.aliases[link.url] = known
            return
        found[link.url] = found_row(listing, link, column)
        with self._seen_lock:
            self.aliases.update({alias: link.url for alias in link.aliases})

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

    # --- portals -----------------------------------------------------------------------------------------

    def discover_site(self, site: dict[str, str]) -> list[dict[str, str]]:
        """Listing rows for the report columns found by following a portal's own navigation from its root,
        best menu links first, at most portal.MAX_DEPTH steps and portal.MAX_PAGES pages, no deeper than
        the step where the first column turned up."""
        root = site["url"]
        domain = portal.site_domain(root)
        queue: list[tuple[int, int, int, str, str]] = [(0, 0, 0, root, "")]  # depth, rank, order, url, parent
        visited: set[str] = set()
        columns: dict[str, dict[str, str]] = {}
        found_at: int | None = None
        while queue and len(visited) < portal.MAX_PAGES:
            depth, _, _, url, parent = heapq.heappop(queue)
            if (found_at is not None and depth > found_at) or url in visited:
                continue
            visited.add(url)
            page = self.fetch_page(url, "site", parent_url=parent)
            if page is None or page.text is None:
                continue
            if depth == 0:  # a portal that moved (x.gov.cn -> www.x.gov.cn, or a new domain) is where it went
                domain = portal.site_domain(page.final_url)
            nav = portal.read_portal_page(page.final_url, page.text, domain)
            for link in nav.columns:
                columns.setdefault(link.url, listing_from_site(site, link.url, link.title, url))
            if nav.lists_reports and depth > 0:
                columns.setdefault(url, listing_from_site(site, url, "", parent))
            if columns:
                found_at = depth if found_at is None else found_at
            if depth < portal.MAX_DEPTH:
                for order, target in enumerate(nav.follow):
                    if target not in visited and target not in columns:
                        heapq.heappush(queue, (depth + 1, order, len(visited), target, url))
        if not columns:
            self.summary.notes.append(f"site {root}: no report column found within {len(visited)} pages")
        return list(columns.values())


class _ListingCrawl:
    """The queue of one listing's crawl: (request, series, first page of its series?), the series stopped,
    and the article links seen so far (in all series)."""

    def __init__(self, start: PageRequest):
        self.queue: deque[tuple[PageRequest, int, bool]] = deque([(start, 0, True)])
        self.queued = {urldefrag(start.key).url}
        self.stopped: set[int] = set()
        self.seen: set[str] = set()
        self.shown: dict[int, int] = {}
        self.series = 1

    def follow(self, parsed: ListingPage, series: int, *, done: bool) -> None:
        """Count what the page added; queue its next pages unless its series is done, and its lists."""
        pager = {r.url for r in parsed.more}
        new = {link.url for link in parsed.links
               if link.url not in self.seen and link.url not in pager and not is_column_url(link.url)}
        self.seen |= new
        self.shown[series] = self.shown.get(series, 0) + len(new)
        full = parsed.expected is not None and self.shown[series] >= parsed.expected
        if done or full or not new:
            self.stopped.add(series)
        else:
            self._push(parsed.more, series, first=False)
        for request in parsed.lists:
            self.series += 1
            self._push([request], self.series, first=True)

    def _push(self, requests: Iterable[PageRequest], series: int, *, first: bool) -> None:
        for request in requests:
            key = urldefrag(request.key).url if request.method == "GET" else request.key
            if key not in self.queued:
                self.queued.add(key)
                self.queue.append((request, series, first))


def found_row(listing: dict[str, str], link: Link, column: str = "") -> dict[str, str]:
    """A catalogue report row for a link found on a listing: place fields copied, year from the title, what
    the list row showed (date, else the URL's; 文号; 成文日期), and the column it was listed in."""
    year = year_from_title(link.title)
    return {"kind": "report", "url": link.url, "jurisdiction": listing.get("jurisdiction", ""),
            "parent": listing.get("parent", ""), "level": listing.get("level", ""),
            "year": str(year) if year else "", "title": link.title, "published": link.published,
            "doc_number": link.doc_number, "written": link.written, "column": column, "found_on": listing["url"]}


def listing_from_site(site: dict[str, str], url: str, title: str, found_on: str) -> dict[str, str]:
    """A catalogue listing row for a report column found from a portal: the portal's place fields."""
    return {"kind": "listing", "url": url, "jurisdiction": site.get("jurisdiction", ""),
            "parent": site.get("parent", ""), "level": site.get("level", ""), "column": title,
            "found_on": found_on}


def add_catalogue_rows(sources: Path, new: list[dict[str, str]]) -> tuple[list[dict[str, str]], int]:
    """Merge rows into the catalogue (re-read first: it may have changed meanwhile), write it if anything
    changed; return the catalogue rows and how many URLs were new to it."""
    current = catalogue.read_catalogue(sources)
    before = [dict(r) for r in current]
    added = len({r["url"] for r in new} - {r["url"] for r in current})
    merged = catalogue.merge_rows(current, new)
    if merged != before:
        catalogue.write_catalogue(sources, merged)
    return merged, added


def add_found_reports(sources: Path, found: list[dict[str, str]], summary: FetchSummary) -> list[dict[str, str]]:
    """Merge found report rows into the catalogue and count the new ones; return the catalogue rows."""
    merged, summary.discovered = add_catalogue_rows(sources, found)
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


def unresolvable_hosts(urls: Iterable[str], threshold: int, resolver: Callable[[str, int], list]) -> list[str]:
    """One URL per host when the hosts of `urls`, looked up one after the other, all fail DNS (the first
    `threshold` of them; none resolving): the machine has no network. Empty as soon as one host resolves.
    Done before any thread starts, so identical runs without network count identically."""
    failed: list[str] = []
    for group in by_host(urls):
        parts = urlsplit(group[0])
        if len(failed) >= threshold:
            break
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            continue
        try:
            resolver(parts.hostname, 443 if parts.scheme == "https" else 80)
        except (OSError, UnicodeError):
            failed.append(group[0])
            continue
        return []
    return failed


def run_fetch(sources: Path, raw_dir: Path, *, offline: bool = False, refresh: bool = False,
              allow_private: bool = False, config: FetchConfig | None = None,
              resolver: Callable[[str, int], list] = resolve_host, bar: ProgressBar | None = None) -> FetchSummary:
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
    run = Run(Archive(raw_dir), fetcher, refresh=refresh, progress=Progress(bar))

    def failed(url: str, exc: Exception) -> None:
        run.archive.record_failure(url, error=f"internal error: {_describe(exc)}")
        run._count(url, "failed")

    wanted = [r["url"] for r in rows if r["url"] and (r["kind"] in {"listing", "site"} or refresh
                                                      or r["url"] not in run.latest)]
    if unreachable := unresolvable_hosts(wanted, config.no_network_after, resolver):
        for url in unreachable:  # counted, but not in the manifest: it says nothing about the sites
            run._count(url, "failed")
        message = f"no network: {len(unreachable)} host(s) failed DNS lookup and none resolved; nothing fetched"
        log.warning(message)
        run.summary.notes.append(message)
        return run.summary
    try:
        rows = discover_columns(run, sources, rows, stop)
        listings = [r for r in rows if r["kind"] == "listing" and r["url"]]
        found: list[dict[str, str]] = []
        by_url = {r["url"]: r for r in listings}
        catalogued = {r["url"]: r["found_on"] for r in rows if r["kind"] == "report" and r["url"]}

        def crawl(url: str) -> None:
            found.extend(run.crawl_listing(by_url[url], catalogued))

        run_per_host(by_host(by_url), crawl, workers=config.max_hosts_parallel, stop=stop, on_error=failed)
        found = [row for row in found if row["url"] not in run.aliases]  # one post reached two ways
        if found:
            rows = add_found_reports(sources, found, run.summary)
        reports = list(dict.fromkeys(r["url"] for r in rows if r["kind"] == "report" and r["url"]))

        run_per_host(by_host(reports), run.process_report, workers=config.max_hosts_parallel, stop=stop,
                     on_error=failed)
    except KeyboardInterrupt:
        log.warning("interrupted: finished captures are archived; run again to continue")
        raise
    run.summary.notes.extend(fetcher.set_aside_notes())
    return run.summary


def discover_columns(run: Run, sources: Path, rows: list[dict[str, str]],
                     stop: threading.Event) -> list[dict[str, str]]:
    """Follow the navigation of each `site` row from which no column was found yet (every one with refresh)
    to its report columns; add them as `listing` rows; return the catalogue rows."""
    found_from = [r["found_on"] for r in rows if r["kind"] == "listing" and r["found_on"]]
    sites = {r["url"]: r for r in rows if r["kind"] == "site" and r["url"]
             and (run.refresh or not any(portal.on_site(url, portal.site_domain(r["url"])) for url in found_from))}
    if not sites:
        return rows
    columns: list[dict[str, str]] = []

    def discover(url: str) -> None:
        columns.extend(run.discover_site(sites[url]))

    def failed(url: str, exc: Exception) -> None:
        run.summary.notes.append(f"site {url}: discovery failed ({_describe(exc)})")

    run_per_host(by_host(sites), discover, workers=run.fetcher.config.max_hosts_parallel, stop=stop,
                 on_error=failed)
    if not columns:
        return rows
    rows, added = add_catalogue_rows(sources, columns)
    run.summary.notes.append(f"{added} new report column(s) found from portal roots")
    return rows
