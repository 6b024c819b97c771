"""Apache Druid's SQL spelling, as data (the compiler never branches on engine names).

- Time lives in ``__time`` (a TIMESTAMP, UTC millis). Mauzo stores each sale at midnight UTC of
  its sale date, so a day is an instant and ``__time <= end`` includes the whole end day.
- Buckets use ``TIME_FLOOR`` with ISO-8601 periods. Without an origin Druid starts weeks on
  Monday (like DuckDB's ``date_trunc('week')``) and aligns ``P3M`` on January, April, July and
  October, so periods match the DuckDB engine's.
- Date filters bind a ``TIMESTAMP`` parameter (see ``druid_client.druid_parameter``); the CAST is
  a no-op that also keeps the type explicit where Calcite (Druid >= 28) cannot infer it.
- Every query runs with ``sqlTimeZone`` = UTC (set by the client), so the literal Druid builds
  from a parameter and every bucket boundary are UTC midnights.
"""

from __future__ import annotations

from data.engines.base import Dialect, TimeGrain

TIME_COLUMN = "__time"

DRUID_DIALECT = Dialect(
    name="druid",
    time_column=TIME_COLUMN,
    grain_templates={
        TimeGrain.DAY: "TIME_FLOOR({col}, 'P1D')",
        TimeGrain.WEEK: "TIME_FLOOR({col}, 'P1W')",
        TimeGrain.MONTH: "TIME_FLOOR({col}, 'P1M')",
        TimeGrain.QUARTER: "TIME_FLOOR({col}, 'P3M')",
        TimeGrain.YEAR: "TIME_FLOOR({col}, 'P1Y')",
    },
    date_param="CAST(? AS TIMESTAMP)",
    # Already a day: MIN/MAX/COUNT(DISTINCT) of it give first/last sale and active days.
    date_expr="{col}",
)

# Druid approximates by default in two places that change business figures:
# - COUNT(DISTINCT ...) uses HyperLogLog, and exact mode allows one distinct count per query
#   unless grouping sets are enabled;
# - GROUP BY one column + ORDER BY an aggregate + LIMIT becomes a TopN query, whose ranks and
#   values are approximate across segments.
# Mauzo's distinct counts (transactions, active customers, active days) and leaderboards must
# equal the DuckDB engine's to the cent, so queries are exact by default;
# ``DruidSettings.approximate`` trades that for speed on very large data.
EXACT_CONTEXT: dict[str, bool] = {
    "useApproximateCountDistinct": False,
    "useGroupingSetForExactDistinct": True,
    "useApproximateTopN": False,
}
APPROXIMATE_CONTEXT: dict[str, bool] = {
    "useApproximateCountDistinct": True,
    "useApproximateTopN": True,
}
