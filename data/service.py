"""Runs query specs on the configured engine, through an optional result cache.

The cache key is engine + query name + a hash of the compiled SQL and parameters + the data
version, so any ingest makes every older entry unreachable. Which queries of the current request
were served from cache is recorded in a context variable for the REST ``metadata.cached`` flag.

A request never runs the same query twice: its ``RequestStats`` keeps the frames it already got
(a section asking for the leaderboard three times runs it once). Engines that can answer a spec
from pre-aggregated tables (``execute_spec``: the DuckDB rollups) get the spec as well as its SQL;
keys stay those of the SQL over the lines, so both paths share cache entries.

With caching off, a page's sections (each its own request) still never run the same query twice
in one process: recent answers are kept (bounded in bytes, keyed like the cache, so an ingest
makes them unreachable) and concurrent askers wait for the one computing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import polars as pl
from flask import current_app, has_app_context

from data.engines.base import CompiledQuery, Engine
from data.engines.registry import build_engine
from data.scope import UNRESTRICTED, Scope, current_scope
from data.single_flight import SingleFlight
from data.sql import QuerySpec, compile_query

if TYPE_CHECKING:
    from app.config import Settings


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
    query: CompiledQuery | None = None  # what ran (tests check a view never runs the same query twice)
    source: str = ""  # what answered it when it ran: "lines", rollup tables, or "" (cache or memo)


@dataclass
class RequestStats:
    """Queries run for one request (or one callback): feeds ``metadata.cached`` and logs."""

    queries: list[QueryStat] = field(default_factory=list)
    # Frames this request already got, by cache key: asked again, they are not run again.
    frames: dict[str, pl.DataFrame] = field(default_factory=dict, repr=False)

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


class _Memo:
    """A small thread-safe LRU of result frames, bounded by entries and bytes (frames are never
    mutated by callers: Polars operations return new frames)."""

    def __init__(self, size: int, max_bytes: int) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, tuple[pl.DataFrame, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> pl.DataFrame | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def put(self, key: str, frame: pl.DataFrame) -> None:
        size = int(frame.estimated_size())
        if size > self.max_bytes // 8:
            return  # one big answer must not push out every small one
        with self._lock:
            old = self._items.pop(key, None)
            self._bytes += size - (old[1] if old else 0)
            self._items[key] = (frame, size)
            while len(self._items) > self.size or self._bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    @property
    def nbytes(self) -> int:
        return self._bytes


MEMO_MAX_ROWS = 10_000
# Recent answers kept in each process (a page's sections repeat each other's queries, e.g. the
# Products page asks for the item breakdown in three sections). 64 MB holds hundreds of them.
_MEMO = _Memo(512, 64 * 1024 * 1024)
# With caching off, concurrent sections asking for the same query (a page's callbacks arrive
# together) wait for the first one's answer instead of running it again.
_FLIGHTS = SingleFlight()
FLIGHT_WAIT_S = 60.0


class QueryRunner:
    """Compiles specs for its engine and runs them, via the cache when one is set.

    Every query runs under ``self.scope`` intersected with the request's scope
    (``data.scope.scoped``), so a scoped runner cannot read outside its scope through any query."""

    def __init__(self, engine: Engine, cache: ResultCache | None = None, scope: Scope = UNRESTRICTED) -> None:
        self.engine = engine
        self.cache = cache
        self.scope = scope

    def scoped(self, scope: Scope) -> QueryRunner:
        """The same engine and cache, narrowed to ``scope`` as well."""
        return QueryRunner(self.engine, self.cache, self.scope & scope)

    def run_compiled(self, query: CompiledQuery, spec: QuerySpec | None = None) -> pl.DataFrame:
        """Run ``query`` (compiled from ``spec`` when given, which lets the engine use its rollups)."""
        started = time.perf_counter()
        stats = request_stats_var.get()
        # The key (and so the data version in it) is taken BEFORE the query runs: if an ingest lands
        # meanwhile, newer data is filed under the older version (never read again), never the reverse.
        key = query_key(self.engine, query) if (stats is not None or self.cache is not None) else ""
        refreshing = bypass_cache_var.get()
        if stats is not None and not refreshing and key in stats.frames:
            stats.queries.append(QueryStat(query.name, True, 0.0, query))
            return stats.frames[key]
        source = ""

        def compute() -> pl.DataFrame:
            nonlocal source
            frame, source = self._execute(query, spec)
            return frame

        cached = False
        if self.cache is None and refreshing:
            frame = compute()
        elif self.cache is None:
            frame, cached = self._shared_in_process(key or query_key(self.engine, query), compute)
        elif refreshing:
            # A refresh recomputes and stores, so the next plain request sees it.
            frame = compute()
            store = getattr(self.cache, "store", None)
            if store is not None:
                store(key, frame)
        else:
            frame, cached = self.cache.get_or_compute(key, compute)
        if stats is not None:
            stats.queries.append(QueryStat(query.name, cached, (time.perf_counter() - started) * 1000, query,
                                           source))
            stats.frames[key] = frame
        return frame

    @staticmethod
    def _shared_in_process(key: str, compute: Callable[[], pl.DataFrame]) -> tuple[pl.DataFrame, bool]:
        """Without a result cache a page's sections would each run the queries they share: keep
        recent answers (bounded) and let concurrent askers wait for the one computing. The key has
        the data version, so an ingest makes every kept answer unreachable."""
        hit = _MEMO.get(key)
        if hit is not None:
            return hit, True

        def compute_and_keep() -> pl.DataFrame:
            frame = compute()
            _MEMO.put(key, frame)
            return frame

        frame, led = _FLIGHTS.run(key, compute_and_keep, FLIGHT_WAIT_S)
        return frame, not led

    def _execute(self, query: CompiledQuery, spec: QuerySpec | None) -> tuple[pl.DataFrame, str]:
        execute_spec = getattr(self.engine, "execute_spec", None)
        if spec is not None and execute_spec is not None:
            return execute_spec(spec, query, self.scope & current_scope())
        return self.engine.execute(query), ""

    def run_memo(self, spec: QuerySpec) -> pl.DataFrame:
        """Run a small query that every section of a view repeats (date bounds, option lists)
        through an in-process memo in front of the cache. The memo key is the cache key (compiled
        SQL, parameters, data version), so it is as fresh as the cache; Refresh bypasses it too."""
        query = self.compile(spec)
        key = query_key(self.engine, query)
        if not bypass_cache_var.get():
            hit = _MEMO.get(key)
            if hit is not None:
                stats = request_stats_var.get()
                if stats is not None:
                    stats.queries.append(QueryStat(query.name, True, 0.0, query))
                return hit
        frame = self.run_compiled(query, spec)
        if frame.height <= MEMO_MAX_ROWS:
            _MEMO.put(key, frame)
        return frame

    def compile(self, spec: QuerySpec) -> CompiledQuery:
        table = self.engine.table_name(spec.dataset.table)
        return compile_query(spec, self.engine.dialect, self.scope & current_scope(), table=table)

    def run(self, spec: QuerySpec) -> pl.DataFrame:
        return self.run_compiled(self.compile(spec), spec)


# The runner of the current app (create_app installs one per app in ``server.extensions``); the
# process default serves code running outside any app: the CLI, benchmarks and unit tests.
RUNNER_EXTENSION = "mauzo.runner"
_default: QueryRunner | None = None
_default_lock = threading.Lock()


def make_runner(settings: Settings | None = None, cache: ResultCache | None = None) -> QueryRunner:
    from app.config import Settings as _Settings

    return QueryRunner(build_engine(settings or _Settings.from_env()), cache)


def configure(engine: Engine | None = None, cache: ResultCache | None = None) -> QueryRunner:
    """Install the process-default runner (tests and the CLI call this)."""
    global _default
    with _default_lock:
        _default = QueryRunner(engine, cache) if engine is not None else make_runner(cache=cache)
        return _default


def get_runner() -> QueryRunner:
    """The current app's runner inside a request or app context, else the process default."""
    global _default
    if has_app_context():
        runner = current_app.extensions.get(RUNNER_EXTENSION)
        if runner is not None:
            return runner
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = make_runner()
    return _default
