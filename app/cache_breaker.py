"""Degraded mode for the cache backend: after a failure, skip it for a short back-off interval.

Why: with Redis down every call would pay a connect (or socket) timeout; skipping the backend for
``interval`` seconds caps that at one slow request per interval per worker. The first failure of an
interval logs one warning (not one per request); the first success afterwards logs the recovery.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger("mauzo.cache")


class Breaker:
    """Tracks backend health for one process: ``allow()`` says whether to try the backend now."""

    def __init__(self, backend: str, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.backend = backend
        self.interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._open_until = 0.0
        self._last_warning = float("-inf")
        self._last_error: str | None = None
        self.failures = 0

    def allow(self) -> bool:
        return self._clock() >= self._open_until

    @property
    def degraded(self) -> bool:
        return self._last_error is not None

    @property
    def last_error(self) -> str | None:
        return self._last_error

    def retry_in(self) -> float:
        return max(0.0, self._open_until - self._clock())

    def failure(self, exc: BaseException, during: str) -> None:
        """Open the breaker for one interval; warn at most once per interval."""
        now = self._clock()
        message = f"{during}: {type(exc).__name__}: {exc}"
        with self._lock:
            self.failures += 1
            self._open_until = now + self.interval
            self._last_error = message
            warn = now - self._last_warning >= self.interval
            if warn:
                self._last_warning = now
        if warn:
            log.warning("cache backend %s unavailable (%s); serving uncached, retrying in %.1f s",
                        self.backend, message, self.interval)

    def success(self) -> None:
        if self._last_error is None:
            return
        with self._lock:
            recovered, self._last_error = self._last_error is not None, None
            self._open_until = 0.0
        if recovered:
            log.warning("cache backend %s is back; caching resumed", self.backend)
