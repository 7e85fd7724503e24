"""Fetch throughput against simulated sites behind shared gateways, and proof that no address was hit faster
than its delay.

Starts local HTTP servers on 127.0.0.1 .. 127.0.0.10 (each a gateway address), each answering after a fixed
latency, and names `--per-gateway` sites behind each (host names h<k>.bench.test, resolved to their gateway by
the fetcher's resolver and by a patched urllib3 connect). Runs `run_fetch` over 1, 4, 8, 20 and 40 sites.
Prints pages per second and the smallest gap any gateway saw between two requests (from the end of one to
the start of the next, and between starts), and the same per site; all must be >= the delay.

    .venv/bin/python bench/bench_fetch.py [--pages 10] [--delay 0.2] [--latency 0.05] [--per-gateway 4]
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import urllib3.util.connection

from pipeline.fetch.catalogue import write_catalogue
from pipeline.fetch.crawl import FetchConfig, run_fetch

PAGE = ("<html><head><meta charset='utf-8'><title>某区{n}年法治政府建设年度报告</title></head><body><p>"
        + "全年办理行政复议案件120件，依法行政水平持续提升。" * 40 + "</p></body></html>")
GATEWAYS = 10
SITES = (1, 4, 8, 20, 40)
Log = list[tuple[float, float, str]]  # (start, end, Host header) of each request a gateway answered


def make_server(address: str, latency: float, log: Log) -> ThreadingHTTPServer:
    """A gateway that answers every page after `latency` seconds and records each request."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            start = time.monotonic()
            body = (b"User-agent: *\nAllow: /\n" if self.path == "/robots.txt"
                    else PAGE.format(n=self.path).encode())
            time.sleep(latency)
            # "end" is taken before the reply goes out, so the client cannot have finished earlier
            log.append((start, time.monotonic(), self.headers.get("Host", "")))
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((address, 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def site_name(k: int) -> str:
    return f"h{k}.bench.test"


def gateway_of(name: str, per_gateway: int) -> str:
    """The gateway address of a site name (127.0.0.1 holds sites 0..per_gateway-1, and so on)."""
    k = int(name.split(".", 1)[0][1:])
    return f"127.0.0.{k // per_gateway + 1}"


def install_names(per_gateway: int) -> object:
    """Point every h<k>.bench.test at its gateway, for the fetcher's resolver and for urllib3's connects."""
    connect = urllib3.util.connection.create_connection

    def mapped(address: tuple[str, int], *args: object, **kwargs: object) -> object:
        host, port = address
        if host.endswith(".bench.test"):
            host = gateway_of(host, per_gateway)
        return connect((host, port), *args, **kwargs)

    urllib3.util.connection.create_connection = mapped

    def resolve(host: str, port: int) -> list:
        return [ipaddress.ip_address(gateway_of(host, per_gateway))]

    return resolve


def min_gaps(log: Log) -> tuple[float, float]:
    """(smallest end-to-next-start gap, smallest start-to-start gap) of a list of requests."""
    spans = sorted(log)
    pairs = list(zip(spans, spans[1:], strict=False))
    if not pairs:
        return float("inf"), float("inf")
    return min(b[0] - a[1] for a, b in pairs), min(b[0] - a[0] for a, b in pairs)


def bench(n_sites: int, servers: list[ThreadingHTTPServer], logs: list[Log], pages: int, per_gateway: int,
          config: FetchConfig, resolver: object) -> tuple[float, float, float, int]:
    """(seconds, smallest gateway gap end->start, smallest site gap end->start, pages fetched)."""
    for log in logs:
        log.clear()
    ports = {s.server_address[0]: s.server_address[1] for s in servers}
    names = [site_name(k) for k in range(n_sites)]
    urls = [f"http://{name}:{ports[gateway_of(name, per_gateway)]}/p{n}.html" for n in range(pages) for name in names]
    with tempfile.TemporaryDirectory() as tmp:
        sources = Path(tmp) / "sources.csv"
        write_catalogue(sources, [{"kind": "report", "url": u} for u in urls])
        start = time.monotonic()
        summary = run_fetch(sources, Path(tmp) / "raw", allow_private=True, config=config, resolver=resolver)
        elapsed = time.monotonic() - start
    gateway_gap = min(min_gaps(log)[0] for log in logs)
    site_gap = min(min_gaps([r for log in logs for r in log if r[2].startswith(name + ":")])[0] for name in names)
    return elapsed, gateway_gap, site_gap, summary.fetched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10, help="pages per site")
    parser.add_argument("--delay", type=float, default=0.2, help="delay per site and per gateway, seconds")
    parser.add_argument("--latency", type=float, default=0.05, help="server latency per request, seconds")
    parser.add_argument("--parallel", type=int, default=40, help="sites fetched at once")
    parser.add_argument("--per-gateway", type=int, default=4, help="sites behind one gateway address")
    args = parser.parse_args()
    gateways = -(-max(SITES) // args.per_gateway)
    logs: list[Log] = [[] for _ in range(gateways)]
    servers = [make_server(f"127.0.0.{k + 1}", args.latency, logs[k]) for k in range(gateways)]
    resolver = install_names(args.per_gateway)
    config = FetchConfig(delay=args.delay, max_hosts_parallel=args.parallel)
    print(f"{args.pages} pages per site, {args.per_gateway} sites per gateway, delay {args.delay} s, "
          f"latency {args.latency} s, {args.parallel} sites at once")
    print(f"{'sites':>5} {'gateways':>8} {'pages':>6} {'seconds':>8} {'pages/s':>8} "
          f"{'min gap per gateway':>20} {'min gap per site':>17}")
    ok = True
    for n_sites in SITES:
        elapsed, gateway_gap, site_gap, fetched = bench(n_sites, servers, logs, args.pages, args.per_gateway,
                                                        config, resolver)
        ok &= min(gateway_gap, site_gap) >= args.delay and fetched == n_sites * args.pages
        print(f"{n_sites:>5} {-(-n_sites // args.per_gateway):>8} {fetched:>6} {elapsed:>8.2f} "
              f"{fetched / elapsed:>8.1f} {gateway_gap:>20.3f} {site_gap:>17.3f}")
    print("no address and no site saw two requests inside the delay" if ok
          else "FAILED: an address or site was hit faster than the delay")
    for s in servers:
        s.shutdown()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
