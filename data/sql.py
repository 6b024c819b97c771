"""Compile a ``QuerySpec`` into SQL text plus bound parameters for one dialect.

Rules enforced here, in one place:
- values are always bound parameters (``?``), never pasted into SQL text;
- column names come only from the dataset's declared dimensions and aggregates from its declared
  metrics (``data.datasets``);
- an IN list expands to one placeholder per value (Druid cannot bind a list);
- an empty selection means "no filter", not "no rows";
- the ``Scope`` in force is added to every query, on top of the filters, so no query can read
  outside it (a scope on a dimension the dataset lacks matches nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from data.datasets import SALES, Dataset
from data.engines.base import CompiledQuery, Dialect, TimeGrain
from data.errors import InvalidFilter
from data.filters import Filters
from data.metrics import CORE_AGGREGATES
from data.scope import UNRESTRICTED, Scope

PERIOD = "period"
MAX_LIMIT = 1_000_000


@dataclass(frozen=True)
class QuerySpec:
    """A grouped aggregate over one dataset: the unit every page and endpoint asks for."""

    name: str
    filters: Filters = field(default_factory=Filters)
    dimensions: tuple[str, ...] = ()
    aggregates: tuple[str, ...] = CORE_AGGREGATES  # additive metric names of the dataset
    grain: TimeGrain | None = None
    order_by: tuple[tuple[str, bool], ...] = ()  # (column, descending)
    limit: int | None = None
    offset: int = 0
    dataset: Dataset = SALES
    # Conditions the data layer itself adds (e.g. only open deals), on any dimension of the dataset,
    # bound like filter values: (dimension, allowed values).
    conditions: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def output_columns(self) -> list[str]:
        return ([PERIOD] if self.grain else []) + list(self.dimensions) + list(self.aggregates)


def _time(dataset: Dataset, dialect: Dialect) -> str:
    return dialect.time_column or dataset.time_column


def _aggregate_sql(name: str, dataset: Dataset, dialect: Dialect) -> tuple[str, list[object]]:
    """The aggregate's SQL and the values it binds (one placeholder each)."""
    metric = dataset.metric(name)
    if metric.sql is None:
        raise InvalidFilter(f"{name!r} is computed after aggregation", {"metric": f"{name!r} is not additive"})
    time = dialect.date_expr.format(col=_time(dataset, dialect))
    text = metric.sql.format(time=time, params=", ".join("?" for _ in metric.params))
    return text, list(metric.params)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join('?' for _ in values)})"


def where_clause(filters: Filters, dialect: Dialect, dataset: Dataset = SALES,
                 scope: Scope = UNRESTRICTED, conditions: tuple[tuple[str, tuple[str, ...]], ...] = ()
                 ) -> tuple[str, list[object]]:
    """The WHERE text and parameters for a view (empty text when unfiltered and unscoped)."""
    clauses: list[str] = []
    params: list[object] = []
    time = _time(dataset, dialect)
    if filters.start:
        clauses.append(f"{time} >= {dialect.date_param}")
        params.append(filters.start)
    if filters.end:
        clauses.append(f"{time} <= {dialect.date_param}")
        params.append(filters.end)
    for name, values in (*filters.selections, *conditions):
        dim = dataset.dimension(name)
        clauses.append(_in(dim.name, values) if values else "1 = 0")
        params.extend(values)
    for name, allowed in scope.rules:
        if name not in dataset.dimensions or not allowed:
            clauses.append("1 = 0")  # fail closed: nothing is visible
            continue
        clauses.append(_in(name, allowed))
        params.extend(allowed)
    return " AND ".join(clauses), params


def compile_query(spec: QuerySpec, dialect: Dialect, scope: Scope = UNRESTRICTED,
                  table: str | None = None) -> CompiledQuery:
    """Build the SQL for ``spec``. Raises ``InvalidFilter`` for anything off the declarations.
    ``table`` is the engine's name for the dataset's table (Druid's datasource), if different."""
    dataset = spec.dataset
    select: list[str] = []
    select_params: list[object] = []
    group: list[str] = []
    if spec.grain:
        # "period" is reserved in Druid's (Calcite's) parser, and Druid cannot GROUP BY a select
        # alias: quote the alias, group by the expression itself.
        bucket = dialect.bucket(spec.grain, _time(dataset, dialect))
        select.append(f'{bucket} AS "{PERIOD}"')
        group.append(bucket)
    for name in spec.dimensions:
        dim = dataset.dimension(name)
        select.append(dim.name)
        group.append(dim.name)
    for name in spec.aggregates:
        text, values = _aggregate_sql(name, dataset, dialect)
        select.append(f"{text} AS {name}")
        select_params.extend(values)

    where, where_params = where_clause(spec.filters, dialect, dataset, scope, spec.conditions)
    params = select_params + where_params  # placeholders bind in text order: SELECT, then WHERE

    sql = f"SELECT {', '.join(select)} FROM {table or dataset.table}"
    if where:
        sql += " WHERE " + where
    if group:
        sql += " GROUP BY " + ", ".join(group)

    tail, tail_params = order_clause(spec)
    return CompiledQuery(name=spec.name, sql=sql + tail, params=tuple(params + tail_params))


def order_clause(spec: QuerySpec) -> tuple[str, list[object]]:
    """`` ORDER BY ... LIMIT ? OFFSET ?`` over the output columns (also used by the rollup planner,
    ``data.rollup_plan``, so both paths order and page alike)."""
    sql = ""
    params: list[object] = []
    allowed = set(spec.output_columns())
    order_parts = []
    for column, descending in spec.order_by:
        if column not in allowed:
            raise InvalidFilter(f"cannot order by {column!r}", {"orderBy": f"must be one of {sorted(allowed)}"})
        name = f'"{PERIOD}"' if column == PERIOD else column
        order_parts.append(f"{name} {'DESC' if descending else 'ASC'}")
    # A deterministic tie-break so limits and pages are stable across runs and engines.
    ordered = {column for column, _ in spec.order_by}
    tie_break = ([f'"{PERIOD}"'] if spec.grain else []) + list(spec.dimensions)
    order_parts.extend(f"{c} ASC" for c in tie_break if c.strip('"') not in ordered)
    if order_parts:
        sql += " ORDER BY " + ", ".join(order_parts)
    if spec.limit is not None:
        if not 0 < spec.limit <= MAX_LIMIT or spec.offset < 0:
            raise InvalidFilter("limit out of range", {"limit": f"between 1 and {MAX_LIMIT}"})
        sql += " LIMIT ?"
        params.append(int(spec.limit))
        if spec.offset:
            sql += " OFFSET ?"
            params.append(int(spec.offset))
    return sql, params
