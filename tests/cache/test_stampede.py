"""No stampede: N concurrent requests for one uncached key run the query once, in threads and in
processes; a lock holder that dies does not block the key."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from app.cache import KEY_VERSION
from app.cache_backend import LOCK_PREFIX
from app.cache_lock import FileLocks
from data import queries, service
from data.engines.duckdb_engine import DuckDBEngine
from data.filters import Filters
from data.sql import QuerySpec, compile_query
from tests.cache.redis_server import RedisServer

N = 20
REDIS = pytest.param("redis", marks=pytest.mark.redis)
SLOW = 0.4  # seconds added to each execution so every request arrives while the first one runs


def _backend_env(kind: str, request: pytest.FixtureRequest) -> dict[str, str]:
    env = {"MAUZO_CACHE": kind, "REDIS_URL": ""}
    if kind == "redis":
        env["REDIS_URL"] = request.getfixturevalue("redis_server").url
    return env


@pytest.mark.parametrize("kind", ["simple", "filesystem", REDIS])
def test_concurrent_threads_run_the_query_once(kind: str, request: pytest.FixtureRequest, store: Path,
                                               make_cache, configure_runner) -> None:  # type: ignore[no-untyped-def]
    extra = {"redis_url": request.getfixturevalue("redis_server").url} if kind == "redis" else {}
    cache, _ = make_cache(kind, store, **extra)
    engine = configure_runner(store, cache, delay=SLOW)
    barrier = threading.Barrier(N)
    results: list[tuple[float, bool]] = []
    lock = threading.Lock()

    def one() -> None:
        barrier.wait()
        with service.collect_stats() as stats:
            revenue = queries.summary(Filters())["revenue"][0]
        with lock:
            results.append((revenue, stats.all_cached))

    threads = [threading.Thread(target=one) for _ in range(N)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert engine.executions == 1
    assert len(results) == N and len({revenue for revenue, _ in results}) == 1
    assert sorted(cached for _, cached in results) == [False] + [True] * (N - 1)


@pytest.mark.parametrize("kind", ["filesystem", REDIS])
def test_concurrent_processes_run_the_query_once(kind: str, request: pytest.FixtureRequest, store: Path,
                                                 tmp_path: Path, workers) -> None:  # type: ignore[no-untyped-def]
    env = _backend_env(kind, request)
    pool = [workers(store, env, delay=SLOW) for _ in range(4)]
    ready, go = tmp_path / "ready", tmp_path / "go"
    ready.mkdir()
    threads_each = N // len(pool)
    for worker in pool:
        worker.send("burst", threads=threads_each, ready_dir=str(ready), go_file=str(go))
    deadline = time.monotonic() + 60
    while len(list(ready.iterdir())) < N:
        assert time.monotonic() < deadline, "workers did not get ready"
        time.sleep(0.01)
    go.touch()
    replies = [worker.receive() for worker in pool]
    results = [r for reply in replies for r in reply["results"]]
    assert sum(reply["executions"] for reply in replies) == 1
    assert len(results) == N and len({r["revenue"] for r in results}) == 1
    assert sum(not r["cached"] for r in results) == 1


def _lock_is_held(kind: str, store: Path, full_key: str, redis_server: RedisServer | None) -> bool:
    if kind == "redis":
        assert redis_server is not None
        return bool(redis_server.client().exists(LOCK_PREFIX + full_key))
    locks = FileLocks(store / "cache" / "locks")
    handle = locks.try_acquire(full_key)
    if handle is None:
        return True
    locks.release(handle)
    return False


@pytest.mark.parametrize("kind", ["filesystem", REDIS])
def test_a_waiter_takes_over_when_the_lock_holder_dies(kind: str, request: pytest.FixtureRequest, store: Path,
                                                       workers) -> None:  # type: ignore[no-untyped-def]
    redis_server = request.getfixturevalue("redis_server") if kind == "redis" else None
    env = {**_backend_env(kind, request), "MAUZO_CACHE_LOCK_TIMEOUT": "1", "MAUZO_CACHE_WAIT_TIMEOUT": "30"}
    engine = DuckDBEngine(store)
    try:
        spec = QuerySpec("summary", filters=Filters(), aggregates=queries.CORE_AGGREGATES)
        full_key = f"{KEY_VERSION}:{service.query_key(engine, compile_query(spec, engine.dialect))}"
    finally:
        engine.close()
    holder = workers(store, env, delay=60)  # takes the lock, then "hangs" in the query
    holder.send("summary")
    deadline = time.monotonic() + 30
    while not _lock_is_held(kind, store, full_key, redis_server):
        assert time.monotonic() < deadline, "the holder never took the lock"
        time.sleep(0.02)
    waiter = workers(store, env)
    waiter.send("summary")
    time.sleep(0.3)  # the waiter is now polling for the holder's value
    holder.kill()
    reply = waiter.receive()
    assert reply["executions"] == 1 and reply["cached"] is False
    stats = waiter.request("health")["stats"]
    assert stats.get("wait_timeouts", 0) == 0  # it took the freed lock; it did not give up waiting
    assert waiter.request("summary")["cached"] is True
