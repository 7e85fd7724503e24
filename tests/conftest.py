"""Shared fixtures."""

import pytest
from pytest_httpserver import HTTPServer
from tablerows import valid_table_rows


@pytest.fixture
def table_rows() -> dict[str, list[dict]]:
    """Every table valid: one report with a section, two facts, an indicator and a check (a fresh copy)."""
    return valid_table_rows()


@pytest.fixture(scope="module")
def shared_server():
    """One threaded local HTTP server per test module (starting one per test costs more than the tests)."""
    s = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    s.start()
    yield s
    s.stop()


@pytest.fixture
def server(shared_server):
    """The module's server allowing everything in robots.txt, fresh handlers and log per test."""
    shared_server.clear()
    shared_server.no_handler_status_code = 404  # unknown paths are plain 404s (not retried 500s)
    shared_server.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
    yield shared_server
    shared_server.clear()
