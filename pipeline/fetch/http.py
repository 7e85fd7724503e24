"""HTTP as the crawler speaks it: as a browser does, politely, bounded, every failure named.

- each host, and each address (a gateway in front of many sites), gets one request at a time, at least
  `delay` seconds apart (robots.txt Crawl-delay wins if longer for its host); robots.txt is honoured, a
  failing one read again later in the run, a 5xx one meaning "disallow for now" (RFC 9309);
- cookies set by the sites are kept (one jar, per site) and sent back; a literal script cookie of a reload
  page is sent back once; JavaScript challenges are recorded as such, never solved;
- a failing TLS handshake is retried with legacy settings, then over plain http (unless that bounces back);
- a host whose connections fail `breaker_failures` times in a row is set aside for the run;
- retries with exponential backoff (urllib3's Retry as the policy, Retry-After honoured) go through the same
  per-host gate, and every URL has a total time budget;
- redirects are followed by hand, each hop checked (http/https only, no private addresses, robots);
- bodies are streamed and cut at `max_bytes` decoded bytes (so gzip bombs stop too);
- challenge pages, login walls, empty pages and soft 404s are recognised (`failure_reason`).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import socket
import ssl
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import requests
from protego import Protego
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError
from urllib3.util.retry import Retry

from pipeline import __version__
from pipeline.fetch.listings import parse_html
from pipeline.parse.encoding import decode
from pipeline.parse.filetype import document_type, sniff

log = logging.getLogger(__name__)
DEFAULT_CONTACT_URL = "https://github.com/fzzf-reports/fzzf-reports"
USER_AGENT_ENV = "FZZF_USER_AGENT"
CONTACT_ENV = "FZZF_CONTACT_URL"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_TEXT_TYPES = ("text/", "application/xhtml", "application/json", "application/xml", "application/javascript")
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
    legacy_tls: bool = True  # an HTTPS handshake that fails is tried again with old protocols and ciphers
    https_fallback: bool = True  # then plain http: some gov.cn sites fail TLS handshakes while http works
    verify: bool | str = True  # certificate verification (a CA bundle path to trust a private CA)
    breaker_failures: int = 3  # connections refused or timed out in a row that set a host aside for the run
    robots_attempts: int = 3  # times a failing robots.txt is read before its site is given up for the run
    robots_retry_wait: float = 30.0  # seconds between those reads
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

    @property
    def document_type(self) -> str:
        """What the body is (pdf, doc, xlsx, ofd ...) by its bytes, filename and type; "" for text."""
        return document_type(self.body, self.content_type, self.headers.get("Content-Disposition", ""),
                             self.final_url)


Form = Sequence[tuple[str, str]]  # form fields of a POST, in order, names may repeat


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
    """One request at a time per host (or per gateway address), `delay` seconds from the end of one to the
    start of the next."""

    def __init__(self, delay: float, what: str = "host"):
        self.delay = delay
        self.what = what
        self._lock = threading.Lock()
        self._next = 0.0

    def _acquire(self, deadline: float, stop: threading.Event) -> None:
        """Take the lock, giving up at the deadline or when the run stops."""
        while not self._lock.acquire(timeout=0.2):
            if stop.is_set():
                raise Interrupted
            if time.monotonic() > deadline:
                raise FetchError(f"time budget spent waiting for the {self.what}'s turn")

    @contextmanager
    def turn(self, deadline: float, stop: threading.Event) -> Iterator[dict[str, float]]:
        """Wait for this host's turn; the caller may set slot["after"] to wait longer before the next one."""
        self._acquire(deadline, stop)
        try:
            wait = self._next - time.monotonic()
            if time.monotonic() + max(wait, 0) > deadline:
                raise FetchError(f"time budget spent waiting {wait:.0f} s for the {self.what}'s next turn")
            if wait > 0 and stop.wait(wait):
                raise Interrupted
            slot = {"after": 0.0}
            try:
                yield slot
            finally:
                self._next = time.monotonic() + max(self.delay, slot["after"])
        finally:
            self._lock.release()


def legacy_tls_context(verify: bool | str = True) -> ssl.SSLContext:
    """A client context old gov.cn servers still accept: TLS 1.0 and up, old ciphers, legacy renegotiation.
    Certificates are verified as `verify` says (a CA bundle path, True, False): only the handshake widens."""
    context = ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)
    if verify is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0 is deprecated: that is the point here
        context.minimum_version = ssl.TLSVersion.TLSv1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    context.options |= getattr(ssl, "OP_LEGACY_SERVER_CONNECT", 0x4)
    return context


class LegacyTLSAdapter(HTTPAdapter):
    """A connection pool whose HTTPS connections use `legacy_tls_context`."""

    def __init__(self, verify: bool | str = True, **kwargs: Any):
        self.verify = verify
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = legacy_tls_context(self.verify)
        super().init_poolmanager(*args, **kwargs)


_SCRIPT_COOKIE = re.compile(r"""document\.cookie\s*=\s*(["'])([\w.-]+)=([^"';\s]+)(?:;[^"']*)?\1\s*[;,\n<]""")
_RELOAD = re.compile(r"location\.(?:reload|replace|assign|href)|location\s*=")
SCRIPT_COOKIE_MAX_BYTES = 2048


def script_cookie(body: bytes) -> tuple[str, str] | None:
    """(name, value) of the cookie a tiny reload page sets as a plain literal, e.g.
    `document.cookie="C3VK=ab12; max-age=300";location.reload()`: a browser would send it back, so may we.
    None for anything else, and for cookies a script computes (a JavaScript challenge, never solved)."""
    if not body or len(body) > SCRIPT_COOKIE_MAX_BYTES:
        return None
    text = body.decode("utf-8", "replace")
    found = _SCRIPT_COOKIE.findall(text)
    if len(found) != 1 or not _RELOAD.search(text):
        return None
    return found[0][1], found[0][2]


def _cookie_domain(url: str) -> str:
    """The domain a cookie set by the page at `url` belongs to: its host, as http.cookiejar matches it
    (a host name without a dot is "host.local", its effective host name in RFC 2965)."""
    host = urlsplit(url).hostname or ""
    return host if "." in host else f"{host}.local"


def _is_connect_failure(exc: BaseException | None) -> bool:
    """True when no connection was made at all: refused, unreachable or timed out while connecting."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if isinstance(exc, requests.exceptions.ConnectionError) \
        and exc.args else None
    return isinstance(reason, ConnectTimeoutError)  # urllib3's NewConnectionError is one too


class Fetcher:
    """The HTTP client: pooled sessions sharing one cookie jar, robots.txt, per-host and per-address gates,
    retries, redirects, legacy TLS, a circuit breaker per host and body limits."""

    def __init__(self, config: FetchConfig, *, allow_private: bool = False, stop: threading.Event | None = None,
                 resolver: Callable[[str, int], list] = resolve_host):
        self.config = config
        self.allow_private = allow_private
        self.stop = stop or threading.Event()
        self.user_agent = config.resolved_user_agent()
        self.cookies = requests.cookies.RequestsCookieJar()  # one jar, cookies kept per site as browsers do
        self._resolver = resolver
        self._local = threading.local()
        self._lock = threading.Lock()
        self._gates: dict[str, HostGate] = {}
        self._address_gates: dict[str, HostGate] = {}
        self._robots: dict[str, Protego | FetchError | None] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        self._dns: dict[str, list | FetchError] = {}
        self._legacy_tls: set[str] = set()  # hosts whose handshake needs the legacy context
        self._connect_failures: Counter[str] = Counter()  # failed connections in a row, per host
        self.set_aside: dict[str, str] = {}  # host -> why it is not tried again in this run
        self.set_aside_urls: dict[str, list[str]] = {}  # host -> URLs given up because of it
        self.dns_failed: set[str] = set()
        self.dns_ok: set[str] = set()

    # --- plumbing ------------------------------------------------------------------------------------------

    def session(self, url: str = "") -> requests.Session:
        """This thread's session for `url`: a keep-alive pool, no automatic retries or redirects, the shared
        cookie jar; hosts that need it get the legacy TLS one."""
        legacy = host_key(url) in self._legacy_tls
        name = "legacy_session" if legacy else "plain_session"
        session = getattr(self._local, name, None)
        if session is None:
            session = requests.Session()
            pool = {"pool_connections": 16, "pool_maxsize": 4, "max_retries": 0}
            adapter = LegacyTLSAdapter(self.config.verify, **pool) if legacy else HTTPAdapter(**pool)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.cookies = self.cookies
            session.verify = self.config.verify
            session.headers.update({"User-Agent": self.user_agent,
                                    "Accept": "text/html,application/xhtml+xml,application/pdf,*/*;q=0.8",
                                    "Accept-Language": "zh-CN,zh;q=0.9"})
            setattr(self._local, name, session)
        return session

    def gate(self, url: str) -> HostGate:
        """The gate of the URL's host."""
        with self._lock:
            return self._gates.setdefault(host_key(url), HostGate(self.config.delay))

    def address_gate(self, url: str) -> HostGate:
        """The gate of the address (and port) the URL's host resolves to: sites behind one gateway share it."""
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = self._addresses(parts.hostname or "", port)[0]
        with self._lock:
            return self._address_gates.setdefault(f"{address}:{port}", HostGate(self.config.delay, "gateway"))

    @contextmanager
    def _turn(self, url: str, deadline: float) -> Iterator[dict[str, float]]:
        """The host's turn and its address's turn (always in this order, so no two threads deadlock)."""
        with self.gate(url).turn(deadline, self.stop) as host_slot, \
                self.address_gate(url).turn(deadline, self.stop) as address_slot:
            slot = {"after": 0.0}
            try:
                yield slot
            finally:
                host_slot["after"] = address_slot["after"] = slot["after"]

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

    # --- the circuit breaker -------------------------------------------------------------------------------

    def _check_not_set_aside(self, hop: str) -> None:
        """Raise FetchError naming the reason when `hop`'s host is set aside for this run."""
        host = host_key(hop)
        with self._lock:
            reason = self.set_aside.get(host)
        if reason is not None:
            raise FetchError(f"host {host} set aside for this run ({reason}); tried again next run")

    def _name_if_set_aside(self, url: str) -> None:
        """Remember `url` as given up because its host is set aside (for the run summary)."""
        host = host_key(url)
        with self._lock:
            if host in self.set_aside:
                urls = self.set_aside_urls.setdefault(host, [])
                if url not in urls:
                    urls.append(url)

    def _connection_result(self, url: str, error: BaseException | None, what: str) -> None:
        """Count a failed connection to the URL's host (any answer resets the count); set the host aside
        after `breaker_failures` in a row."""
        host = host_key(url)
        with self._lock:
            if not _is_connect_failure(error):
                self._connect_failures[host] = 0
                return
            self._connect_failures[host] += 1
            if self._connect_failures[host] < self.config.breaker_failures or host in self.set_aside:
                return
            self.set_aside[host] = f"{self._connect_failures[host]} connections in a row failed, last: {what}"
        log.warning("%s: set aside for this run after %d failed connections", host, self.config.breaker_failures)

    def set_aside_notes(self) -> list[str]:
        """One line per host set aside in this run, naming every URL it cost."""
        with self._lock:
            return [f"host {host} set aside for this run ({reason}); not fetched, tried again next run: "
                    + ", ".join(self.set_aside_urls.get(host, []))
                    for host, reason in sorted(self.set_aside.items())]

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
        """The rules, read again later in the run (`robots_retry_wait` apart, `robots_attempts` times) when
        robots.txt fails, before the site is given up for the run."""
        attempts = max(1, self.config.robots_attempts)
        for attempt in range(1, attempts + 1):
            rules = self._read_robots(origin)
            if not isinstance(rules, FetchError) or rules.tls or host_key(origin) in self.set_aside:
                return rules  # a handshake that fails now will fail later too
            if attempt == attempts:
                rules.reason = f"{rules.reason} (robots.txt tried {attempts} times)"
                return rules
            log.info("%s/robots.txt: %s; reading it again in %.0f s", origin, rules.reason,
                     self.config.robots_retry_wait)
            if self.stop.wait(self.config.robots_retry_wait):
                raise Interrupted
        raise AssertionError("unreachable")

    def _read_robots(self, origin: str) -> Protego | FetchError | None:
        """Parsed rules (None: everything allowed). RFC 9309: 4xx allows all; 5xx disallows all for now;
        unreachable: the site is not fetched."""
        try:
            got = self.get(f"{origin}/robots.txt", robots=False, max_redirects=5)
            status = got.status
        except FetchError as exc:
            if exc.dns:
                raise
            if not (isinstance(exc.status, int) and exc.status >= 500):
                return FetchError(f"robots.txt unavailable ({exc.reason}); site not fetched", exc.status,
                                  tls=exc.tls)
            got, status = None, exc.status
        if 400 <= status < 500:
            return None
        if status >= 500:
            return FetchError(f"robots.txt answered HTTP {status}: everything disallowed for now (RFC 9309)",
                              status, outcome="skipped")
        if got is None or not 200 <= status < 300:
            return FetchError(f"robots.txt unavailable (HTTP {status}); site not fetched", status)
        rules = Protego.parse(decode(got.body, got.content_type)[0])
        crawl_delay = rules.crawl_delay(self.user_agent)
        if crawl_delay:
            gate = self.gate(origin)
            gate.delay = max(gate.delay, float(crawl_delay))
        return rules

    # --- requests ------------------------------------------------------------------------------------------

    def get(self, url: str, *, method: str = "GET", data: Form | None = None,
            headers: Mapping[str, str] | None = None, robots: bool = True,
            max_redirects: int | None = None) -> Fetched:
        """GET (or POST `data` as a form to) `url`, following redirects by hand (each hop checked) as a
        browser does: cookies kept, a redirect to itself that sets a cookie is no loop, a literal script
        cookie is sent back once; raise FetchError when it fails."""
        try:
            return self._follow(url, method, data, headers or {}, robots, max_redirects)
        except FetchError:
            if robots:
                self._name_if_set_aside(url)
            raise

    def _follow(self, url: str, method: str, data: Form | None, headers: Mapping[str, str], robots: bool,
                max_redirects: int | None) -> Fetched:
        """`get` without the bookkeeping of set-aside hosts."""
        deadline = time.monotonic() + self.config.max_seconds_per_url
        limit = self.config.max_redirects if max_redirects is None else max_redirects
        visits: Counter[str] = Counter({url: 1})
        hop, redirects, cookie_sent, tls_failure = url, 0, False, ""
        while True:
            self._check_not_set_aside(hop)
            self.check_url(hop)
            if robots:
                self.check_robots(hop)
            try:
                got = self._get_with_retries(hop, method, data, headers, deadline)
            except FetchError as exc:
                if not (exc.tls and hop.startswith("https://")):
                    raise
                hop, tls_failure = self._after_tls_failure(hop, exc), exc.reason
                continue
            location = got.headers.get("Location", "")
            if got.status not in REDIRECT_STATUSES or not location:
                if not cookie_sent and (cookie := script_cookie(got.body)):
                    self.cookies.set(cookie[0], cookie[1], domain=_cookie_domain(hop), path="/")
                    log.info("%s: sends back the cookie %s its script sets", hop, cookie[0])
                    cookie_sent = True
                    continue
                if not cookie_sent and got.status in _CHALLENGE_STATUSES and "Set-Cookie" in got.headers:
                    log.info("%s: HTTP %s set a cookie; asking once more with it", hop, got.status)
                    cookie_sent = True  # some gateways (Jiasule) let the second request through
                    continue
                got.url, got.final_url = url, hop
                return got
            target = urldefrag(urljoin(hop, location.strip())).url
            if tls_failure and target.startswith("https://") and urlsplit(target).hostname == urlsplit(hop).hostname:
                raise FetchError(f"HTTPS only: {host_key(hop)} redirects plain http back to https, whose TLS "
                                 f"handshake fails also with legacy settings ({tls_failure})", got.status, tls=True)
            sets_cookie = "Set-Cookie" in got.headers
            if visits[target] and not (sets_cookie and visits[target] < 2):
                raise FetchError(f"redirect loop: {hop} -> {target}", got.status)
            redirects += 1
            if redirects > limit:
                raise FetchError(f"more than {limit} redirects (last {target})")
            visits[target] += 1
            if got.status == 303 or (got.status in {301, 302} and method == "POST"):
                method, data = "GET", None  # as browsers do
            hop = target

    def _after_tls_failure(self, hop: str, exc: FetchError) -> str:
        """The URL to try after an HTTPS handshake failed: the same with legacy TLS settings, then plain
        http; raise when neither is allowed."""
        host = host_key(hop)
        if self.config.legacy_tls and host not in self._legacy_tls:
            log.info("%s: %s; trying legacy TLS settings", hop, exc.reason)
            with self._lock:
                self._legacy_tls.add(host)
            return hop
        if not self.config.https_fallback:
            raise exc
        log.info("%s: %s; trying plain http", hop, exc.reason)
        return "http://" + hop[len("https://"):]

    def _retry_policy(self) -> Retry:
        # POST is retried too: the forms posted here are queries of column pages, which change nothing
        return Retry(total=self.config.retries, redirect=False, status_forcelist=RETRY_STATUSES,
                     allowed_methods=frozenset({"GET", "POST"}), backoff_factor=self.config.backoff_factor,
                     backoff_max=self.config.backoff_max, respect_retry_after_header=True,
                     raise_on_status=False)

    def _get_with_retries(self, url: str, method: str, data: Form | None, headers: Mapping[str, str],
                          deadline: float) -> Fetched:
        """One URL (no redirects): attempts through the host's and the address's gates, backing off."""
        retry = self._retry_policy()
        attempts = 0
        while True:
            if self.stop.is_set():
                raise Interrupted
            with self._turn(url, deadline) as slot:
                attempts += 1
                got, error = None, None
                try:
                    got = self._attempt(url, method, data, headers, deadline)
                except _RETRYABLE as exc:
                    error = exc
                what = f"HTTP {got.status}" if got is not None else _describe(error)
                self._connection_result(url, error, what)
                if got is not None and not retry.is_retry(method, got.status, "Retry-After" in got.headers):
                    return got
                if host_key(url) in self.set_aside:
                    raise FetchError(f"{what} after {attempts} attempts; host set aside for this run")
                try:
                    retry = retry.increment(method, url, response=got.raw if got else None, error=error)
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

    def _attempt(self, url: str, method: str, data: Form | None, headers: Mapping[str, str],
                 deadline: float) -> Fetched:
        """One request; the body streamed and cut at max_bytes decoded bytes or at the deadline."""
        remaining = max(deadline - time.monotonic(), 0.1)
        timeout = (min(self.config.connect_timeout, remaining), min(self.config.read_timeout, remaining))
        try:
            resp = self.session(url).request(method, url, data=list(data) if data else None, headers=dict(headers),
                                             timeout=timeout, stream=True, allow_redirects=False)
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
    """True for HTML/text/JSON responses (which get decoded); False for documents such as PDF, whatever
    type the server gave them."""
    if sniff(body):
        return False
    media = content_type.split(";")[0].strip().lower()
    if media:
        return media.startswith(_TEXT_TYPES)
    return True


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
    if kind == "attachment" and sniff(got.body):
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
