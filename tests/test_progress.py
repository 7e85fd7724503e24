"""Progress bars: drawn on a terminal, never under --cron or into a pipe; fetch counts every URL on its bar."""

import io
import sys

import pytest
from pytest_httpserver import HTTPServer

from pipeline.fetch.catalogue import write_catalogue
from pipeline.fetch.crawl import FetchConfig, run_fetch
from pipeline.run.progress import progress_bar

PAGE = ("<html><head><meta charset='utf-8'><title>某区2024年法治政府建设年度报告</title></head><body><p>"
        + "全年办理行政复议案件120宗，行政诉讼案件85宗，依法行政水平持续提升。" * 4 + "</p></body></html>")


class Terminal(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(("tty", "enabled", "drawn"), [
    (True, None, True), (False, None, False), (True, False, False), (False, True, True)])
def test_a_bar_is_drawn_only_on_a_terminal_unless_told(monkeypatch, tty, enabled, drawn):
    screen = Terminal(tty)
    monkeypatch.setattr(sys, "stderr", screen)
    with progress_bar("fetch", unit=" URL", enabled=enabled) as bar:
        bar.update(3)
    assert ("fetch: 3 URL" in screen.getvalue()) is drawn
    assert drawn or screen.getvalue() == ""


class RecordingBar:
    def __init__(self):
        self.n, self.postfix = 0, ""

    def update(self, n: int = 1) -> None:
        self.n += n

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        self.postfix = s


def test_fetch_ticks_the_bar_once_per_url_with_its_outcome(httpserver: HTTPServer, tmp_path):
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
    httpserver.expect_request("/r.html").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    httpserver.no_handler_status_code = 404
    sources = tmp_path / "sources.csv"
    write_catalogue(sources, [{"kind": "report", "url": httpserver.url_for(p)} for p in ("/r.html", "/gone.html")])
    bar = RecordingBar()
    summary = run_fetch(sources, tmp_path / "raw", allow_private=True, bar=bar,
                        config=FetchConfig(delay=0.01, retries=0, max_seconds_per_url=10))
    assert bar.n == 2 == summary.fetched + summary.failed
    assert bar.postfix == "1 fetched, 0 unchanged, 0 skipped, 1 failed"


def test_the_command_line_draws_on_a_terminal_but_never_under_cron(monkeypatch, tmp_path):
    from pipeline.run.cli import main

    for argv, drawn in ((["fetch"], True), (["all", "--cron", "--log-dir", str(tmp_path / "logs"),
                                             "--out-dir", str(tmp_path / "out")], False)):
        screen = Terminal(tty=True)
        monkeypatch.setattr(sys, "stderr", screen)
        assert main([*argv, "--offline", "--raw-dir", str(tmp_path / "raw")]) == 0
        assert ("fetch: 0 URL" in screen.getvalue()) is drawn, argv
