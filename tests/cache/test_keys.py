"""Cache keys: identical in every process, different for different views and data versions."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from data.engines.duckdb_engine import DuckDBEngine
from data.filters import Filters
from data.service import query_key
from data.sql import QuerySpec, compile_query
from ingest.storage import commit_lines

FILTERS = [
    {},
    {"startDate": "2025-01-01", "endDate": "2025-03-31"},
    {"branch": ["Nairobi CBD", "Kisumu"], "productLine": "Tiles"},
]


def _keys(engine: DuckDBEngine, filters: list[dict]) -> list[str]:
    specs = [QuerySpec("summary", filters=Filters.from_args(a), aggregates=("revenue", "lines")) for a in filters]
    return [query_key(engine, compile_query(s, engine.dialect)) for s in specs]


def test_two_processes_with_different_hash_seeds_compute_identical_keys(store: Path, workers) -> None:
    engine = DuckDBEngine(store)
    try:
        mine = _keys(engine, FILTERS)
    finally:
        engine.close()
    theirs = [workers(store, {"MAUZO_CACHE": "none", "PYTHONHASHSEED": seed}).request("keys", filters=FILTERS)["keys"]
              for seed in ("1", "2")]
    assert theirs == [mine, mine]
    assert len(set(mine)) == len(mine)


def test_equivalent_filters_share_a_key_and_different_ones_do_not(store: Path) -> None:
    engine = DuckDBEngine(store)
    try:
        a, b, c = _keys(engine, [{"branch": ["Kisumu", "Nairobi CBD"]},
                                 {"branch": [" Nairobi CBD", "Kisumu", "Kisumu"]},
                                 {"branch": ["Kisumu"]}])
    finally:
        engine.close()
    assert a == b
    assert a != c


def test_every_ingest_changes_every_key(store: Path, extra_frame: pl.DataFrame) -> None:
    engine = DuckDBEngine(store)
    try:
        before = _keys(engine, FILTERS)
        commit_lines(extra_frame.head(10), data_dir=store, file_name="more", sha256="sha-more", mode="append")
        after = _keys(engine, FILTERS)
        commit_lines(extra_frame.head(0), data_dir=store, file_name="empty", sha256="sha-empty", mode="append")
        after_empty = _keys(engine, FILTERS)
    finally:
        engine.close()
    assert not set(before) & set(after)
    assert not set(after) & set(after_empty)
    assert [k.rsplit(":", 1)[0] for k in before] == [k.rsplit(":", 1)[0] for k in after]


def test_key_names_engine_query_and_version(store: Path) -> None:
    engine = DuckDBEngine(store)
    try:
        (key,) = _keys(engine, [{}])
        assert key.startswith("duckdb:summary:")
        assert key.endswith(":" + engine.data_version())
    finally:
        engine.close()
