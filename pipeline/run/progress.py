"""Progress bars for long work (fetch, build), on a terminal only: cron mail and log files stay clean."""

from __future__ import annotations

import sys

from tqdm import tqdm


def progress_bar(desc: str, total: int | None = None, *, unit: str = "it", enabled: bool | None = None) -> tqdm:
    """A tqdm bar on stderr; a silent one (same methods, draws nothing) when `enabled` is False, and when it is
    None and stderr is not a terminal. Pass enabled=False under --cron. Close it (or use it as a context)."""
    show = sys.stderr.isatty() if enabled is None else enabled
    return tqdm(desc=desc, total=total, unit=unit, file=sys.stderr, disable=not show, dynamic_ncols=True,
                mininterval=0.2)
