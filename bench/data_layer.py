"""Per page: its data-layer calls uncached vs served from each shared cache, in this process."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask

from app.cache import ResultCache, init_cache
from app.config import Settings
from bench.pages import PAGES
from bench.timing import median_ms, once_ms, ratio
from data import service
from data.engines.duckdb_engine import DuckDBEngine
from data.filters import Filters


def _cache(kind: str, store: Path, redis_url: str) -> ResultCache:
    settings = Settings(data_dir=store, cache_backend=kind, redis_url=redis_url if kind == "redis" else None)
    cache = init_cache(Flask(f"bench-{kind}"), settings)
    assert cache is not None
    return cache


def bench_pages(store: Path, redis_url: str, repeats: int, cached_repeats: int) -> list[dict[str, Any]]:
    """One row per page: uncached median, first (miss + fill) and hit medians per backend."""
    engine = DuckDBEngine(store)
    caches = {kind: _cache(kind, store, redis_url) for kind in ("redis", "filesystem")}
    filters = Filters()
    rows = []
    try:
        for page, render in PAGES.items():
            run = partial(render, filters)
            service.configure(engine, None)
            render(filters)  # warm DuckDB and the OS page cache: compare query work, not disk reads
            with service.collect_stats() as stats:
                render(filters)
            row: dict[str, Any] = {"page": page, "queries": len(stats.queries),
                                   "uncached_ms": median_ms(run, repeats)}
            for kind, cache in caches.items():
                service.configure(engine, cache)
                row[f"{kind}_fill_ms"] = once_ms(run)
                with service.collect_stats() as stats:
                    render(filters)
                assert stats.all_cached, f"{page}: {kind} did not serve every query from cache"
                row[f"{kind}_hit_ms"] = median_ms(run, cached_repeats)
            row["ratio"] = ratio(row["uncached_ms"], row["redis_hit_ms"])
            rows.append(row)
    finally:
        service.configure(engine, None)
        engine.close()
    return rows
