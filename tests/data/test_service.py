"""Cache keys: stable, type-aware, and tied to the data version."""

from __future__ import annotations

from data.engines.base import CompiledQuery
from data.service import query_key


def test_key_depends_on_parameter_types_and_data_version(demo_engine):
    as_int = query_key(demo_engine, CompiledQuery("q", "SELECT ?", (1,)))
    as_text = query_key(demo_engine, CompiledQuery("q", "SELECT ?", ("1",)))
    assert as_int != as_text
    assert as_int == query_key(demo_engine, CompiledQuery("q", "SELECT ?", (1,)))
    assert as_int.startswith("duckdb:q:") and as_int.endswith(":" + demo_engine.data_version())


def test_a_refresh_never_files_old_data_under_a_newer_version(tmp_path, demo_frame):
    """An ingest that lands while a refreshed query runs must not make the old result current."""
    import polars as pl

    from data.engines.duckdb_engine import DuckDBEngine
    from data.service import QueryRunner, bypass_cache
    from tests.conftest import build_store

    build_store(tmp_path, demo_frame.head(100), name="one")
    stored: dict[str, pl.DataFrame] = {}

    class Recorder:
        def get_or_compute(self, key, compute):  # type: ignore[no-untyped-def]
            return (stored[key], True) if key in stored else (compute(), False)

        def store(self, key: str, frame: pl.DataFrame) -> None:
            stored[key] = frame

    class IngestDuringQuery(DuckDBEngine):
        def execute(self, query):  # type: ignore[no-untyped-def]
            frame = super().execute(query)
            if not stored:  # the first (refresh) query: new data lands before it is stored
                build_store(tmp_path, demo_frame.head(100), mode="append", name="two")
            return frame

    engine = IngestDuringQuery(tmp_path)
    runner = QueryRunner(engine, Recorder())
    query = CompiledQuery("count", "SELECT COUNT(*) AS n FROM sales")
    with bypass_cache():
        assert runner.run_compiled(query)["n"][0] == 100
    assert runner.run_compiled(query)["n"][0] == 200  # the new version is not answered from the old result
    engine.close()
