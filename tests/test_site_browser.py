"""The site end to end in a real headless Chromium: front page, search 行政复议, open a fact, see its sentence.

Needs Debian's chromium (/usr/bin/chromium; `.ci/run` installs it) and the playwright package (its driver only:
no browser is downloaded). Outside CI the test skips without them; under CI=true it fails.
"""

import os
import shutil
import socket
import subprocess
import sys
import time

import pandas as pd
import pytest
from builtdata import ROOT, copy_of_build

WORD = "行政复议"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_or_skip() -> str:
    """The Chromium binary; a missing browser or driver skips the test, except under CI, where it fails."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        chromium = None
    if chromium is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but Chromium (apt-get install chromium) or playwright is missing")
        pytest.skip("no Chromium or playwright here")
    return chromium


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, server: subprocess.Popen, seconds: float = 120) -> None:
    """Until the server accepts connections (it builds its database first)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"serve exited with {server.returncode}: {server.stderr.read()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"serve did not listen on port {port} within {seconds} s")


@pytest.fixture
def served(tmp_path_factory, tmp_path):
    """`python -m pipeline serve` on a free port of 127.0.0.1, over a copy of the test build."""
    processed = copy_of_build(tmp_path_factory, tmp_path / "processed")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "serve", "--out-dir", str(processed), "--port", str(port),
         "--db", str(tmp_path / "site" / "data.db")],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(port, server)
        yield f"http://127.0.0.1:{port}", processed
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_search_from_the_front_page_then_open_a_fact_and_read_its_sentence(served, tmp_path):
    chromium = chromium_or_skip()
    from playwright.sync_api import expect, sync_playwright

    base, processed = served
    facts = pd.read_csv(processed / "facts.csv", dtype=str, keep_default_na=False).set_index("fact_id")
    text_column = "sentence" if "sentence" in facts.columns else "quote"
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(str(tmp_path / "chromium-profile"), executable_path=chromium,
                                                       headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            page.goto(base + "/")
            expect(page.locator("h1")).to_contain_text("法治政府建设年度报告")
            page.fill("#search-facts", WORD)
            page.locator("#search-facts").press("Enter")
            page.wait_for_url("**/facts?_search=*")
            first = page.locator("td.col-fact_id a").first
            fact_id = first.inner_text()
            first.click()
            page.wait_for_url(f"**/facts/{fact_id}")
            cell = page.locator(f"td.col-{text_column}")
            expect(cell).to_be_visible()
            expect(cell).to_have_text(facts.loc[fact_id, text_column])
            assert WORD in facts.loc[fact_id, text_column]
            report_link = f"/data/reports/{facts.loc[fact_id, 'report_id']}"
            expect(page.locator("td.col-report_id a")).to_have_attribute("href", report_link)
        finally:
            browser.close()
