"""With caching off, the runner still runs a query once per process: recent answers are kept
(bounded in bytes) and concurrent askers wait for the one computing; an ingest makes them stale."""

from __future__ import annotations

import threading
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from data import queries, service
from data.engines.duckdb_engine import DuckDBEngine
from data.filters import Filters
from data.service import _Memo
from ingest.demo import generate
from tests.cache.counting import CountingEngine
from tests.conftest import DEMO_END, build_store


def test_concurrent_sections_asking_the_same_query_run_it_once(demo_store: Path) -> None:
    engine = CountingEngine(DuckDBEngine(demo_store), delay=0.3)
    service.configure(engine, None)
    service._MEMO.clear()
    answers: list[pl.DataFrame] = []
    cached: list[bool] = []

    def section() -> None:
        with service.collect_stats() as stats:
            answers.append(queries.breakdown(Filters(), "salesperson"))
        cached.append(stats.all_cached)

    threads = [threading.Thread(target=section) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert engine.executions == 1
    assert sorted(cached) == [False, True, True, True]  # one ran it; the others are told they waited
    for answer in answers[1:]:
        assert_frame_equal(answer, answers[0])
    engine.inner.close()


def test_a_new_data_version_is_never_answered_from_before(tmp_path: Path) -> None:
    store = build_store(tmp_path / "data", generate(rows=500, seed=5, end=DEMO_END))
    engine = CountingEngine(DuckDBEngine(store))
    service.configure(engine, None)
    before = queries.breakdown(Filters(), "branch")
    assert_frame_equal(queries.breakdown(Filters(), "branch"), before)
    assert engine.executions == 1
    build_store(store, generate(rows=200, seed=6, end=DEMO_END), mode="append", name="more")
    after = queries.breakdown(Filters(), "branch")
    assert engine.executions == 2 and after["lines"].sum() == before["lines"].sum() + 200
    engine.inner.close()


def test_refresh_runs_the_query_again(demo_store: Path) -> None:
    engine = CountingEngine(DuckDBEngine(demo_store))
    service.configure(engine, None)
    service._MEMO.clear()
    queries.breakdown(Filters(), "branch")
    with service.bypass_cache():
        queries.breakdown(Filters(), "branch")
    assert engine.executions == 2
    engine.inner.close()


def test_the_memo_keeps_within_its_bytes_and_skips_one_huge_answer() -> None:
    memo = _Memo(size=1_000, max_bytes=80_000)
    small = pl.DataFrame({"x": list(range(1_000))})  # 8 KB
    for index in range(30):
        memo.put(f"k{index}", small)
    assert memo.nbytes <= 80_000 and memo.get("k0") is None and memo.get("k29") is not None
    memo.put("huge", pl.DataFrame({"x": list(range(5_000))}))  # 40 KB: over an eighth of the budget
    assert memo.get("huge") is None and memo.get("k29") is not None
