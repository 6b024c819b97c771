"""Per page, in this process: the server work of opening it (every section) uncached, on the first
view after an ingest (cold shared cache) and warm; its data (the data layer's part) beside the
same data computed by naive pandas, raw lines + Polars, and raw SQL (``bench.baselines``).

Rounds are interleaved (every page and mode in each round) so load from anything else on the
host lands on every column alike; figures are medians.
"""

from __future__ import annotations

import collections
import datetime as dt
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from flask import Flask

from app.cache import ResultCache, init_cache
from app.config import Settings
from bench import baselines
from bench.page_sections import page_sections
from bench.pages import PAGES
from bench.timing import once_ms
from data import service
from data.engines.duckdb_engine import DuckDBEngine
from data.filters import Filters
from ingest.demo import generate
from ingest.storage import commit_lines

DEMO_END = dt.date(2025, 6, 30)


def views() -> dict[str, Filters]:
    """The typical view (last 12 months, two branches) and no filter."""
    start = DEMO_END.replace(year=DEMO_END.year - 1) + dt.timedelta(days=1)
    return {"typical": Filters.create(start=start, end=DEMO_END, branch=["Mombasa", "Kisumu"]), "all": Filters()}


def _cache(store: Path, redis_url: str) -> ResultCache:
    cache = init_cache(Flask("bench-cache"), Settings(data_dir=store, cache_backend="redis", redis_url=redis_url))
    assert cache is not None
    return cache


class Ingests:
    """Tiny appends that make a new data version (a "first view after an ingest")."""

    def __init__(self, store: Path) -> None:
        self.store = store
        self.count = 0
        self.frame = generate(rows=100, seed=4242, end=DEMO_END)

    def next(self) -> None:
        self.count += 1
        commit_lines(self.frame.head(3).with_columns(pl.lit(f"BENCH-{self.count}").alias("invoice_id")),
                     data_dir=self.store, file_name=f"bench-append-{self.count}", sha256=f"bench-{self.count}",
                     mode="append")


def _fresh_view(engine: DuckDBEngine, cache: ResultCache | None) -> None:
    service.configure(engine, cache)
    service._MEMO.clear()


def measure_pages(store: Path, redis_url: str, rounds: int) -> dict[str, Any]:
    """Section times per page and view: uncached, cold (first view after an ingest), warm; and how
    many queries ran."""
    pages = page_sections(store)
    engine = DuckDBEngine(store)
    cache = _cache(store, redis_url)
    ingests = Ingests(store)
    samples: dict[tuple[str, str, str], list[float]] = collections.defaultdict(list)
    queries: dict[tuple[str, str], dict[str, int]] = {}
    try:
        for render in pages.values():  # warm DuckDB and the OS page cache once
            for filters in views().values():
                _fresh_view(engine, None)
                render(filters)
        for round_index in range(rounds):
            for name, render in pages.items():
                for label, filters in views().items():
                    _fresh_view(engine, None)
                    started = time.perf_counter()
                    asked = render(filters)
                    samples[(name, label, "uncached")].append((time.perf_counter() - started) * 1000)
                    ingests.next()
                    _fresh_view(engine, cache)
                    samples[(name, label, "cold")].append(once_ms(partial(render, filters)))
                    samples[(name, label, "warm")].append(once_ms(partial(render, filters)))
                    if round_index == 0:
                        executed = [q for stats in asked for q in stats.queries if not q.cached]
                        keys = collections.Counter((q.query.sql, q.query.params) for q in executed if q.query)
                        queries[(name, label)] = {"asked": sum(len(s.queries) for s in asked), "ran": len(executed),
                                                  "ran_again": sum(n - 1 for n in keys.values()),
                                                  "from_lines": sum(q.source == "lines" for q in executed),
                                                  "sections": len(asked)}
    finally:
        service.configure(engine, None)
        engine.close()
    rows = []
    for (name, label), counts in queries.items():
        row = {"page": name, "view": label, **counts}
        for mode in ("uncached", "cold", "warm"):
            row[f"{mode}_ms"] = statistics.median(samples[(name, label, mode)])
        row["cold_vs_uncached"] = row["cold_ms"] / row["uncached_ms"]
        rows.append(row)
    return {"rows": rows, "ingests": ingests.count}


def measure_page_data(store: Path, rounds: int, with_pandas: bool = True) -> dict[str, Any]:
    """Each page's data: Mauzo's data layer (uncached) vs (a) pandas, (b) Polars, (c) raw SQL."""
    engine = DuckDBEngine(store)
    # The same configuration as the engine's own connection (DuckDB shares one instance per file).
    con = duckdb.connect(str(engine.store.snapshot_path(engine.store.manifest())), read_only=True,
                         config={"access_mode": "READ_ONLY"})
    frame = None
    load_s = None
    if with_pandas:
        started = time.perf_counter()
        frame = baselines.load_pandas(con)
        load_s = time.perf_counter() - started
    ways: dict[str, Callable[[str, Filters], Any]] = {
        "mauzo": lambda page, f: (_fresh_view(engine, None), PAGES[page](f)),
        "polars": lambda page, f: baselines.polars_page(con, page, f),
        "sql": lambda page, f: baselines.sql_page(con, page, f),
    }
    if frame is not None:
        ways["pandas"] = lambda page, f: baselines.pandas_page(frame, page, f)
    samples: dict[tuple[str, str, str], list[float]] = collections.defaultdict(list)
    try:
        warm_up = 1 if rounds > 1 else 0  # with one round, every path starts equally cold
        for round_index in range(rounds + warm_up):
            for page in PAGES:
                for label, filters in views().items():
                    for way, run in ways.items():
                        ms = once_ms(partial(run, page, filters))
                        if round_index >= warm_up:
                            samples[(page, label, way)].append(ms)
    finally:
        service.configure(engine, None)
        con.close()
        engine.close()
    rows = []
    for page in PAGES:
        for label in views():
            row: dict[str, Any] = {"page": page, "view": label}
            for way in ways:
                row[f"{way}_ms"] = statistics.median(samples[(page, label, way)])
            for way in ("pandas", "polars", "sql"):
                key = f"{way}_ms"
                row[f"vs_{way}"] = row["mauzo_ms"] / row[key] if row.get(key) else None
            rows.append(row)
    return {"rows": rows, "pandas_load_s": load_s}
