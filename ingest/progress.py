"""A stage progress bar for long ingests on an interactive terminal.

Reading and parsing run inside Polars in one call each, so per-byte progress is not observable;
the bar advances per stage and shows elapsed time, which is what someone watching a 500 MB file
load wants to know ("is it still working, and where?"). It is silent in pipes, cron and tests.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from tqdm import tqdm

STAGES = ("reading", "matching columns", "parsing", "validating", "writing snapshot")
MIN_BYTES = 4 * 1024 * 1024


def wants_progress(size: int, stream: TextIO | None = None) -> bool:
    """A bar only for files over a few MB, and only when a person is watching stderr."""
    stream = stream or sys.stderr
    return size >= MIN_BYTES and hasattr(stream, "isatty") and stream.isatty()


class Progress:
    """``stage(name)`` advances the bar; a disabled instance does nothing. ``listener`` hears every
    stage too (the Data page's background job records it for the browser's progress bar)."""

    def __init__(self, enabled: bool, label: str, listener: Callable[[str], None] | None = None) -> None:
        self._listener = listener
        self._bar = (
            tqdm(total=len(STAGES), desc=label, file=sys.stderr, leave=False, unit="stage",
                 bar_format="{desc} |{bar:24}| {n}/{total} [{elapsed}]")
            if enabled else None
        )
        self._started = False

    def stage(self, name: str) -> None:
        if self._listener is not None:
            self._listener(name)
        if self._bar is None:
            return
        if self._started:
            self._bar.update(1)
        self._started = True
        self._bar.set_description_str(name)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.update(self._bar.total - self._bar.n)
            self._bar.close()
            self._bar = None
