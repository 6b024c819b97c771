"""One computation per key among the threads of one process: the first runs, the others wait for
its result. Used by the result cache (``app.cache``) and, with caching off, by the query runner
(``data.service``), so concurrent sections asking for the same query run it once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class _Flight:
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


class SingleFlight:
    """Per-key leader/follower coalescing for the threads of one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flights: dict[str, _Flight] = {}

    def run(self, key: str, fn: Callable[[], T], wait: float) -> tuple[T, bool]:
        """Return (result, led): ``led`` is False when another thread's call produced the result.
        A follower that waits longer than ``wait`` seconds runs ``fn`` itself."""
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        if not leader:
            if not flight.done.wait(wait):
                return fn(), True
            if flight.error is not None:
                raise flight.error  # the same query would fail the same way; don't run it N times
            return flight.result, False
        try:
            flight.result = fn()
            return flight.result, True
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                if self._flights.get(key) is flight:
                    del self._flights[key]
            flight.done.set()
