"""Named business queries: each takes a ``Filters`` and returns a Polars frame (or a small dict).

These are the only entry points pages and the REST API use. Sums come from SQL; every derived
figure comes from ``data.metrics.derive`` so a number means the same thing everywhere.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from data.datasets import DATASETS, SALES, Dataset
from data.dimensions import FILTER_DIMENSIONS
from data.engines.base import TimeGrain
from data.errors import InvalidFilter
from data.filters import Filters, describe_period
from data.metrics import CORE_AGGREGATES, KPI_METRICS, METRICS, add_shares, change_pct, derive
from data.service import get_runner
from data.sql import PERIOD, QuerySpec

__all__ = ["KPI_METRICS", "breakdown", "customer_profiles", "date_bounds", "dimension_trend", "filter_options",
           "kpis", "matrix", "period_label", "previous_period", "resolve_period", "summary", "trend"]


def _run(spec: QuerySpec) -> pl.DataFrame:
    return get_runner().run(spec)


def _grain(value: str | TimeGrain) -> TimeGrain:
    try:
        return TimeGrain(value)
    except ValueError:
        raise InvalidFilter(
            f"unknown grain {value!r}", {"grain": f"must be one of {[g.value for g in TimeGrain]}"}
        ) from None


# -- periods -------------------------------------------------------------------------------
def date_bounds(filters: Filters | None = None, dataset: Dataset = SALES) -> tuple[dt.date | None, dt.date | None]:
    """First and last date under the filters' selections (ignoring their dates).

    Every section of a view asks for its period, so this small query is answered from the
    runner's in-process memo after the first time (keyed by the compiled query and the data
    version, so an ingest is seen at once)."""
    base = (filters or Filters()).with_dates(None, None)
    frame = get_runner().run_memo(QuerySpec("date_bounds", filters=base, dataset=dataset,
                                            aggregates=("first_sale", "last_sale", "lines")))
    if frame.is_empty() or frame["lines"][0] in (None, 0):
        return None, None
    return frame["first_sale"][0], frame["last_sale"][0]


def resolve_period(filters: Filters) -> tuple[dt.date | None, dt.date | None]:
    """The concrete period a view covers: open ends are closed with the data's own bounds, and a
    range reaching past the data is clipped to it (so a year ending in the future is compared
    with a previous period of the same effective length, not a whole year before). A range that
    holds no data at all is kept as asked, never turned around."""
    first, last = date_bounds(filters)
    if first is None or last is None:
        return filters.start, filters.end
    start = max(filters.start, first) if filters.start else first
    end = min(filters.end, last) if filters.end else last
    if end < start:  # the requested range lies outside the data
        return filters.start, filters.end
    return start, end


def period_label(filters: Filters) -> str:
    """The period a view really covers, in words, for chart titles and subtitles."""
    return describe_period(*resolve_period(filters))


def _year_earlier(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _is_to_date(start: dt.date | None, end: dt.date | None) -> bool:
    """A year-, quarter- or month-to-date range (or a whole calendar one): it starts on the first
    day of a year, quarter or month and ends within that same year, quarter or month."""
    if start is None or end is None or start.day != 1:
        return False
    if start.month == 1 and end.year == start.year:
        return True
    if start.month in (1, 4, 7, 10) and end.year == start.year and (end.month - 1) // 3 == (start.month - 1) // 3:
        return True
    return (end.year, end.month) == (start.year, start.month)


def comparison_mode(filters: Filters) -> str:
    """``previous`` or ``lastYear``: what ``auto`` means for this view (see ``COMPARE_MODES``)."""
    if filters.compare != "auto":
        return filters.compare
    return "lastYear" if _is_to_date(filters.start, filters.end) else "previous"


def previous_period(filters: Filters) -> Filters | None:
    """The same selections over the comparison period: the same dates a year earlier, or the
    period of equal length that ends the day before (see ``comparison_mode``). None when the view
    has no concrete period or the comparison would fall before year 1."""
    start, end = resolve_period(filters)
    if start is None or end is None or end < start:
        return None
    try:
        if comparison_mode(filters) == "lastYear":
            return filters.with_dates(_year_earlier(start), _year_earlier(end))
        length = (end - start).days + 1
        prev_end = start - dt.timedelta(days=1)
        return filters.with_dates(prev_end - dt.timedelta(days=length - 1), prev_end)
    except (OverflowError, ValueError):  # a period reaching back before year 1 has no previous period
        return None


def comparison_label(filters: Filters) -> str:
    """How the view is compared, in words ("vs same period last year: 1 Jan 2025 to 29 Nov 2025")."""
    previous = previous_period(filters)
    first, _ = date_bounds(filters)
    if previous is None or first is None or (previous.end is not None and previous.end < first):
        return "no earlier period in the data to compare"
    what = "same period last year" if comparison_mode(filters) == "lastYear" else "previous period of equal length"
    return f"vs {what} ({describe_period(previous.start, previous.end)})"


# -- figures -------------------------------------------------------------------------------
def summary(filters: Filters) -> pl.DataFrame:
    """One row with every metric for the view."""
    return derive(_run(QuerySpec("summary", filters=filters, aggregates=CORE_AGGREGATES)))


def _row_dict(frame: pl.DataFrame) -> dict[str, Any]:
    return frame.row(0, named=True) if frame.height else {}


def kpis(filters: Filters) -> dict[str, Any]:
    """Headline metrics with the comparison period (``previous_period``) and the change in
    percent (percentage points for ratio metrics)."""
    start, end = resolve_period(filters)
    current = _row_dict(summary(filters.with_dates(start, end)))
    previous_filters = previous_period(filters)
    previous = _row_dict(summary(previous_filters)) if previous_filters else {}
    if not previous.get("lines"):
        previous = {}  # no sales before: every comparison is "no earlier data", not 0
    metrics: dict[str, Any] = {}
    for name in KPI_METRICS:
        value, before = current.get(name), previous.get(name)
        is_pct = METRICS[name].kind == "pct"
        if is_pct:
            change = None if value is None or before is None else value - before
        else:
            change = change_pct(value, before)
        metrics[name] = {
            "value": value,
            "previous": before,
            "change": change,
            "changeUnit": "pp" if is_pct else "pct",
        }
    return {
        "period": {"start": start, "end": end},
        "previousPeriod": {
            "start": previous_filters.start if previous_filters else None,
            "end": previous_filters.end if previous_filters else None,
        },
        "comparison": comparison_mode(filters) if previous_filters else None,
        "metrics": metrics,
        "lines": current.get("lines") or 0,
    }


def trend(filters: Filters, grain: str | TimeGrain = TimeGrain.MONTH) -> pl.DataFrame:
    """Every metric per period, oldest first."""
    frame = _run(QuerySpec("trend", filters=filters, grain=_grain(grain), aggregates=CORE_AGGREGATES))
    return derive(frame).sort(PERIOD)


def breakdown(
    filters: Filters, dimension: str, search: str | None = None, context: tuple[str, ...] = ()
) -> pl.DataFrame:
    """Every metric per value of ``dimension``, ranked by gross profit, with revenue rank, GP rank
    and each row's share of revenue, GP and transactions. ``context`` adds dimensions that
    describe each value (e.g. an item's product line); all groups are returned, callers slice."""
    SALES.dimension(dimension)
    dims = (dimension, *(SALES.dimension(c).name for c in context if c != dimension))
    frame = derive(
        _run(QuerySpec(f"breakdown.{'.'.join(dims)}", filters=filters, dimensions=dims,
                       aggregates=CORE_AGGREGATES))
    )
    if frame.is_empty():
        return frame
    frame = add_shares(frame, ("revenue", "gross_profit", "transactions"))
    # Ties rank by name, so ranks (and pages of a long list) are the same on every request.
    frame = frame.sort(dimension).with_columns(
        pl.col("gross_profit").rank("ordinal", descending=True).cast(pl.Int64).alias("gp_rank"),
        pl.col("revenue").rank("ordinal", descending=True).cast(pl.Int64).alias("revenue_rank"),
    ).sort("gp_rank")
    text = (search or "").strip().lower()
    if text:  # after ranking: a search shows where matches stand among all, it never renumbers
        frame = frame.filter(pl.col(dimension).str.to_lowercase().str.contains(text, literal=True))
    return frame


def matrix(filters: Filters, rows: str, columns: str) -> pl.DataFrame:
    """Long frame of (rows, columns) cells with metrics, plus each cell's share of its row's GP
    and revenue (``row_gp_share_pct``, ``row_revenue_share_pct``)."""
    SALES.dimension(rows)
    SALES.dimension(columns)
    if rows == columns:
        raise InvalidFilter("rows and columns must differ", {"columns": "pick another dimension"})
    frame = derive(
        _run(QuerySpec(f"matrix.{rows}.{columns}", filters=filters, dimensions=(rows, columns),
                       aggregates=("revenue", "cost", "gross_profit", "transactions", "lines")))
    )
    if frame.is_empty():
        return frame
    row_gp = pl.col("gross_profit").sum().over(rows)
    row_rev = pl.col("revenue").sum().over(rows)
    return frame.with_columns(
        pl.when(row_gp != 0).then(pl.col("gross_profit") / row_gp * 100.0).alias("row_gp_share_pct"),
        pl.when(row_rev != 0).then(pl.col("revenue") / row_rev * 100.0).alias("row_revenue_share_pct"),
    ).sort([rows, columns])


def dimension_trend(filters: Filters, dimension: str, grain: str | TimeGrain = TimeGrain.MONTH) -> pl.DataFrame:
    """Metrics per period and per value of ``dimension`` (e.g. each branch's monthly GP)."""
    SALES.dimension(dimension)
    frame = _run(QuerySpec(f"trend.{dimension}", filters=filters, dimensions=(dimension,),
                           grain=_grain(grain), aggregates=CORE_AGGREGATES))
    return derive(frame).sort([PERIOD, dimension])


def customer_profiles(filters: Filters, keep_raw: bool = False) -> pl.DataFrame:
    """One row per customer: value, margin, frequency and recency (days before the period end).
    ``keep_raw`` adds fixed-point money columns (``<metric>_raw``) for exact re-aggregation."""
    frame = _run(QuerySpec("customers.profiles", filters=filters, dimensions=("customer",),
                           aggregates=(*CORE_AGGREGATES, "first_sale", "last_sale", "active_days")))
    frame = derive(frame, keep_raw=keep_raw)
    if frame.is_empty():
        return frame
    _, end = resolve_period(filters)
    reference = end or frame["last_sale"].max()
    return frame.with_columns(
        (pl.lit(reference, dtype=pl.Date) - pl.col("last_sale")).dt.total_days().cast(pl.Int64).alias("recency_days")
    ).sort(["gross_profit", "customer"], descending=[True, False])


def filter_options() -> dict[str, Any]:
    """Choices for every global filter (under the scope in force): the values of every dataset that
    has the dimension (a CRM may name regions the sales lines do not), plus the sales date range."""
    options: dict[str, Any] = {}
    runner = get_runner()
    for dim in FILTER_DIMENSIONS:
        values: set[str] = set()
        for dataset in DATASETS.values():
            if dim.name not in dataset.dimensions:
                continue
            count = next(name for name, m in dataset.metrics.items() if m.sql == "COUNT(*)")
            prefix = "options" if dataset is SALES else f"options.{dataset.name}"
            frame = runner.run_memo(QuerySpec(f"{prefix}.{dim.name}", dimensions=(dim.name,), aggregates=(count,),
                                              dataset=dataset))
            values.update(v for v in frame[dim.name].to_list() if v is not None)
        options[dim.options_key] = sorted(values)
    first, last = date_bounds()
    options["minDate"], options["maxDate"] = first, last
    return options
