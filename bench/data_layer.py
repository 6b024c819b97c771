"""Per page: its work uncached vs served from each shared cache, in this process.

Measured in interleaved rounds (uncached, then each backend's miss+fill and hit) so that load from
anything else on the host lands on every column alike.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask

from app.cache import ResultCache, init_cache
from app.config import Settings
from bench.timing import once_ms, ratio
from data import service
from data.engines.duckdb_engine import DuckDBEngine
from data.filters import Filters

KINDS = ("redis", "filesystem")


def _cache(kind: str, store: Path, redis_url: str) -> ResultCache:
    settings = Settings(data_dir=store, cache_backend=kind, redis_url=redis_url if kind == "redis" else None)
    cache = init_cache(Flask(f"bench-{kind}"), settings)
    assert cache is not None
    return cache


def bench_pages(store: Path, redis_url: str, rounds: int,
                pages: dict[str, Callable[[Filters], None]]) -> list[dict[str, Any]]:
    """One row per page: medians of uncached, miss+fill and hit per backend, and the ratio."""
    engine = DuckDBEngine(store)
    caches = {kind: _cache(kind, store, redis_url) for kind in KINDS}
    rows = []
    try:
        for page, render in pages.items():
            run = partial(render, Filters())
            service.configure(engine, None)
            run()  # warm DuckDB and the OS page cache: compare query work, not disk reads
            with service.collect_stats() as stats:
                run()
            samples: dict[str, list[float]] = {"uncached": []}
            for _ in range(rounds):
                service.configure(engine, None)
                samples["uncached"].append(once_ms(run))
                for kind, cache in caches.items():
                    service.configure(engine, cache)
                    cache.backend.cache.clear()
                    samples.setdefault(f"{kind}_fill", []).append(once_ms(run))
                    with service.collect_stats() as hit:
                        samples.setdefault(f"{kind}_hit", []).append(once_ms(run))
                    assert hit.all_cached, f"{page}: {kind} did not serve every query from cache"
            row: dict[str, Any] = {"page": page, "queries": len(stats.queries)}
            row.update({f"{name}_ms": statistics.median(values) for name, values in samples.items()})
            row["ratio"] = ratio(row["uncached_ms"], row["redis_hit_ms"])
            rows.append(row)
    finally:
        service.configure(engine, None)
        engine.close()
    return rows
