"""Fixtures for cache tests: a real redis-server per test, small mutable stores, cache builders."""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from flask import Flask

from app.cache import ResultCache, init_cache
from app.config import Settings
from data import service
from data.engines.duckdb_engine import DuckDBEngine
from ingest.demo import generate
from ingest.storage import commit_lines
from tests.cache.counting import CountingEngine
from tests.cache.redis_server import REDIS_SERVER, RedisServer
from tests.cache.worker import Worker
from tests.live import free_port


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A fresh redis-server on a free port in this test's temp dir; killed at teardown."""
    if not shutil.which(REDIS_SERVER):
        pytest.fail("redis-server is not installed: run `make system-deps` (Debian package redis-server)")
    server = RedisServer(tmp_path / "redis", free_port()).start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture(scope="session")
def small_frame() -> pl.DataFrame:
    return generate(rows=3_000, seed=5, end=dt.date(2025, 6, 30))


@pytest.fixture(scope="session")
def extra_frame() -> pl.DataFrame:
    """New lines to append in invalidation tests (different seed, same period)."""
    return generate(rows=500, seed=99, end=dt.date(2025, 6, 30))


@pytest.fixture
def store(tmp_path: Path, small_frame: pl.DataFrame) -> Path:
    """A store this test may ingest into."""
    data_dir = tmp_path / "store"
    commit_lines(small_frame, data_dir=data_dir, file_name="small", sha256="sha-small", mode="replace")
    return data_dir


@pytest.fixture
def make_cache() -> Callable[..., tuple[ResultCache, Flask]]:
    """``make_cache(kind, data_dir, **settings)`` -> (cache, server), as ``init_cache`` builds it."""

    def build(kind: str, data_dir: Path, **overrides: Any) -> tuple[ResultCache, Flask]:
        overrides.setdefault("redis_url", None)
        server = Flask(f"cache-test-{kind}")
        cache = init_cache(server, Settings(data_dir=data_dir, cache_backend=kind, **overrides))
        assert isinstance(cache, ResultCache)
        return cache, server

    return build


@pytest.fixture
def configure_runner() -> Iterator[Callable[..., CountingEngine]]:
    """``configure_runner(data_dir, cache, delay=0)`` installs a counted real engine behind the
    cache as the process-wide runner; the previous runner is restored afterwards."""
    previous = service.get_runner()
    engines: list[DuckDBEngine] = []

    def install(data_dir: Path, cache: ResultCache | None, delay: float = 0.0) -> CountingEngine:
        inner = DuckDBEngine(data_dir)
        engines.append(inner)
        engine = CountingEngine(inner, delay=delay)
        service.configure(engine, cache)
        return engine

    yield install
    service.configure(previous.engine, previous.cache)
    for engine in engines:
        engine.close()


@pytest.fixture
def workers() -> Iterator[Callable[..., Worker]]:
    """``workers(data_dir, env, delay=0)`` starts a worker process; all are stopped afterwards."""
    started: list[Worker] = []

    def start(data_dir: Path, env: dict[str, str], delay: float = 0.0) -> Worker:
        worker = Worker(data_dir, env, delay)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        with contextlib.suppress(Exception):
            worker.close()
