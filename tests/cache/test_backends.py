"""Hit/miss, Refresh (bypass + store) and housekeeping on every backend, through the real query layer."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from flask import Flask
from polars.testing import assert_frame_equal

from app.cache import KEY_VERSION, cache_health, init_cache
from app.cache_backend import choose_kind, redacted
from app.config import Settings
from data import queries, service
from data.filters import Filters

KINDS = ["simple", "filesystem", pytest.param("redis", marks=pytest.mark.redis)]


@pytest.fixture(params=KINDS)
def kind_cache(request: pytest.FixtureRequest, store: Path, make_cache):  # type: ignore[no-untyped-def]
    kind = request.param
    extra = {"redis_url": request.getfixturevalue("redis_server").url} if kind == "redis" else {}
    cache, server = make_cache(kind, store, **extra)
    return kind, cache, server


def test_miss_then_hit_runs_the_query_once(kind_cache, store: Path, configure_runner) -> None:  # type: ignore[no-untyped-def]
    kind, cache, server = kind_cache
    engine = configure_runner(store, cache)
    with service.collect_stats() as first:
        fresh = queries.breakdown(Filters(), "branch")
    with service.collect_stats() as second:
        again = queries.breakdown(Filters(), "branch")
    assert engine.executions == 1
    assert [q.cached for q in first.queries] == [False]
    assert [q.cached for q in second.queries] == [True]
    assert_frame_equal(again, fresh)
    other = queries.breakdown(Filters.from_args({"branch": fresh["branch"][0]}), "branch")
    assert engine.executions == 2 and other.height == 1
    health = cache_health(server)
    assert (health["backend"], health["status"]) == (kind, "ok")
    assert health["stats"]["hits"] == 1 and health["stats"]["computed"] == 2


def test_refresh_recomputes_and_stores_for_the_next_plain_request(kind_cache, store: Path,  # type: ignore[no-untyped-def]
                                                                  configure_runner) -> None:
    _, cache, _ = kind_cache
    engine = configure_runner(store, cache)
    queries.summary(Filters())
    with service.bypass_cache(), service.collect_stats() as refreshed:
        queries.summary(Filters())
    assert engine.executions == 2
    assert [q.cached for q in refreshed.queries] == [False]
    with service.collect_stats() as plain:
        queries.summary(Filters())
    assert engine.executions == 2 and plain.all_cached


def test_store_overwrites_the_entry(kind_cache) -> None:  # type: ignore[no-untyped-def]
    _, cache, _ = kind_cache
    cache.get_or_compute("k", lambda: pl.DataFrame({"a": [1]}))
    cache.store("k", pl.DataFrame({"a": [2]}))
    frame, cached = cache.get_or_compute("k", lambda: pl.DataFrame({"a": [3]}))
    assert cached and frame["a"].to_list() == [2]


def test_unreadable_entry_is_a_miss_and_is_replaced(kind_cache) -> None:  # type: ignore[no-untyped-def]
    _, cache, _ = kind_cache
    cache.backend.cache.set(f"{KEY_VERSION}:k", b"garbage from an older release")
    frame, cached = cache.get_or_compute("k", lambda: pl.DataFrame({"a": [1]}))
    assert not cached and frame["a"].to_list() == [1]
    assert cache.get_or_compute("k", lambda: pl.DataFrame({"a": [2]}))[0]["a"].to_list() == [1]


def test_results_over_the_size_limit_are_served_but_not_cached(store: Path, make_cache) -> None:  # type: ignore[no-untyped-def]
    cache, _ = make_cache("simple", store, cache_max_bytes=1000)
    big = pl.DataFrame({"n": range(10_000)}).with_columns(pl.col("n").cast(pl.String) + "-text")
    calls = []

    def compute() -> pl.DataFrame:
        calls.append(1)
        return big

    for attempt in (1, 2):
        frame, cached = cache.get_or_compute("big", compute)
        assert not cached and frame.equals(big) and len(calls) == attempt
        cache.flush()  # its write (skipped) is done: nothing of it stays behind
    assert cache.stats()["too_large"] == 2


def test_errors_from_the_query_reach_the_caller_and_are_not_cached(kind_cache) -> None:  # type: ignore[no-untyped-def]
    _, cache, _ = kind_cache

    def broken() -> pl.DataFrame:
        raise ZeroDivisionError("query failed")

    with pytest.raises(ZeroDivisionError):
        cache.get_or_compute("k", broken)
    frame, cached = cache.get_or_compute("k", lambda: pl.DataFrame({"a": [1]}))
    assert not cached and frame.height == 1
    assert cache.breaker.failures == 0  # a failing query is not a failing cache


def test_filesystem_cache_lives_under_the_data_dir(store: Path, make_cache) -> None:  # type: ignore[no-untyped-def]
    cache, _ = make_cache("filesystem", store)
    cache.get_or_compute("k", lambda: pl.DataFrame({"a": [1]}))
    cache.flush()
    assert any((store / "cache" / "results").iterdir())


def test_backend_choice_follows_the_environment(tmp_path: Path) -> None:
    assert choose_kind(Settings(data_dir=tmp_path, redis_url=None, cache_backend="")) == "filesystem"
    assert choose_kind(Settings(data_dir=tmp_path, redis_url="redis://h:1/0", cache_backend="")) == "redis"
    assert choose_kind(Settings(data_dir=tmp_path, redis_url="redis://h:1/0", cache_backend="none")) == "none"
    with pytest.raises(ValueError, match="REDIS_URL"):
        choose_kind(Settings(data_dir=tmp_path, redis_url=None, cache_backend="redis"))
    with pytest.raises(ValueError, match="memcached"):
        choose_kind(Settings(data_dir=tmp_path, redis_url=None, cache_backend="memcached"))


def test_none_means_no_cache_and_health_says_disabled(tmp_path: Path) -> None:
    server = Flask("none")
    assert init_cache(server, Settings(data_dir=tmp_path, cache_backend="none", redis_url=None)) is None
    assert cache_health(server)["status"] == "disabled"


def test_read_only_data_dir_falls_back_to_an_in_process_cache(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("x")  # the cache dir would have to live inside a regular file
    cache = init_cache(Flask("ro"), Settings(data_dir=blocked, cache_backend="filesystem", redis_url=None))
    assert cache is not None and cache.backend.kind == "simple"


def test_health_never_shows_a_redis_password() -> None:
    assert redacted("redis://:s3cret@cache.internal:6380/2") == "redis://:***@cache.internal:6380/2"
    assert redacted("redis://user:s3cret@h/0") == "redis://user:***@h/0"
    assert redacted("redis://h:6379/0") == "redis://h:6379/0"


def test_a_computed_value_is_answered_before_it_is_stored(kind_cache) -> None:  # type: ignore[no-untyped-def]
    """The request that computed a value does not wait for the backend write; until the write is
    done this process answers from the queued value, and other processes wait on the key's lock."""
    import threading

    _, cache, _ = kind_cache
    gate, stored = threading.Event(), threading.Event()
    real_set = cache.backend.cache.set

    def slow_set(*args, **kwargs):  # type: ignore[no-untyped-def]
        gate.wait(10)
        result = real_set(*args, **kwargs)
        stored.set()
        return result

    cache.backend.cache.set = slow_set
    try:
        frame, cached = cache.get_or_compute("k", lambda: pl.DataFrame({"a": [1]}))
        assert not cached and frame["a"].to_list() == [1] and not stored.is_set()
        again, cached = cache.get_or_compute("k", lambda: pl.DataFrame({"a": [2]}))
        assert cached and again["a"].to_list() == [1]
        assert cache.backend.locks.try_acquire(f"{KEY_VERSION}:k") is None or cache.backend.kind == "simple"
        gate.set()
        cache.flush()
        assert stored.is_set() and cache.backend.cache.get(f"{KEY_VERSION}:k") is not None
        handle = cache.backend.locks.try_acquire(f"{KEY_VERSION}:k")  # released after the write
        assert handle is not None
        cache.backend.locks.release(handle)
    finally:
        gate.set()
        cache.backend.cache.set = real_set
    assert cache.stats()["computed"] == 1
