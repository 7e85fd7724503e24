"""Progress bars for long commands, shown only to a person at a terminal."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from tqdm import tqdm


@contextlib.contextmanager
def progress_bar(total: int, desc: str, unit: str, *, enabled: bool = True) -> Iterator[tqdm]:
    """A tqdm bar on stderr counting `total` `unit`s; a silent one (same interface) unless `enabled` and
    stderr is a terminal, so cron mail and logs never get carriage-return noise."""
    show = enabled and sys.stderr.isatty()
    with tqdm(total=total, desc=desc, unit=unit, disable=not show, file=sys.stderr, dynamic_ncols=True,
              mininterval=0.5, leave=False) as bar:
        yield bar
