"""`pipeline fetch`: download the catalogue's pages politely, find reports on column pages, archive it all.

Safe to run from cron against thousands of government sites:
- each host gets one request at a time, at least `delay` seconds apart (robots.txt Crawl-delay wins if
  longer), hosts run concurrently; robots.txt is honoured;
- retries with exponential backoff (urllib3's Retry as the policy, Retry-After honoured) go through the same
  per-host gate, and every URL has a total time budget;
- redirects are followed by hand, each hop checked (http/https only, no private addresses, robots);
- bodies are streamed and cut at `max_bytes` decoded bytes (so gzip bombs stop too);
- challenge pages, login walls, empty pages and soft 404s are recognised and not archived;
- captures are written atomically by pipeline.fetch.archive, so a killed run leaves no half file and a rerun
  skips what finished.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urldefrag, urljoin, urlsplit

import requests
from protego import Protego
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError
from urllib3.util.retry import Retry

from pipeline import __version__
from pipeline.fetch import catalogue
from pipeline.fetch.archive import Archive
from pipeline.fetch.listings import attachment_links, parse_html, parse_listing, year_from_title
from pipeline.parse.encoding import decode

log = logging.getLogger(__name__)

DEFAULT_CONTACT_URL = "https://github.com/fzzf-reports/fzzf-reports"
USER_AGENT_ENV = "FZZF_USER_AGENT"
CONTACT_ENV = "FZZF_CONTACT_URL"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_TEXT_TYPES = ("text/", "application/xhtml", "application/json", "application/xml", "application/javascript")
_DOCUMENT_MAGIC = (b"%PDF", b"\xd0\xcf\x11\xe0", b"PK\x03\x04")  # PDF; OLE (doc, wps); zip (docx)
_CHALLENGE_STATUSES = frozenset({202, 403, 412, 503, 521})
_CHALLENGE_MARKERS = re.compile(
    r"\$_ts|__jsl_clearance|_waf_|acw_sc__|document\.cookie|location\.reload|challenge|安全验证|人机验证|滑动验证"
    r"|请开启\s*JavaScript|请启用\s*JavaScript|正在验证|浏览器安全检查|访问验证", re.I)
_SOFT_404 = re.compile(r"页面不存在|页面未找到|找不到(?:该|您要访问的)?页面|\b404\b|not\s*found|页面已删除|信息不存在"
                       r"|文章不存在|已被删除|已删除|无法找到|页面已失效", re.I)
_LOGIN_TITLE = re.compile(r"登录|登陆|统一身份认证|用户认证|sign\s*in|log\s*in", re.I)
_LOGIN_PATH = re.compile(r"/(?:login|signin|sso|cas|auth)\b", re.I)


@dataclass
class FetchConfig:
    """Everything tunable about fetching; defaults are the polite ones for public sites."""

    contact_url: str = DEFAULT_CONTACT_URL  # who to contact about this crawler; goes into the User-Agent
    user_agent: str = ""  # whole User-Agent; "" builds one from contact_url; env FZZF_USER_AGENT overrides
    delay: float = 1.0  # seconds between two requests to one host (robots.txt Crawl-delay wins if longer)
    connect_timeout: float = 10.0
    read_timeout: float = 30.0  # longest silence while reading
    max_seconds_per_url: float = 180.0  # whole budget of one URL: attempts, waits, body
    retries: int = 4  # further attempts after the first on connection errors, timeouts, 429 and 5xx
    backoff_factor: float = 1.0  # waits grow backoff_factor * 2**n seconds (at least `delay`)
    backoff_max: float = 60.0
    max_retry_after: float = 120.0  # a longer Retry-After gives up on the URL for this run
    max_bytes: int = 20 * 1024 * 1024  # decoded body size limit (counts gzip output, so bombs stop)
    max_redirects: int = 10
    max_hosts_parallel: int = 8
    max_listing_pages: int = 50  # per listing row
    max_attachments: int = 20  # per report page
    https_fallback: bool = True  # some gov.cn sites fail TLS handshakes while plain http works
    no_network_after: int = 5  # this many hosts failing DNS, none resolving: assume no network, stop
    allow_private_hosts: frozenset[str] = frozenset()  # host[:port]s exempt from the private-address check

    def resolved_user_agent(self) -> str:
        """The User-Agent to send: env FZZF_USER_AGENT, else user_agent, else one naming the contact URL."""
        if env := os.environ.get(USER_AGENT_ENV, "").strip():
            return env
        if self.user_agent:
            return self.user_agent
        contact = os.environ.get(CONTACT_ENV, "").strip() or self.contact_url
        return (f"fzzf-reports/{__version__} (+{contact}; research crawler collecting published "
                f"rule-of-law government reports; one request per host at a time)")


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


class FetchError(Exception):
    """A URL could not be fetched as a usable page; `reason` goes into the manifest's error column."""

    def __init__(self, reason: str, status: int | str = "", *, outcome: str = "failed", dns: bool = False,
                 tls: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.outcome = outcome  # "skipped" for robots.txt refusals, else "failed"
        self.dns = dns
        self.tls = tls


class Interrupted(Exception):
    """The run is stopping (Ctrl-C or no network); workers leave after the current request."""


@dataclass
class Fetched:
    """A response as received: final URL after redirects, status, headers and the (decoded) body bytes."""

    url: str
    final_url: str
    status: int
    headers: Mapping[str, str]
    body: bytes = b""
    raw: Any = None  # the urllib3 response, for the retry policy

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")


def host_key(url: str) -> str:
    """The politeness unit of a URL: its host[:port], lower-cased."""
    return urlsplit(url).netloc.lower()


def resolve_host(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every address a host name resolves to (raises socket.gaierror when it does not resolve)."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def is_public_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """False for loopback, private, link-local, reserved, multicast and unspecified addresses."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class HostGate:
    """One request at a time per host, `delay` seconds from the end of one to the start of the next."""

    def __init__(self, delay: float):
        self.delay = delay
        self._lock = threading.Lock()
        self._next = 0.0

    @contextmanager
    def turn(self, deadline: float, stop: threading.Event) -> Iterator[dict[str, float]]:
        """Wait for this host's turn; the caller may set slot["after"] to wait longer before the next one."""
        with self._lock:
            wait = self._next - time.monotonic()
            if time.monotonic() + max(wait, 0) > deadline:
                raise FetchError(f"time budget spent waiting {wait:.0f} s for the host's next turn")
            if wait > 0 and stop.wait(wait):
                raise Interrupted
            slot = {"after": 0.0}
            try:
                yield slot
            finally:
                self._next = time.monotonic() + max(self.delay, slot["after"])


class Fetcher:
    """The HTTP client: pooled sessions, robots.txt, per-host gates, retries, redirects and body limits."""

    def __init__(self, config: FetchConfig, *, allow_private: bool = False, stop: threading.Event | None = None,
                 resolver: Callable[[str, int], list] = resolve_host):
        self.config = config
        self.allow_private = allow_private
        self.stop = stop or threading.Event()
        self.user_agent = config.resolved_user_agent()
        self._resolver = resolver
        self._local = threading.local()
        self._lock = threading.Lock()
        self._gates: dict[str, HostGate] = {}
        self._robots: dict[str, Protego | FetchError | None] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        self._dns: dict[str, list | FetchError] = {}
        self.dns_failed: set[str] = set()
        self.dns_ok: set[str] = set()

    # --- plumbing ------------------------------------------------------------------------------------------

    def session(self) -> requests.Session:
        """This thread's session: a keep-alive connection pool, no automatic retries or redirects."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=16, pool_maxsize=4, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers.update({"User-Agent": self.user_agent,
                                    "Accept": "text/html,application/xhtml+xml,application/pdf,*/*;q=0.8",
                                    "Accept-Language": "zh-CN,zh;q=0.9"})
            self._local.session = session
        return session

    def gate(self, url: str) -> HostGate:
        with self._lock:
            return self._gates.setdefault(host_key(url), HostGate(self.config.delay))

    def host_unreachable(self, url: str) -> bool:
        """True once the URL's host has failed to resolve in this run."""
        return (urlsplit(url).hostname or "") in self.dns_failed

    def _addresses(self, host: str, port: int) -> list:
        with self._lock:
            cached = self._dns.get(host)
        if cached is None:
            try:
                cached = self._resolver(host, port)
                self.dns_ok.add(host)
            except (OSError, UnicodeError) as exc:
                cached = FetchError(f"DNS lookup of {host} failed: {exc}", dns=True)
                self.dns_failed.add(host)
            with self._lock:
                self._dns[host] = cached
        if isinstance(cached, FetchError):
            raise cached
        return cached

    def check_url(self, url: str) -> None:
        """Raise FetchError unless `url` is http(s) and its host resolves to public addresses only
        (private ones allowed with allow_private or for hosts in config.allow_private_hosts)."""
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise FetchError(f"refused: only http and https URLs are fetched, not {url[:80]!r}")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise FetchError(f"refused: bad port in {url[:80]!r}") from exc
        addresses = self._addresses(parts.hostname, port)
        if self.allow_private or parts.netloc.lower() in self.config.allow_private_hosts:
            return
        private = [str(ip) for ip in addresses if not is_public_address(ip)]
        if private:
            raise FetchError(f"refused: {parts.hostname} resolves to a loopback/private/link-local address "
                             f"({', '.join(private)})")

    # --- robots.txt ----------------------------------------------------------------------------------------

    def check_robots(self, url: str) -> None:
        """Raise FetchError (outcome skipped) if robots.txt disallows `url` for our User-Agent."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            lock = self._robots_locks.setdefault(origin, threading.Lock())
        with lock:
            if origin not in self._robots:
                self._robots[origin] = self._load_robots(origin)
        rules = self._robots[origin]
        if isinstance(rules, FetchError):
            raise rules
        if rules is not None and not rules.can_fetch(url, self.user_agent):
            raise FetchError("disallowed by robots.txt", outcome="skipped")

    def _load_robots(self, origin: str) -> Protego | FetchError | None:
        """Parsed rules (None: everything allowed). RFC 9309: 4xx allows all; 5xx or unreachable allows none."""
        try:
            got = self.get(f"{origin}/robots.txt", robots=False, max_redirects=5)
        except FetchError as exc:
            if exc.dns:
                raise
            return FetchError(f"robots.txt unavailable ({exc.reason}); site not fetched", exc.status)
        if 400 <= got.status < 500:
            return None
        if got.status >= 500 or got.status < 200 or got.status >= 300:
            return FetchError(f"robots.txt unavailable (HTTP {got.status}); site not fetched", got.status)
        rules = Protego.parse(decode(got.body, got.content_type)[0])
        crawl_delay = rules.crawl_delay(self.user_agent)
        if crawl_delay:
            gate = self.gate(origin)
            gate.delay = max(gate.delay, float(crawl_delay))
        return rules

    # --- requests ------------------------------------------------------------------------------------------

    def get(self, url: str, *, headers: Mapping[str, str] | None = None, robots: bool = True,
            max_redirects: int | None = None) -> Fetched:
        """GET `url`, following redirects by hand (each hop checked); raise FetchError when it fails."""
        deadline = time.monotonic() + self.config.max_seconds_per_url
        limit = self.config.max_redirects if max_redirects is None else max_redirects
        seen = {url}
        hop = url
        for _ in range(limit + 1):
            self.check_url(hop)
            if robots:
                self.check_robots(hop)
            try:
                got = self._get_with_retries(hop, headers or {}, deadline)
            except FetchError as exc:
                if not (exc.tls and self.config.https_fallback and hop.startswith("https://")):
                    raise
                log.info("%s: %s; trying plain http", hop, exc.reason)
                hop = "http://" + hop[len("https://"):]
                continue
            location = got.headers.get("Location", "")
            if got.status not in REDIRECT_STATUSES or not location:
                got.url, got.final_url = url, hop
                return got
            target = urldefrag(urljoin(hop, location.strip())).url
            if target in seen:
                raise FetchError(f"redirect loop: {hop} -> {target}", got.status)
            seen.add(target)
            hop = target
        raise FetchError(f"more than {limit} redirects (last {hop})")

    def _retry_policy(self) -> Retry:
        return Retry(total=self.config.retries, redirect=False, status_forcelist=RETRY_STATUSES,
                     allowed_methods=frozenset({"GET"}), backoff_factor=self.config.backoff_factor,
                     backoff_max=self.config.backoff_max, respect_retry_after_header=True,
                     raise_on_status=False)

    def _get_with_retries(self, url: str, headers: Mapping[str, str], deadline: float) -> Fetched:
        """One URL (no redirects): attempts through the host's gate, backing off between them."""
        retry = self._retry_policy()
        gate = self.gate(url)
        attempts = 0
        while True:
            if self.stop.is_set():
                raise Interrupted
            with gate.turn(deadline, self.stop) as slot:
                attempts += 1
                got, error = None, None
                try:
                    got = self._attempt(url, headers, deadline)
                except _RETRYABLE as exc:
                    error = exc
                if got is not None and not retry.is_retry("GET", got.status, "Retry-After" in got.headers):
                    return got
                what = f"HTTP {got.status}" if got is not None else _describe(error)
                try:
                    retry = retry.increment("GET", url, response=got.raw if got else None, error=error)
                except MaxRetryError:
                    raise FetchError(f"{what} after {attempts} attempts", got.status if got else "") from None
                wait = retry.get_backoff_time()
                retry_after = retry.get_retry_after(got.raw) if got is not None and got.raw is not None else None
                if retry_after is not None and retry_after > self.config.max_retry_after:
                    raise FetchError(f"{what} with Retry-After {retry_after:.0f} s, longer than "
                                     f"{self.config.max_retry_after:.0f} s; try again later", got.status)
                wait = max(wait, retry_after or 0.0, self.config.delay)
                if time.monotonic() + wait > deadline:
                    raise FetchError(f"{what}; time budget spent after {attempts} attempts",
                                     got.status if got else "")
                log.info("%s: %s, retrying in %.1f s", url, what, wait)
                slot["after"] = wait

    def _attempt(self, url: str, headers: Mapping[str, str], deadline: float) -> Fetched:
        """One request; the body streamed and cut at max_bytes decoded bytes or at the deadline."""
        remaining = max(deadline - time.monotonic(), 0.1)
        timeout = (min(self.config.connect_timeout, remaining), min(self.config.read_timeout, remaining))
        try:
            resp = self.session().get(url, headers=dict(headers), timeout=timeout, stream=True,
                                      allow_redirects=False)
        except requests.exceptions.SSLError as exc:
            raise FetchError(f"TLS failed: {_describe(exc)}", tls=True) from None
        except _RETRYABLE:
            raise
        except requests.RequestException as exc:
            raise FetchError(_describe(exc)) from None
        with resp:
            got = Fetched(url, url, resp.status_code, resp.headers, raw=resp.raw)
            if resp.status_code in REDIRECT_STATUSES or resp.status_code == 304 \
                    or resp.status_code in RETRY_STATUSES:
                return got
            got.body = self._read_body(resp, deadline)
        return got

    def _read_body(self, resp: requests.Response, deadline: float) -> bytes:
        limit = self.config.max_bytes
        declared = resp.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(f"body too large: Content-Length {int(declared)} > limit {limit} bytes",
                             resp.status_code)
        chunks, size = [], 0
        try:
            for chunk in resp.iter_content(64 * 1024):
                size += len(chunk)
                if size > limit:
                    coding = resp.headers.get("Content-Encoding", "")
                    hint = f" (Content-Encoding {coding}: a decompression bomb?)" if coding else ""
                    raise FetchError(f"body too large: over {limit} bytes{hint}; download aborted",
                                     resp.status_code)
                if time.monotonic() > deadline:
                    raise FetchError(f"time budget spent reading the body ({size} bytes so far)",
                                     resp.status_code)
                if self.stop.is_set():
                    raise Interrupted
                chunks.append(chunk)
        except requests.exceptions.ContentDecodingError as exc:
            raise FetchError(f"body could not be decoded: {_describe(exc)}", resp.status_code) from None
        return b"".join(chunks)


_RETRYABLE = (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
              requests.exceptions.ChunkedEncodingError)


def _describe(exc: BaseException | None) -> str:
    """A one-line reason for an exception: its class and the innermost message."""
    if exc is None:
        return "unknown error"
    text = re.sub(r"\s+", " ", str(exc))
    text = re.sub(r"<urllib3[^>]*>: ", "", text)
    return f"{type(exc).__name__}: {text[:200]}"


# --- what a response is ----------------------------------------------------------------------------------


def is_text_type(content_type: str, body: bytes) -> bool:
    """True for HTML/text/JSON responses (which get decoded); False for documents such as PDF."""
    media = content_type.split(";")[0].strip().lower()
    if media:
        return media.startswith(_TEXT_TYPES)
    return not body.startswith(_DOCUMENT_MAGIC)


def visible_text(tree: Any) -> str:
    """The text a reader sees: script, style and noscript removed, whitespace squeezed."""
    for node in tree.xpath("//script|//style|//noscript"):
        node.drop_tree()
    return re.sub(r"\s+", " ", tree.text_content() or "").strip()


def failure_reason(got: Fetched, text: str, kind: str) -> str:
    """Why a response is not archived: its HTTP status (or challenge page), or why a 2xx is unusable."""
    if 200 <= got.status < 300:
        return rejection_reason(got, text, kind)
    reason = rejection_reason(got, text, kind) if got.body.strip() else ""
    return reason if reason.startswith("anti-bot") else f"HTTP {got.status}"


def rejection_reason(got: Fetched, text: str, kind: str) -> str:
    """Why a 2xx response is not a usable capture (challenge, login wall, empty, soft 404); "" if usable."""
    if not got.body.strip():
        return "empty body"
    if kind == "attachment" and got.body.startswith(_DOCUMENT_MAGIC):
        return ""
    if not is_text_type(got.content_type, got.body):
        return ""
    media = got.content_type.split(";")[0].strip().lower()
    if media in {"application/json", "text/plain"} or urlsplit(got.final_url).path.endswith(".txt"):
        return ""
    tree = parse_html(text)
    if tree is None:
        return "empty page (no HTML)"
    title = re.sub(r"\s+", " ", tree.findtext(".//title") or "").strip()
    has_script = bool(tree.xpath("//script"))
    has_password = bool(tree.xpath("//input[@type='password']"))
    words = visible_text(tree)
    app_shell = "_CONFIG" in text  # gkmlpt pages carry their content in a script, not in the HTML
    if has_script and len(words) < 200 and not app_shell \
            and (got.status in _CHALLENGE_STATUSES or _CHALLENGE_MARKERS.search(text)):
        return f"anti-bot challenge page (HTTP {got.status}, a script and {len(words)} characters of text)"
    if _LOGIN_PATH.search(urlsplit(got.final_url).path) or _LOGIN_TITLE.search(title) \
            or (has_password and len(words) < 1500):
        return f"login wall (title {title[:40]!r}, final URL {got.final_url[:80]})"
    if _SOFT_404.search(title) or (len(words) < 500 and _SOFT_404.search(words)):
        return f"soft 404: page says it does not exist (title {title[:40]!r})"
    if kind == "attachment":
        return "attachment link returned an HTML page, not a document"
    if kind == "report" and len(words) < 20 and not app_shell:
        return f"empty page ({len(words)} characters of text)"
    return ""


# --- a run -----------------------------------------------------------------------------------------------


def conditional_headers(row: dict[str, str] | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from the last capture's validators."""
    if not row:
        return {}
    headers = {}
    if row.get("etag"):
        headers["If-None-Match"] = row["etag"]
    if row.get("last_modified"):
        headers["If-Modified-Since"] = row["last_modified"]
    return headers


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
            self.archive.record_failure(url, status=exc.status, error=exc.reason, **extra)
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
            encoding=encoding, etag=got.headers.get("ETag", ""),
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
    progress = Progress(bar)
    run = Run(Archive(raw_dir), fetcher, refresh=refresh, progress=progress)

    def failed(url: str, exc: Exception) -> None:
        run.archive.record_failure(url, error=f"internal error: {_describe(exc)}")
        run._count(url, "failed")

    listings = [r for r in rows if r["kind"] == "listing" and r["url"]]
    wanted = [r["url"] for r in rows if r["url"] and (r["kind"] == "listing" or refresh or r["url"] not in run.latest)]
    if unreachable := unresolvable_hosts(wanted, config.no_network_after, resolver):
        for url in unreachable:  # counted, but not in the manifest: it says nothing about the sites
            run._count(url, "failed")
        message = f"no network: {len(unreachable)} host(s) failed DNS lookup and none resolved; nothing fetched"
        log.warning(message)
        run.summary.notes.append(message)
        return run.summary
    try:
        found: list[dict[str, str]] = []
        by_url = {r["url"]: r for r in listings}

        def crawl(url: str) -> None:
            found.extend(run.crawl_listing(by_url[url]))

        run_per_host(by_host(by_url), crawl, workers=config.max_hosts_parallel, stop=stop, on_error=failed)
        if found:
            rows = add_found_reports(sources, found, run.summary)
        reports = list(dict.fromkeys(r["url"] for r in rows if r["kind"] == "report" and r["url"]))

        run_per_host(by_host(reports), run.process_report, workers=config.max_hosts_parallel, stop=stop,
                     on_error=failed)
    except KeyboardInterrupt:
        log.warning("interrupted: finished captures are archived; run again to continue")
        raise
    return run.summary

