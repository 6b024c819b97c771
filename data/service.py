"""Runs query specs on the configured engine, through an optional result cache.

The cache key is engine + query name + a hash of the compiled SQL and parameters + the data
version, so any ingest makes every older entry unreachable. Which queries of the current request
were served from cache is recorded in a context variable for the REST ``metadata.cached`` flag.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol

import polars as pl

from data.engines.base import CompiledQuery, Engine
from data.sql import QuerySpec, compile_query


class ResultCache(Protocol):
    """Anything that can memoize frames by key (see ``app.cache`` for the Flask-Caching one)."""

    def get_or_compute(self, key: str, compute: Callable[[], pl.DataFrame]) -> tuple[pl.DataFrame, bool]:
        """Return (frame, served_from_cache)."""
        ...


@dataclass
class QueryStat:
    name: str
    cached: bool
    duration_ms: float


@dataclass
class RequestStats:
    """Queries run for one request (or one callback): feeds ``metadata.cached`` and logs."""

    queries: list[QueryStat] = field(default_factory=list)

    @property
    def all_cached(self) -> bool:
        return bool(self.queries) and all(q.cached for q in self.queries)


request_stats_var: ContextVar[RequestStats | None] = ContextVar("mauzo_request_stats", default=None)
bypass_cache_var: ContextVar[bool] = ContextVar("mauzo_bypass_cache", default=False)


@contextlib.contextmanager
def bypass_cache(enabled: bool = True) -> Iterator[None]:
    """Within the block, queries skip cached results and store fresh ones (a "Refresh")."""
    token = bypass_cache_var.set(enabled)
    try:
        yield
    finally:
        bypass_cache_var.reset(token)


@contextlib.contextmanager
def collect_stats() -> Iterator[RequestStats]:
    """Record the queries run within the block (name, cached, duration)."""
    stats = RequestStats()
    token = request_stats_var.set(stats)
    try:
        yield stats
    finally:
        request_stats_var.reset(token)


def query_key(engine: Engine, query: CompiledQuery) -> str:
    """Stable across processes: sha256 over canonical JSON, never Python ``hash()``."""
    # Each parameter keeps its type name, so 1 and "1" can never share a key.
    payload = json.dumps([query.sql, [[type(p).__name__, str(p)] for p in query.params]], separators=(",", ":"))
    digest = hashlib.sha256(payload.encode()).hexdigest()[:40]
    return f"{engine.name}:{query.name}:{digest}:{engine.data_version()}"


class QueryRunner:
    """Compiles specs for its engine and runs them, via the cache when one is set."""

    def __init__(self, engine: Engine, cache: ResultCache | None = None) -> None:
        self.engine = engine
        self.cache = cache

    def run_compiled(self, query: CompiledQuery) -> pl.DataFrame:
        started = time.perf_counter()
        cached = False
        if self.cache is None:
            frame = self.engine.execute(query)
        elif bypass_cache_var.get():
            # A refresh recomputes and stores, so the next plain request sees it. The key (and so
            # the data version in it) is taken BEFORE the query runs: if an ingest lands meanwhile,
            # newer data is filed under the older version (never read again), never the reverse.
            key = query_key(self.engine, query)
            frame = self.engine.execute(query)
            store = getattr(self.cache, "store", None)
            if store is not None:
                store(key, frame)
        else:
            frame, cached = self.cache.get_or_compute(
                query_key(self.engine, query), lambda: self.engine.execute(query)
            )
        stats = request_stats_var.get()
        if stats is not None:
            stats.queries.append(QueryStat(query.name, cached, (time.perf_counter() - started) * 1000))
        return frame

    def run(self, spec: QuerySpec) -> pl.DataFrame:
        return self.run_compiled(compile_query(spec, self.engine.dialect))


_runner: QueryRunner | None = None
_runner_lock = threading.Lock()


def make_engine() -> Engine:
    """The engine named by ``MAUZO_ENGINE`` (``duckdb`` by default)."""
    kind = os.environ.get("MAUZO_ENGINE", "duckdb").lower()
    if kind == "duckdb":
        from data.engines.duckdb_engine import DuckDBEngine

        return DuckDBEngine()
    raise ValueError(f"MAUZO_ENGINE={kind!r} is not supported (known: duckdb)")


def configure(engine: Engine | None = None, cache: ResultCache | None = None) -> QueryRunner:
    """Install the process-wide runner (the app factory and tests call this)."""
    global _runner
    with _runner_lock:
        _runner = QueryRunner(engine or make_engine(), cache)
        return _runner


def get_runner() -> QueryRunner:
    global _runner
    if _runner is None:
        with _runner_lock:
            if _runner is None:
                _runner = QueryRunner(make_engine())
    return _runner
