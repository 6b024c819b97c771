"""Compile a ``QuerySpec`` into SQL text plus bound parameters for one dialect.

Rules enforced here, in one place:
- values are always bound parameters (``?``), never pasted into SQL text;
- column names come only from the whitelist in ``data.schema`` and aggregates from ``data.metrics``;
- an IN list expands to one placeholder per value (Druid cannot bind a list);
- an empty selection means "no filter", not "no rows".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from data.engines.base import CompiledQuery, Dialect, TimeGrain
from data.errors import InvalidFilter
from data.filters import Filters
from data.metrics import AGGREGATE_PARAMS, AGGREGATES, CORE_AGGREGATES
from data.schema import SALES_TABLE, check_dimension

# Aggregates that depend on the engine's time column spelling.
TIME_AGGREGATES: dict[str, str] = {
    "first_sale": "MIN({time})",
    "last_sale": "MAX({time})",
    "active_days": "COUNT(DISTINCT {time})",
}

PERIOD = "period"


@dataclass(frozen=True)
class QuerySpec:
    """A grouped aggregate over the sales table: the unit every page and endpoint asks for."""

    name: str
    filters: Filters = field(default_factory=Filters)
    dimensions: tuple[str, ...] = ()
    aggregates: tuple[str, ...] = CORE_AGGREGATES
    grain: TimeGrain | None = None
    order_by: tuple[tuple[str, bool], ...] = ()  # (column, descending)
    limit: int | None = None
    offset: int = 0

    def output_columns(self) -> list[str]:
        cols = ([PERIOD] if self.grain else []) + list(self.dimensions) + list(self.aggregates)
        return cols


def _aggregate_sql(name: str, dialect: Dialect) -> tuple[str, list[object]]:
    """The aggregate's SQL and the values it binds (one placeholder each)."""
    if name in AGGREGATES:
        values = list(AGGREGATE_PARAMS.get(name, ()))
        return AGGREGATES[name].format(non_accounts=", ".join("?" for _ in values)), values
    if name in TIME_AGGREGATES:
        return TIME_AGGREGATES[name].format(time=dialect.date_expr.format(col=dialect.time_column)), []
    raise InvalidFilter(f"unknown aggregate {name!r}", {"metric": f"unknown metric {name!r}"})


def where_clause(filters: Filters, dialect: Dialect) -> tuple[str, list[object]]:
    """The WHERE text and parameters for a ``Filters`` value (empty text when unfiltered)."""
    conditions: list[str] = []
    params: list[object] = []
    if filters.start:
        conditions.append(f"{dialect.time_column} >= {dialect.date_param}")
        params.append(filters.start)
    if filters.end:
        conditions.append(f"{dialect.time_column} <= {dialect.date_param}")
        params.append(filters.end)
    for column, values in (
        ("branch", filters.branches),
        ("product_line", filters.product_lines),
        ("salesperson", filters.salespeople),
    ):
        if values:
            placeholders = ", ".join("?" for _ in values)
            conditions.append(f"{column} IN ({placeholders})")
            params.extend(values)
    return " AND ".join(conditions), params


def compile_query(spec: QuerySpec, dialect: Dialect) -> CompiledQuery:
    """Build the SQL for ``spec``. Raises ``InvalidFilter`` for anything off the whitelists."""
    select: list[str] = []
    select_params: list[object] = []
    group: list[str] = []
    if spec.grain:
        select.append(f"{dialect.bucket(spec.grain)} AS {PERIOD}")
        group.append(PERIOD)
    for dim in spec.dimensions:
        check_dimension(dim)
        select.append(dim)
        group.append(dim)
    for agg in spec.aggregates:
        text, values = _aggregate_sql(agg, dialect)
        select.append(f"{text} AS {agg}")
        select_params.extend(values)

    where, where_params = where_clause(spec.filters, dialect)
    params = select_params + where_params  # placeholders bind in text order: SELECT, then WHERE

    sql = f"SELECT {', '.join(select)} FROM {SALES_TABLE}"
    if where:
        sql += " WHERE " + where
    if group:
        sql += " GROUP BY " + ", ".join(group)

    allowed = set(spec.output_columns())
    order_parts = []
    for column, descending in spec.order_by:
        if column not in allowed:
            raise InvalidFilter(f"cannot order by {column!r}", {"orderBy": f"must be one of {sorted(allowed)}"})
        order_parts.append(f"{column} {'DESC' if descending else 'ASC'}")
    # A deterministic tie-break so limits and pages are stable across runs and engines.
    order_parts.extend(f"{c} ASC" for c in ([PERIOD] if spec.grain else []) + list(spec.dimensions)
                       if not any(c == o for o, _ in spec.order_by))
    if order_parts:
        sql += " ORDER BY " + ", ".join(order_parts)
    if spec.limit is not None:
        if not 0 < spec.limit <= 1_000_000 or spec.offset < 0:
            raise InvalidFilter("limit out of range", {"limit": "between 1 and 1000000"})
        sql += " LIMIT ?"
        params.append(int(spec.limit))
        if spec.offset:
            sql += " OFFSET ?"
            params.append(int(spec.offset))
    return CompiledQuery(name=spec.name, sql=sql, params=tuple(params))

