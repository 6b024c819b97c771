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
