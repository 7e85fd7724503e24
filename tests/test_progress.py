"""The build's progress bar shows only to a person at a terminal: never under cron, never into a pipe."""

import io

import pytest

from pipeline.run.progress import progress_bar


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize(("tty", "enabled", "shown"), [(True, True, True), (True, False, False),
                                                       (False, True, False)])
def test_bar_only_on_a_terminal_when_enabled(monkeypatch, tty, enabled, shown):
    stream = Terminal() if tty else io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    with progress_bar(10, "build", "report", enabled=enabled) as bar:
        bar.update(10)
    assert bool(stream.getvalue()) is shown
    assert ("0/10" in stream.getvalue()) is shown
