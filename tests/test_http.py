"""HTTP as a browser does it, against local servers: cookies, legacy TLS, gateways, the circuit breaker,
robots.txt that fails, POST."""

import socket
import ssl
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler
from http.server import HTTPServer as PlainServer

import pytest
from pytest_httpserver import HTTPServer
from test_fetch import allow_all_robots, config, fetch, page, reports, requested, timed_handler
from werkzeug import Request, Response

from pipeline.fetch.http import Fetcher, FetchError, resolve_host, script_cookie


@pytest.fixture
def server():
    s = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    s.no_handler_status_code = 404
    s.start()
    allow_all_robots(s)
    yield s
    s.stop()


def one_address(*names: str):
    """A resolver that puts every name given (and 127.0.0.1) on 127.0.0.1: sites behind one gateway."""
    def resolve(host: str, port: int):
        return resolve_host("127.0.0.1" if host in names else host, port)
    return resolve


# --- cookies -------------------------------------------------------------------------------------------------


def test_a_redirect_to_the_same_url_that_sets_a_cookie_is_followed_and_the_cookie_kept(server, tmp_path):
    def gateway(request: Request) -> Response:
        if request.cookies.get("SERVERID") != "abc":
            return Response("", 302, headers={"Location": request.path, "Set-Cookie": "SERVERID=abc; Path=/"})
        return Response(page(), content_type="text/html")

    server.expect_request("/r1.html").respond_with_handler(gateway)
    server.expect_request("/r2.html").respond_with_handler(gateway)
    summary, rows = fetch(tmp_path, reports(server.url_for("/r1.html"), server.url_for("/r2.html")))
    assert summary.fetched == 2 and all(r["sha256"] for r in rows)
    assert requested(server, "/r1.html") == 2
    assert requested(server, "/r2.html") == 1  # the cookie is sent back to the site's other pages


def test_a_same_url_redirect_without_a_cookie_is_still_a_loop(server, tmp_path):
    server.expect_request("/loop").respond_with_data("", status=302, headers={"Location": "/loop"})
    _, rows = fetch(tmp_path, reports(server.url_for("/loop")))
    assert rows[-1]["error"].startswith("redirect loop")


C3VK = ('<html><script>document.cookie="C3VK=5f2a9c; max-age=300; path=/";'
        'window.location.reload();</script></html>')
COMPUTED = ('<html><script>var t=Math.random().toString(36);document.cookie="C3VK="+t+"; max-age=300";'
            'location.reload();</script></html>')


def test_the_script_cookie_page_is_passed_by_sending_its_literal_cookie(server, tmp_path):
    def gateway(request: Request) -> Response:
        if request.cookies.get("C3VK") == "5f2a9c":
            return Response(page(), content_type="text/html")
        return Response(C3VK, content_type="text/html")

    server.expect_request("/r.html").respond_with_handler(gateway)
    summary, rows = fetch(tmp_path, reports(server.url_for("/r.html")))
    assert summary.fetched == 1 and rows[-1]["status"] == "200" and rows[-1]["sha256"]
    assert requested(server, "/r.html") == 2


def test_a_challenge_answer_that_sets_a_cookie_is_asked_once_more_with_it(server, tmp_path):
    def gateway(request: Request) -> Response:
        if request.cookies.get("__jsluid_h"):
            return Response(page(), content_type="text/html")
        return Response(COMPUTED, 521, headers={"Set-Cookie": "__jsluid_h=9f; Path=/"}, content_type="text/html")

    server.expect_request("/r.html").respond_with_handler(gateway)
    server.expect_request("/wall.html").respond_with_data(
        COMPUTED, status=521, headers={"Set-Cookie": "__jsl_clearance=0; Path=/wall.html"}, content_type="text/html")
    summary, rows = fetch(tmp_path, reports(server.url_for("/r.html"), server.url_for("/wall.html")))
    by_path = {r["url"].rsplit("/", 1)[1]: r for r in rows}
    assert by_path["r.html"]["sha256"] and requested(server, "/r.html") == 2
    assert by_path["wall.html"]["error"].startswith("anti-bot challenge page (HTTP 521")
    assert requested(server, "/wall.html") == 2 and summary.failed == 1


def test_a_computed_cookie_is_a_challenge_recorded_as_such_and_never_solved(server, tmp_path):
    server.expect_request("/r.html").respond_with_data(COMPUTED, status=412, content_type="text/html")
    summary, rows = fetch(tmp_path, reports(server.url_for("/r.html")))
    assert rows[-1]["error"].startswith("anti-bot challenge page (HTTP 412")
    assert requested(server, "/r.html") == 1 and summary.failed == 1
    assert script_cookie(COMPUTED.encode()) is None
    assert script_cookie(C3VK.encode()) == ("C3VK", "5f2a9c")
    assert script_cookie(C3VK.replace("reload", "rel").replace("location", "x").encode()) is None


# --- TLS -----------------------------------------------------------------------------------------------------


@pytest.fixture
def legacy_tls_server():
    """An HTTPS server that speaks only TLS 1.0/1.1 (as old gov.cn servers do), and the CA that signed it."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    try:
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
            context.maximum_version = ssl.TLSVersion.TLSv1_1
    except (ssl.SSLError, ValueError):
        pytest.skip("this OpenSSL cannot serve TLS 1.1")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            body = (b"User-agent: *\nAllow: /\n" if self.path == "/robots.txt" else page().encode())
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = PlainServer(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    with ca.cert_pem.tempfile() as cafile:
        yield f"https://127.0.0.1:{httpd.server_port}", cafile
    httpd.shutdown()


def test_a_legacy_tls_host_is_fetched_over_https_with_legacy_settings(legacy_tls_server, tmp_path):
    origin, cafile = legacy_tls_server
    summary, rows = fetch(tmp_path, reports(f"{origin}/r.html"), config=config(verify=cafile))
    assert summary.fetched == 1 and rows[-1]["final_url"] == f"{origin}/r.html", rows
    _, rows = fetch(tmp_path / "strict", reports(f"{origin}/r.html"),
                    config=config(verify=cafile, legacy_tls=False, https_fallback=False))
    assert "TLS failed" in rows[-1]["error"] and "protocol version" in rows[-1]["error"]


def test_https_that_fails_falls_back_to_http_unless_http_bounces_back_to_https(server, tmp_path):
    # the server speaks plain http on its port, so every TLS handshake with it fails
    server.expect_request("/plain.html").respond_with_data(page(), content_type="text/html")
    server.expect_request("/only.html").respond_with_data(
        "", status=301, headers={"Location": f"https://127.0.0.1:{server.port}/only.html"})
    https = f"https://127.0.0.1:{server.port}"
    summary, rows = fetch(tmp_path, reports(f"{https}/plain.html", f"{https}/only.html"))
    by_path = {r["url"].rsplit("/", 1)[1]: r for r in rows}
    assert by_path["plain.html"]["final_url"] == server.url_for("/plain.html") and by_path["plain.html"]["sha256"]
    assert by_path["only.html"]["error"].startswith("HTTPS only")
    assert "redirect loop" not in by_path["only.html"]["error"]
    assert (summary.fetched, summary.failed) == (1, 1)


# --- gateways and dead hosts ---------------------------------------------------------------------------------


def test_two_sites_behind_one_address_share_its_politeness(server, tmp_path):
    log: list = []
    for n in range(4):
        server.expect_request(f"/p{n}.html").respond_with_handler(timed_handler(log, sleep=0.03))
    urls = [f"http://{name}:{server.port}/p{n}.html" for n in range(4) for name in ("127.0.0.1", "localhost")]
    summary, _ = fetch(tmp_path, reports(*urls), resolver=one_address("localhost"))
    assert summary.fetched == 8 and len(summary.hosts) == 2
    spans = sorted((start, end) for _, start, end in log)
    assert len(spans) == 8
    assert all(later[0] - earlier[1] >= 0.05 for earlier, later in zip(spans, spans[1:], strict=False))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_host_refusing_connections_is_set_aside_for_the_run_and_every_url_named(server, tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    server.expect_request("/ok.html").respond_with_data(page(), content_type="text/html")
    urls = [f"{dead}/r{n}.html" for n in range(6)]
    start = time.monotonic()
    summary, rows = fetch(tmp_path, reports(*urls, server.url_for("/ok.html")),
                          config=config(retries=4, backoff_factor=0.2, backoff_max=1))
    assert time.monotonic() - start < 5  # no full round of retries for every URL
    errors = {r["url"]: r["error"] for r in rows}
    assert errors[server.url_for("/ok.html")] == ""
    assert all(errors[u] for u in urls) and "set aside" in errors[urls[-1]]
    note = next(n for n in summary.notes if "set aside" in n)
    assert all(u in note for u in urls) and "tried again next run" in note
    assert summary.failed == 6
    # the next run tries the host again
    _, again = fetch(tmp_path, [])
    retried = next(r["error"] for r in again[len(rows):] if r["url"] == urls[0])
    assert "failed to establish a new conn" in retried.lower()


# --- robots.txt that fails -----------------------------------------------------------------------------------


def test_a_robots_txt_that_times_out_once_is_read_again_before_the_site_is_given_up(server, tmp_path):
    calls = []

    def robots(request: Request) -> Response:
        calls.append(time.monotonic())
        if len(calls) == 1:
            time.sleep(0.6)
        return Response("User-agent: *\nAllow: /\n", content_type="text/plain")

    server.clear()
    server.expect_request("/robots.txt").respond_with_handler(robots)
    server.expect_request("/r.html").respond_with_data(page(), content_type="text/html")
    summary, rows = fetch(tmp_path, reports(server.url_for("/r.html")),
                          config=config(retries=0, read_timeout=0.3, robots_retry_wait=0.2))
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.2
    assert summary.fetched == 1 and rows[-1]["sha256"]


def test_a_5xx_robots_txt_disallows_the_site_for_now(server, tmp_path):
    server.clear()
    server.expect_request("/robots.txt").respond_with_data("busy", status=503)
    server.expect_request("/r.html").respond_with_data(page(), content_type="text/html")
    summary, rows = fetch(tmp_path, reports(server.url_for("/r.html")),
                          config=config(retries=1, robots_attempts=2, robots_retry_wait=0.05))
    assert requested(server, "/robots.txt") == 4  # two reads of two attempts each
    assert requested(server, "/r.html") == 0
    assert "HTTP 503: everything disallowed for now (RFC 9309)" in rows[-1]["error"]
    assert summary.skipped == 1 and summary.failed == 0


# --- POST ----------------------------------------------------------------------------------------------------


def test_post_sends_the_form_fields_in_order_and_a_303_is_followed_with_get(server):
    seen = []

    def proxy(request: Request) -> Response:
        seen.append((request.method, request.get_data(as_text=True)))
        return Response("", 303, headers={"Location": "/list.xml"})

    server.expect_request("/dataproxy.jsp", method="POST").respond_with_handler(proxy)
    server.expect_request("/list.xml", method="GET").respond_with_data("<datastore/>", content_type="text/xml")
    fetcher = Fetcher(config(), allow_private=True)
    got = fetcher.get(server.url_for("/dataproxy.jsp"), method="POST",
                      data=[("col", "1"), ("columnid", "42"), ("col", "2")])
    assert seen == [("POST", "col=1&columnid=42&col=2")]
    assert got.status == 200 and got.body == b"<datastore/>" and got.final_url == server.url_for("/list.xml")


def test_post_failures_are_retried_and_named(server):
    server.expect_request("/dataproxy.jsp", method="POST").respond_with_data("down", status=502)
    fetcher = Fetcher(config(retries=2), allow_private=True)
    with pytest.raises(FetchError, match="HTTP 502 after 3 attempts"):
        fetcher.get(server.url_for("/dataproxy.jsp"), method="POST", data=[("page", "2")])


# --- attachments ---------------------------------------------------------------------------------------------


def test_an_attachment_is_archived_as_what_its_bytes_are_not_what_its_link_says(server, tmp_path):
    from test_attachments import xlsx_bytes

    report_page = page(body="某区2024年法治政府建设年度报告全文见附件。" * 5 + '<a href="/files/report.doc">附件</a>')
    server.expect_request("/r.html").respond_with_data(report_page, content_type="text/html")
    server.expect_request("/files/report.doc").respond_with_data(
        xlsx_bytes(), content_type="application/octet-stream",
        headers={"Content-Disposition": "attachment; filename*=UTF-8''%E7%BB%9F%E8%AE%A1.xlsx"})
    summary, rows = fetch(tmp_path, reports(server.url_for("/r.html")))
    attachment = next(r for r in rows if r["kind"] == "attachment")
    assert attachment["path"].endswith(".xlsx") and attachment["sha256"]
    assert summary.fetched == 2


def test_an_imitation_of_the_real_web_is_fetched_completely_and_politely(server, tmp_path):
    """Two sites behind one address, one a 302-cookie gateway and one a script-cookie gateway, and a third
    host that refuses every connection: all pages of the first two, one request at a time at the address."""
    log: list = []

    def gateway(request: Request) -> Response:
        start = time.monotonic()
        host = request.host.split(":")[0]
        if host == "127.0.0.1" and request.cookies.get("SERVERID") != "s1":
            resp = Response("", 302, headers={"Location": request.path, "Set-Cookie": "SERVERID=s1; Path=/"})
        elif host == "localhost" and request.cookies.get("C3VK") != "5f2a9c":
            resp = Response(C3VK, content_type="text/html")
        else:
            resp = Response(page(), content_type="text/html")
        time.sleep(0.02)
        log.append((request.path, start, time.monotonic()))
        return resp

    for n in range(3):
        server.expect_request(f"/art/2025/3/{n}/art_1_{n}.html").respond_with_handler(gateway)
    dead = f"http://127.0.0.1:{free_port()}"
    urls = [f"http://{name}:{server.port}/art/2025/3/{n}/art_1_{n}.html"
            for n in range(3) for name in ("127.0.0.1", "localhost")] + [f"{dead}/r{n}.html" for n in range(3)]
    summary, rows = fetch(tmp_path, reports(*urls), resolver=one_address("localhost"))
    stored = {r["url"] for r in rows if r["sha256"]}
    assert stored == set(urls[:6]) and summary.fetched == 6 and summary.failed == 3
    spans = sorted((start, end) for _, start, end in log)
    assert all(later[0] - earlier[1] >= 0.05 for earlier, later in zip(spans, spans[1:], strict=False))
    assert any(all(u in note for u in urls[6:]) for note in summary.notes)
