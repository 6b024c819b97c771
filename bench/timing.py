"""Median wall time of a callable: the one statistic the reports use (robust to a stray GC pause)."""

from __future__ import annotations

import time
from collections.abc import Callable


def once_ms(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def ratio(slow: float, fast: float) -> float | None:
    return slow / fast if fast > 0 else None
