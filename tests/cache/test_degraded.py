"""Redis failures are not outages: down at start-up, killed, or hung -> queries still answer,
uncached, with one warning per interval and a degraded health report; caching resumes after."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from app.cache import cache_health
from data import queries, service
from data.filters import Filters
from tests.cache.redis_server import RedisServer
from tests.live import free_port

pytestmark = pytest.mark.redis


def _summaries(count: int) -> list[bool]:
    """Run ``count`` identical requests; return whether each was served from cache."""
    cached = []
    for _ in range(count):
        with service.collect_stats() as stats:
            assert queries.summary(Filters()).height == 1
        cached.append(stats.all_cached)
    return cached


def _cache_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "mauzo.cache" and r.levelno == logging.WARNING]


def test_redis_down_at_start_up(store: Path, make_cache, configure_runner,  # type: ignore[no-untyped-def]
                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="mauzo.cache")
    cache, server = make_cache("redis", store, redis_url=f"redis://127.0.0.1:{free_port()}/0",
                               cache_retry_interval=60)
    engine = configure_runner(store, cache)
    assert _summaries(20) == [False] * 20
    assert engine.executions == 20
    health = cache_health(server)
    assert health["backend"] == "redis" and health["status"] == "degraded"
    assert "ConnectionError" in health["detail"]
    stats = cache.stats()
    assert stats["errors"] == 1 and stats["skipped"] >= 19  # only the first request tried Redis
    assert len(_cache_warnings(caplog)) == 1


def test_redis_killed_mid_run_then_restarted(store: Path, redis_server: RedisServer, make_cache,  # type: ignore[no-untyped-def]
                                             configure_runner, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="mauzo.cache")
    cache, server = make_cache("redis", store, redis_url=redis_server.url, cache_retry_interval=0.3)
    engine = configure_runner(store, cache)
    assert _summaries(3) == [False, True, True]
    assert cache_health(server)["status"] == "ok"
    cache.flush()  # the computed value is stored (written behind the request) before Redis goes

    redis_server.kill()
    assert _summaries(10) == [False] * 10
    assert engine.executions == 11
    assert cache_health(server)["status"] == "degraded"
    assert any("unavailable" in message for message in _cache_warnings(caplog))

    redis_server.start()  # same port, empty (no persistence)
    time.sleep(0.4)  # let the back-off interval pass
    assert _summaries(3) == [False, True, True]
    assert engine.executions == 12
    assert cache_health(server)["status"] == "ok"
    assert any("caching resumed" in message for message in _cache_warnings(caplog))


def test_hung_redis_costs_one_short_timeout_per_interval(store: Path, redis_server: RedisServer,  # type: ignore[no-untyped-def]
                                                         make_cache, configure_runner) -> None:
    cache, server = make_cache("redis", store, redis_url=redis_server.url, cache_retry_interval=60,
                               cache_socket_timeout=0.3, cache_connect_timeout=0.3)
    engine = configure_runner(store, cache)
    assert _summaries(2) == [False, True]
    cache.flush()  # the computed value is stored (written behind the request) before Redis hangs
    redis_server.pause()  # accepts connections, never answers
    started = time.monotonic()
    assert _summaries(10) == [False] * 10
    elapsed = time.monotonic() - started
    assert engine.executions == 11
    stats = cache.stats()
    assert stats["errors"] == 1 and stats["skipped"] >= 9
    # A hang detector, not a benchmark: redis-py's defaults would block 5 s on the first call alone.
    assert elapsed < 4.0
    health = cache_health(server)  # in back-off: reports without touching the hung server
    assert health["status"] == "degraded" and "TimeoutError" in health["detail"]
    redis_server.resume()
