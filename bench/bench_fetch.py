"""Fetch throughput against simulated hosts, and proof that no host was hit faster than its delay.

Starts 20 local HTTP servers on 127.0.0.1 .. 127.0.0.20 (each a distinct host to the fetcher), each answering
after a fixed latency, then runs `run_fetch` over 1, 5 and 20 of them. Prints pages per second and the
smallest gap any host saw between two requests (from the end of one to the start of the next, and between
starts); both must be >= the per-host delay.

    .venv/bin/python bench/bench_fetch.py [--pages 10] [--delay 0.2] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pipeline.fetch.catalogue import write_catalogue
from pipeline.fetch.crawl import FetchConfig, run_fetch

PAGE = ("<html><head><meta charset='utf-8'><title>某区{n}年法治政府建设年度报告</title></head><body><p>"
        + "全年办理行政复议案件120件，依法行政水平持续提升。" * 40 + "</p></body></html>")


def make_server(address: str, latency: float, log: list[tuple[float, float]]) -> ThreadingHTTPServer:
    """A host that answers every page after `latency` seconds and records (start, end) of each request."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            start = time.monotonic()
            body = (b"User-agent: *\nAllow: /\n" if self.path == "/robots.txt"
                    else PAGE.format(n=self.path).encode())
            time.sleep(latency)
            # "end" is taken before the reply goes out, so the client cannot have finished earlier
            log.append((start, time.monotonic()))
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


def min_gaps(log: list[tuple[float, float]]) -> tuple[float, float]:
    """(smallest end-to-next-start gap, smallest start-to-start gap) of one host's requests."""
    spans = sorted(log)
    pairs = list(zip(spans, spans[1:], strict=False))
    if not pairs:
        return float("inf"), float("inf")
    return min(b[0] - a[1] for a, b in pairs), min(b[0] - a[0] for a, b in pairs)


def bench(n_hosts: int, servers: list[ThreadingHTTPServer], logs: list[list], pages: int,
          config: FetchConfig) -> tuple[float, float, float, int]:
    for log in logs:
        log.clear()
    urls = [f"http://{s.server_address[0]}:{s.server_address[1]}/p{n}.html"
            for n in range(pages) for s in servers[:n_hosts]]
    with tempfile.TemporaryDirectory() as tmp:
        sources = Path(tmp) / "sources.csv"
        write_catalogue(sources, [{"kind": "report", "url": u} for u in urls])
        start = time.monotonic()
        summary = run_fetch(sources, Path(tmp) / "raw", allow_private=True, config=config)
        elapsed = time.monotonic() - start
    gaps = [min_gaps(log) for log in logs[:n_hosts]]
    return elapsed, min(g[0] for g in gaps), min(g[1] for g in gaps), summary.fetched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10, help="pages per host")
    parser.add_argument("--delay", type=float, default=0.2, help="per-host delay, seconds")
    parser.add_argument("--latency", type=float, default=0.05, help="server latency per request, seconds")
    parser.add_argument("--parallel", type=int, default=20, help="hosts fetched at once")
    args = parser.parse_args()
    logs: list[list] = [[] for _ in range(20)]
    servers = [make_server(f"127.0.0.{k + 1}", args.latency, logs[k]) for k in range(20)]
    config = FetchConfig(delay=args.delay, max_hosts_parallel=args.parallel)
    print(f"{args.pages} pages per host, delay {args.delay} s, latency {args.latency} s, "
          f"{args.parallel} hosts at once")
    print(f"{'hosts':>5} {'pages':>6} {'seconds':>8} {'pages/s':>8} {'min gap end->start':>19} "
          f"{'min gap start->start':>21}")
    ok = True
    for n_hosts in (1, 5, 20):
        elapsed, gap_end, gap_start, fetched = bench(n_hosts, servers, logs, args.pages, config)
        ok &= gap_end >= args.delay and fetched == n_hosts * args.pages
        print(f"{n_hosts:>5} {fetched:>6} {elapsed:>8.2f} {fetched / elapsed:>8.1f} {gap_end:>19.3f} "
              f"{gap_start:>21.3f}")
    print("every host's gaps >= delay" if ok else "FAILED: a host was hit faster than the delay")
    for s in servers:
        s.shutdown()


if __name__ == "__main__":
    main()
