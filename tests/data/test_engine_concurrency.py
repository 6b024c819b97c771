"""Queries keep working, from many threads, while ingests swap snapshots underneath them."""

from __future__ import annotations

import threading
import time

from data.engines.base import CompiledQuery
from data.engines.duckdb_engine import DuckDBEngine
from tests.conftest import build_store

COUNT = CompiledQuery("count", "SELECT COUNT(*) AS n, SUM(revenue_e4) AS r FROM sales")


def test_concurrent_queries_across_many_snapshot_swaps(tmp_path, demo_frame):
    chunk = demo_frame.head(500)
    build_store(tmp_path, chunk, name="base")
    engine = DuckDBEngine(tmp_path)
    errors: list[BaseException] = []
    seen: list[int] = []
    stop = threading.Event()

    def reader() -> None:
        last = 0
        while not stop.is_set():
            try:
                n = engine.execute(COUNT)["n"][0]
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
                return
            assert n % chunk.height == 0 and n >= last, "a query saw a half-written or older snapshot"
            last = n
            seen.append(n)

    threads = [threading.Thread(target=reader) for _ in range(6)]
    for thread in threads:
        thread.start()
    for i in range(12):
        build_store(tmp_path, chunk, mode="append", name=f"append-{i}")
        time.sleep(0.02)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    engine.close()
    assert errors == []
    assert max(seen) == 13 * chunk.height
    assert len(set(seen)) > 3, "readers should have seen several snapshots"


def test_an_engine_never_moves_back_to_an_older_snapshot(tmp_path, demo_frame):
    build_store(tmp_path, demo_frame.head(100), name="one")
    engine = DuckDBEngine(tmp_path)
    old_manifest = engine._current_manifest()
    build_store(tmp_path, demo_frame.head(100), mode="append", name="two")
    assert engine.execute(COUNT)["n"][0] == 200
    snapshot, cursor = engine._checkout(old_manifest)  # a thread that read the manifest just before
    try:
        assert snapshot.manifest.version == engine.data_version()
        assert cursor.sql("SELECT COUNT(*) FROM sales").fetchall()[0][0] == 200
    finally:
        engine._release(snapshot, cursor)
        engine.close()


def test_a_connection_in_use_is_not_closed_when_newer_snapshots_arrive(tmp_path, demo_frame):
    build_store(tmp_path, demo_frame.head(100), name="one")
    engine = DuckDBEngine(tmp_path)
    snapshot, cursor = engine._checkout(engine._current_manifest())  # a long query on snapshot 1
    try:
        for name in ("two", "three"):
            build_store(tmp_path, demo_frame.head(100), mode="append", name=name)
            assert engine.execute(COUNT)["n"][0] in (200, 300)  # retires, and would close, older ones
        assert cursor.sql("SELECT COUNT(*) FROM sales").fetchall()[0][0] == 100
    finally:
        engine._release(snapshot, cursor)
    assert engine._retired == []  # released and idle: now detached
    engine.close()
