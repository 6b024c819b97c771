"""Degraded-mode bookkeeping: skip the backend for one interval, warn once per interval."""

from __future__ import annotations

import logging

import pytest

from app.cache_breaker import Breaker


class Clock:
    """A clock the test advances by hand (the breaker only reads it)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_one_warning_per_interval_and_one_on_recovery(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="mauzo.cache")
    clock = Clock()
    breaker = Breaker("redis", interval=5.0, clock=clock)
    assert breaker.allow() and not breaker.degraded
    for _ in range(10):
        breaker.failure(ConnectionError("refused"), "get")
        clock.now += 0.1
    assert not breaker.allow() and breaker.degraded
    assert breaker.retry_in() == pytest.approx(4.9)
    assert len(caplog.records) == 1 and "ConnectionError: refused" in caplog.records[0].getMessage()

    clock.now += 5.0
    assert breaker.allow() and breaker.degraded  # allowed to retry, not yet known to be back
    breaker.failure(TimeoutError("timed out"), "set")
    assert len(caplog.records) == 2 and breaker.last_error == "set: TimeoutError: timed out"

    clock.now += 5.0
    breaker.success()
    breaker.success()
    assert not breaker.degraded and breaker.allow()
    assert [r.getMessage() for r in caplog.records][2:] == ["cache backend redis is back; caching resumed"]
    assert breaker.failures == 11
