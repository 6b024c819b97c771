"""The data layer's real query functions on the Druid engine, end to end over HTTP.

``FakeDruid`` answers each query by running the same named query on the DuckDB demo store with the
parameter values the client sent (decoded from their Druid types), and returns the rows the way
Druid does (``arrayLines``, typed header). So these tests check the Druid path's plumbing: compiled
queries, typed parameters that decode to the right values, typed frames and everything derived
from them, against the DuckDB path on the same data. They do not check Druid's SQL semantics
(the live suite does).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from data import customers, queries, salespeople, service
from data.context import request_id_var
from data.datasets import SALES
from data.engines.base import CompiledQuery, TimeGrain
from data.engines.druid_client import DruidSettings
from data.engines.druid_dialect import DRUID_DIALECT
from data.engines.druid_dialect import TIME_COLUMN as TIME
from data.engines.druid_engine import DruidEngine
from data.engines.duckdb_dialect import DUCKDB_DIALECT
from data.engines.duckdb_engine import DuckDBEngine
from tests.druid.fake_druid import FakeDruid, Reply, array_lines, sql_reply
from tests.druid.test_golden_sql import DRUID, VIEW


def _decode(parameter: dict[str, Any]) -> Any:
    value = parameter["value"]
    if parameter["type"] == "TIMESTAMP":
        assert value.endswith("T00:00:00.000Z"), value  # dates bind as midnight UTC
        return dt.date.fromisoformat(value[:10])
    return value


def _wire(dtype: pl.DataType) -> tuple[str, str]:
    if dtype.is_integer() or isinstance(dtype, pl.Decimal):
        return "LONG", "BIGINT"
    if dtype.is_float():
        return "DOUBLE", "DOUBLE"
    if dtype == pl.Date:
        return "LONG", "TIMESTAMP"
    return "STRING", "VARCHAR"


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00.000Z"
    if isinstance(value, Decimal):
        assert value == value.to_integral_value()
        return int(value)
    return value


def to_duckdb(sql: str) -> str:
    """The same query in DuckDB's spelling, undoing exactly what the two dialects declare."""
    for grain in TimeGrain:
        sql = sql.replace(DRUID_DIALECT.bucket(grain, TIME), DUCKDB_DIALECT.bucket(grain, SALES.time_column))
    sql = sql.replace(DRUID_DIALECT.date_param, DUCKDB_DIALECT.date_param)
    sql = sql.replace(f"FROM {DRUID.table_name(SALES.table)}", f"FROM {SALES.table}")
    return sql.replace(TIME, SALES.time_column)


class DuckDBBackedDruid:
    """Answers the Druid SQL Mauzo sends by running it, respelled, on a DuckDB engine with the
    parameter values decoded from what the client sent."""

    def __init__(self, duckdb: DuckDBEngine) -> None:
        self.duckdb = duckdb

    def __call__(self, body: dict[str, Any]) -> Reply:
        if "FROM sys.segments" in body["query"]:
            return sql_reply([("used", "LONG", "BIGINT"), ("available", "LONG", "BIGINT"),
                              ("newest", "STRING", "VARCHAR")], [[1, 1, "v1"]])
        values = tuple(_decode(p) for p in body["parameters"])
        frame = self.duckdb.execute(CompiledQuery("fake", to_duckdb(body["query"]), values))
        types = [_wire(t) for t in frame.dtypes]
        rows = [[_json_value(v) for v in row] for row in frame.iter_rows()]
        return Reply(body=array_lines(frame.columns, [t[0] for t in types], [t[1] for t in types], rows),
                     content_type="text/plain")


@pytest.fixture(scope="module")
def duckdb(demo_store: Path) -> Iterator[DuckDBEngine]:
    engine = DuckDBEngine(demo_store)
    yield engine
    engine.close()


@pytest.fixture
def both(druid: FakeDruid, duckdb: DuckDBEngine, monkeypatch: pytest.MonkeyPatch):
    """``run(fn)`` -> (fn on DuckDB, fn on Druid via FakeDruid)."""
    druid.sql = DuckDBBackedDruid(duckdb)
    druid_engine = DruidEngine(DruidSettings(url=druid.url, timeout_s=5.0))

    def run(fn):  # type: ignore[no-untyped-def]
        monkeypatch.setattr(service, "_default", service.QueryRunner(duckdb))
        expected = fn()
        monkeypatch.setattr(service, "_default", service.QueryRunner(druid_engine))
        return expected, fn()

    return run


def test_salespeople_leaderboard_with_two_branches(both, druid: FakeDruid) -> None:  # type: ignore[no-untyped-def]
    token = request_id_var.set("req-leaderboard")
    try:
        expected, actual = both(lambda: salespeople.leaderboard(VIEW))
    finally:
        request_id_var.reset(token)
    assert not expected.is_empty()
    assert_frame_equal(actual, expected, check_dtypes=False)

    (body,) = [q for q in druid.queries() if "GROUP BY salesperson" in q["query"]]
    assert body["parameters"] == [
        *({"type": "VARCHAR", "value": name}
          for name in ("Cash Customer", "Cash Sale", "Unassigned", "Walk-in", "Walk-in Customer")),
        {"type": "TIMESTAMP", "value": "2025-01-01T00:00:00.000Z"},
        {"type": "TIMESTAMP", "value": "2025-06-30T00:00:00.000Z"},
        {"type": "VARCHAR", "value": "Kisumu"},
        {"type": "VARCHAR", "value": "Mombasa"},
    ]
    assert body["context"]["sqlQueryId"].startswith("req-leaderboard:breakdown.salesperson:")
    assert "Kisumu" not in body["query"] and "Walk-in" not in body["query"]
    print(json.dumps(body, indent=2))  # the body quoted in docs and reports (pytest -s shows it)


@pytest.mark.parametrize("entry", [
    pytest.param(lambda: queries.summary(VIEW), id="summary"),
    pytest.param(lambda: queries.breakdown(VIEW, "product_line"), id="breakdown"),
    pytest.param(lambda: queries.trend(VIEW, "week"), id="trend"),
    pytest.param(lambda: queries.dimension_trend(VIEW, "branch", "quarter"), id="branch-trend"),
    pytest.param(lambda: queries.matrix(VIEW, "salesperson", "product_line"), id="matrix"),
    pytest.param(lambda: customers.account_profiles(VIEW), id="customer-profiles"),
])
def test_figures_on_the_druid_path_equal_duckdbs(both, entry) -> None:  # type: ignore[no-untyped-def]
    expected, actual = both(entry)
    assert not expected.is_empty()
    assert_frame_equal(actual, expected, check_dtypes=False)


def test_kpis_and_filter_options_equal_duckdbs(both) -> None:  # type: ignore[no-untyped-def]
    expected, actual = both(lambda: (queries.kpis(VIEW), queries.filter_options()))
    assert actual == expected
