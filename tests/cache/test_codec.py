"""Cached values are Arrow IPC bytes that come back with the same dtypes and values."""

from __future__ import annotations

import datetime as dt
import decimal
import pickle
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from app.cache_codec import MAGIC, CodecError, decode, encode
from data import queries
from data.engines.duckdb_engine import DuckDBEngine
from data.filters import Filters


def test_round_trip_keeps_dtypes_values_and_nulls() -> None:
    frame = pl.DataFrame(
        {
            "day": [dt.date(2025, 1, 1), None, dt.date(2024, 2, 29)],
            "count": pl.Series([1, None, -(2**62)], dtype=pl.Int64),
            "share": [0.5, None, float("nan")],
            "name": ["Nairobi", None, "Mombasa — Nyali"],
            "cents": pl.Series([decimal.Decimal("12345678901234567890"), None, decimal.Decimal(0)],
                               dtype=pl.Decimal(38, 0)),
            "flag": [True, None, False],
        }
    )
    back = decode(encode(frame))
    assert back.schema == frame.schema
    assert_frame_equal(back, frame)


def test_empty_frame_keeps_its_schema() -> None:
    frame = pl.DataFrame(schema={"day": pl.Date, "n": pl.Int64, "name": pl.String})
    back = decode(encode(frame))
    assert back.schema == frame.schema
    assert back.height == 0


def test_real_query_results_round_trip(demo_store: Path) -> None:
    from data import service

    previous = service.get_runner()
    engine = DuckDBEngine(demo_store)
    service.configure(engine)
    try:
        frames = [queries.customer_profiles(Filters()), queries.trend(Filters(), "month"),
                  queries.matrix(Filters(), "branch", "product_line")]
    finally:
        service.configure(previous.engine, previous.cache)
        engine.close()
    for frame in frames:
        payload = encode(frame)
        assert payload.startswith(MAGIC)
        assert_frame_equal(decode(payload), frame)
    # Compact: the biggest result (one row per customer) is smaller than the pickled frame.
    assert len(encode(frames[0])) < 0.8 * len(pickle.dumps(frames[0]))


@pytest.mark.parametrize("payload", [b"", b"not a frame", MAGIC + b"truncated", pickle.dumps([1, 2]), "text"])
def test_foreign_or_corrupt_bytes_are_rejected(payload: object) -> None:
    with pytest.raises(CodecError):
        decode(payload)  # type: ignore[arg-type]


def test_truncated_value_is_rejected() -> None:
    payload = encode(pl.DataFrame({"a": list(range(1000))}))
    with pytest.raises(CodecError):
        decode(payload[: len(payload) // 2])
