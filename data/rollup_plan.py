"""Answer a query from the snapshot's rollups when (and only when) that gives the lines' answer.

``plan`` turns a ``QuerySpec`` into SQL over the smallest rollups that can answer it exactly, or
returns None, and the engine then runs the ordinary SQL over the lines. The rules (see
``data.rollups`` for what the tables hold):

* **Dates.** Month rollups answer whole months only: a date range must start on the first of a
  month and end on the last day of one, after clamping it to the data's own first and last sale
  (so "year to date" ending on the latest sale is whole months), and trends by month, quarter or
  year. The daily rollup answers any dates and any grain. Rollups without a time column answer
  views with no dates and no trend.
* **Columns.** Every column the query groups or filters by (filters, scope, conditions) must be in
  the rollup's grain.
* **Transactions** use the weights of the product level that matches the query: every product
  column it groups by, and every one it filters on, must be in the level, and a level column it
  does not group by must be filtered to a single value (else one invoice would count once per
  product line of the filter). Irregular transactions are counted from their lines and added.
* **Active days** (per customer) use the customer-day weights when the query groups by customer
  only and filters nothing but dates; otherwise they are counted over the daily rollup's days.

Different metrics may come from different rollups (sums from a small one, the distinct customer
count from one that keeps customers), or from the lines when no rollup can answer one (customers
per item over a date range); the parts are joined on the groups, and the result has the same
columns, order and types as the lines' query (the engine casts it to that schema).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from data.datasets import SALES
from data.engines.base import CompiledQuery, Dialect, TimeGrain
from data.filters import Filters
from data.rollups import (
    IRREGULAR_TABLE,
    LEVELS,
    LINE_LEVEL,
    ROLLUPS,
    TIME,
    TRANSACTIONS_SQL,
    Catalog,
    Form,
    Rollup,
    metric_form,
)
from data.scope import Scope
from data.sql import PERIOD, QuerySpec, order_clause, where_clause

MONTHLY_GRAINS = frozenset({TimeGrain.MONTH, TimeGrain.QUARTER, TimeGrain.YEAR})
IRREGULAR_SQL = "COUNT(DISTINCT branch || '|' || invoice_id)"
# The lines themselves, as the source of last resort for a metric no rollup can answer (the other
# metrics of the query still come from rollups).
LINES = Rollup(SALES.table, "day", tuple(SALES.dimensions))
# What joining one more part costs, in rows scanned (per-query overhead of a subquery and a join).
PART_COST = 200_000


@dataclass
class _Part:
    """One subquery: some metrics, from one relation."""

    relation: str
    outputs: list[tuple[str, str, list[object]]] = field(default_factory=list)  # (alias, expression, params)


def _month_end(day: dt.date) -> bool:
    return (day + dt.timedelta(days=1)).day == 1


def _effective_dates(spec: QuerySpec, catalog: Catalog) -> tuple[dt.date | None, dt.date | None]:
    """The date range with ends beyond the data dropped (they select the same lines)."""
    start, end = spec.filters.start, spec.filters.end
    if start is not None and catalog.first_sale is not None and start <= catalog.first_sale:
        start = None
    if end is not None and catalog.last_sale is not None and end >= catalog.last_sale:
        end = None
    return start, end


def _whole_months(start: dt.date | None, end: dt.date | None) -> bool:
    return (start is None or start.day == 1) and (end is None or _month_end(end))


def _restricted(spec: QuerySpec, scope: Scope) -> tuple[set[str], set[str]]:
    """Columns the query filters on (filters, conditions and scope rules on the dataset), and those
    filtered to a single value."""
    dataset = spec.dataset
    rules = [*spec.filters.selections, *spec.conditions,
             *((name, values) for name, values in scope.rules if name in dataset.dimensions)]
    columns = {dataset.dimension(name).name for name, _ in rules}
    single = {dataset.dimension(name).name for name, values in rules if len(values) == 1}
    return columns, single


def _transaction_level(grouped: set[str], filtered: set[str], single: set[str]) -> int | None:
    """The product level whose weights count this query's transactions exactly (None: none does)."""
    needed = (grouped | filtered) & LINE_LEVEL
    for index, columns in enumerate(LEVELS):
        if needed <= set(columns):
            extra = set(columns) - grouped
            return index if extra <= single else None
    return None


def _candidates(spec: QuerySpec, columns: set[str], dates: tuple[dt.date | None, dt.date | None],
                catalog: Catalog) -> list[Rollup]:
    """Rollups holding every column whose time grain can answer the dates and the trend grain,
    smallest first."""
    grain = TimeGrain(spec.grain) if spec.grain is not None else None

    def in_time(rollup: Rollup) -> bool:
        if rollup.time is None:
            return grain is None and dates == (None, None)
        if rollup.time == "month":
            return (grain is None or grain in MONTHLY_GRAINS) and _whole_months(*dates)
        return True  # daily

    fits = [r for r in ROLLUPS if columns <= set(r.dims) and in_time(r)]
    return sorted(fits, key=lambda r: (catalog.rows.get(r.table, 0), r.table))


def _serves(rollup: Rollup, form: Form, level: int | None, day_weights: bool) -> bool:
    if form.kind == "transactions":
        return level is not None and level in rollup.levels
    if form.kind == "distinct":
        return form.columns <= set(rollup.dims)
    if form.kind == "active_days":
        return rollup.customer_days and (day_weights or rollup.time == "day")
    return True  # partials are in every rollup


def _expression(name: str, form: Form, level: int | None, unit: int, metric_sql: str, params: list[object],
                day_weights: bool) -> tuple[str, list[object]]:
    if form.kind == "sum":
        return f"COALESCE(SUM(p_{name}), 0)", []
    if form.kind in ("min", "max"):
        return f"{form.kind.upper()}(p_{name})", []
    if form.kind == "transactions":
        return f"COALESCE(SUM(t{level}), 0)", []  # combined with the irregular count at the end
    if form.kind == "active_days" and day_weights:
        return f"(COALESCE(SUM(w_cd), 0) + {unit - 1}) // {unit}", []
    return metric_sql, params  # a distinct count over columns the rollup keeps (days: the daily rollup)


def _assign(needs: dict[str, Form], candidates: list[Rollup], rows: dict[str, int], level: int | None,
            day_weights: bool) -> dict[str, Rollup] | None:
    """Which relation computes each metric: the cheapest set of parts (each part costs a scan of its
    rows plus a fixed ``PART_COST`` for the join). ``LINES`` takes what no rollup can answer; None
    when the lines would compute everything (then the plain query is the better plan)."""
    smallest = {name: next((r for r in candidates if _serves(r, form, level, day_weights)), LINES)
                for name, form in needs.items()}
    if all(source is LINES for source in smallest.values()):
        return None
    split_cost = sum(PART_COST + rows[r.table] for r in {r.table: r for r in smallest.values()}.values())
    whole = next((r for r in candidates if all(_serves(r, f, level, day_weights) for f in needs.values())), None)
    if whole is not None and PART_COST + rows[whole.table] <= split_cost:
        return dict.fromkeys(needs, whole)
    return smallest


def plan(spec: QuerySpec, scope: Scope, catalog: Catalog, dialect: Dialect) -> CompiledQuery | None:
    """SQL over rollups giving exactly what ``compile_query(spec, ...)`` gives over the lines, or None."""
    if spec.dataset is not SALES or not spec.aggregates:
        return None
    dates = _effective_dates(spec, catalog)
    grouped = {spec.dataset.dimension(name).name for name in spec.dimensions}
    filtered, single = _restricted(spec, scope)
    candidates = _candidates(spec, grouped | filtered, dates, catalog)
    level = _transaction_level(grouped, filtered, single)
    # Customer-day weights count active days when nothing splits a customer's day (groups: the
    # customer; filters: dates only); otherwise days are counted over the daily rollup.
    day_weights = grouped == {"customer"} and not filtered - {"customer"}
    needs: dict[str, Form] = {}
    for name in spec.aggregates:
        metric = spec.dataset.metric(name)
        form = metric_form(metric)
        if form is None or (form.partial and not catalog.usable(metric)):
            return None
        if form.kind == "transactions" and metric.sql != TRANSACTIONS_SQL:
            return None
        needs[name] = form
    rows = {**catalog.rows, LINES.table: catalog.lines}
    sources = _assign(needs, candidates, rows, level, day_weights)
    if sources is None:
        return None

    parts: dict[str, _Part] = {}
    finals: list[tuple[str, str]] = []  # (output name, expression over the parts)
    needs_irregular = False
    for name, form in needs.items():
        metric = spec.dataset.metric(name)
        source = sources[name]
        text = metric.sql.format(time=TIME, params=", ".join("?" for _ in metric.params))  # type: ignore[union-attr]
        if source is LINES:  # the metric's own SQL over the lines (exact by definition)
            expression, params = text, list(metric.params)
        else:
            weights = day_weights and source.time != "day"
            expression, params = _expression(name, form, level, catalog.unit, text, list(metric.params), weights)
        part = parts.setdefault(source.table, _Part(source.table))
        alias = f"m_{name}"
        part.outputs.append((alias, expression, params))
        index = list(parts).index(source.table)
        if form.kind == "transactions" and source is not LINES:
            needs_irregular = catalog.irregular_lines > 0
            irregular = " + COALESCE(ir.n, 0)" if needs_irregular else ""
            finals.append((name, f"(p{index}.{alias} + {catalog.unit - 1}) // {catalog.unit}{irregular}"))
        else:
            finals.append((name, f"p{index}.{alias}"))

    keys = ([f'"{PERIOD}"'] if spec.grain else []) + [spec.dataset.dimension(d).name for d in spec.dimensions]
    bucket = dialect.bucket(spec.grain, TIME) if spec.grain else None
    rollup_filters = spec.filters.with_dates(*dates)
    subqueries: list[tuple[str, str]] = []  # (alias, SQL)
    params: list[object] = []
    by_table = {r.table: r for r in (*ROLLUPS, LINES)}
    for index, part in enumerate(parts.values()):
        # Monthly rollups need the clamped (whole-month) dates; daily ones and the lines the view's own.
        filters = rollup_filters if by_table[part.relation].time != "day" else spec.filters
        text, values = _subquery(part.relation, part.outputs, bucket, spec, filters, scope, dialect)
        subqueries.append((f"p{index}", text))
        params.extend(values)
    if needs_irregular:  # exact dates: these are lines
        text, values = _subquery(IRREGULAR_TABLE, [("n", IRREGULAR_SQL, [])], bucket, spec, spec.filters, scope,
                                 dialect)
        subqueries.append(("ir", text))
        params.extend(values)

    joined = f"({subqueries[0][1]}) AS p0"
    for alias, text in subqueries[1:]:
        on = " AND ".join(f"p0.{k} IS NOT DISTINCT FROM {alias}.{k}" for k in keys) or "TRUE"
        joined += f" LEFT JOIN ({text}) AS {alias} ON {on}"
    select = [f"p0.{k}" for k in keys] + [f"{expression} AS {name}" for name, expression in finals]
    tail, tail_params = order_clause(spec)
    sql = f"SELECT * FROM (SELECT {', '.join(select)} FROM {joined}) AS q{tail}"
    return CompiledQuery(name=f"{spec.name}@rollup", sql=sql, params=tuple(params + tail_params))


def _subquery(relation: str, outputs: list[tuple[str, str, list[object]]], bucket: str | None, spec: QuerySpec,
              filters: Filters, scope: Scope, dialect: Dialect) -> tuple[str, list[object]]:
    """``SELECT groups, outputs FROM relation WHERE filters GROUP BY groups``."""
    select: list[str] = []
    params: list[object] = []
    group: list[str] = []
    if bucket:
        select.append(f'{bucket} AS "{PERIOD}"')
        group.append(bucket)
    for name in spec.dimensions:
        column = spec.dataset.dimension(name).name
        select.append(column)
        group.append(column)
    for alias, expression, values in outputs:
        select.append(f"{expression} AS {alias}")
        params.extend(values)
    where, where_params = where_clause(filters, dialect, spec.dataset, scope, spec.conditions)
    sql = f"SELECT {', '.join(select)} FROM {relation}"
    if where:
        sql += " WHERE " + where
    if group:
        sql += " GROUP BY " + ", ".join(group)
    return sql, params + where_params
