"""The SQL compiler: golden SQL per dialect, bound parameters, whitelists."""

from __future__ import annotations

import datetime as dt

import pytest

from data.engines.base import TimeGrain
from data.engines.duckdb_dialect import DUCKDB_DIALECT
from data.errors import InvalidFilter
from data.filters import Filters
from data.sql import QuerySpec, compile_query


def test_values_are_bound_and_in_lists_expand_one_placeholder_each():
    spec = QuerySpec("t", Filters.create(start="2025-01-01", end="2025-01-31", branch=["A'B", "C"]),
                     dimensions=("branch",), aggregates=("revenue",))
    query = compile_query(spec, DUCKDB_DIALECT)
    assert query.sql == (
        "SELECT branch, COALESCE(SUM(revenue_e4), 0) AS revenue FROM sales "
        "WHERE sale_date >= ? AND sale_date <= ? AND branch IN (?, ?) GROUP BY branch ORDER BY branch ASC"
    )
    assert query.params == (dt.date(2025, 1, 1), dt.date(2025, 1, 31), "A'B", "C")
    assert "A'B" not in query.sql


def test_empty_selection_adds_no_condition():
    query = compile_query(QuerySpec("t", Filters.create(branch=[]), aggregates=("lines",)), DUCKDB_DIALECT)
    assert query.sql == "SELECT COUNT(*) AS lines FROM sales" and query.params == ()


@pytest.mark.parametrize(
    ("grain", "expected"),
    [
        (TimeGrain.DAY, "sale_date"),
        (TimeGrain.WEEK, "CAST(date_trunc('week', sale_date) AS DATE)"),
        (TimeGrain.MONTH, "CAST(date_trunc('month', sale_date) AS DATE)"),
        (TimeGrain.QUARTER, "CAST(date_trunc('quarter', sale_date) AS DATE)"),
        (TimeGrain.YEAR, "CAST(date_trunc('year', sale_date) AS DATE)"),
    ],
)
def test_time_buckets_come_from_the_dialect(grain, expected):
    """The bucket is grouped by its expression (Druid cannot GROUP BY an alias) and its alias is
    quoted ("period" is reserved in Druid's parser)."""
    query = compile_query(QuerySpec("t", grain=grain, aggregates=("lines",)), DUCKDB_DIALECT)
    assert query.sql == (f'SELECT {expected} AS "period", COUNT(*) AS lines FROM sales GROUP BY {expected} '
                         'ORDER BY "period" ASC')


def test_limit_and_offset_are_parameters():
    spec = QuerySpec("t", dimensions=("customer",), aggregates=("gross_profit",),
                     order_by=(("gross_profit", True),), limit=10, offset=20)
    query = compile_query(spec, DUCKDB_DIALECT)
    assert query.sql.endswith("ORDER BY gross_profit DESC, customer ASC LIMIT ? OFFSET ?")
    assert query.params == (10, 20)


@pytest.mark.parametrize(
    "spec",
    [
        QuerySpec("t", dimensions=("branch; DROP TABLE sales",)),
        QuerySpec("t", aggregates=("SUM(1)",)),
        QuerySpec("t", dimensions=("branch",), order_by=(("1; --", False),)),
        QuerySpec("t", limit=0),
    ],
)
def test_anything_off_the_whitelists_is_refused(spec):
    with pytest.raises(InvalidFilter):
        compile_query(spec, DUCKDB_DIALECT)


def test_aggregate_values_are_bound_before_the_where_values():
    spec = QuerySpec("t", Filters.create(branch=["Mombasa"]), aggregates=("customers",))
    query = compile_query(spec, DUCKDB_DIALECT)
    assert query.sql == (
        "SELECT COUNT(DISTINCT CASE WHEN customer NOT IN (?, ?, ?, ?, ?) THEN customer END) AS customers "
        "FROM sales WHERE branch IN (?)"
    )
    assert query.params == ("Cash Customer", "Cash Sale", "Unassigned", "Walk-in", "Walk-in Customer", "Mombasa")


def test_unknown_grain_raises_not_silently_falls_back():
    with pytest.raises(NotImplementedError):
        DUCKDB_DIALECT.bucket("fortnight", "sale_date")
