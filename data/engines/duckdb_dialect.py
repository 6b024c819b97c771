"""DuckDB's SQL spelling."""

from __future__ import annotations

from data.engines.base import Dialect, TimeGrain

DUCKDB_DIALECT = Dialect(
    name="duckdb",
    grain_templates={
        TimeGrain.DAY: "{col}",
        TimeGrain.WEEK: "CAST(date_trunc('week', {col}) AS DATE)",
        TimeGrain.MONTH: "CAST(date_trunc('month', {col}) AS DATE)",
        TimeGrain.QUARTER: "CAST(date_trunc('quarter', {col}) AS DATE)",
        TimeGrain.YEAR: "CAST(date_trunc('year', {col}) AS DATE)",
    },
    date_param="?",
    date_expr="{col}",
)
