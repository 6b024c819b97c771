"""GraphQL types generated from the data layer's declarations.

Why generated: a metric or dimension is declared once (``data.metrics``, ``data.dimensions``) and
must appear in REST, OpenAPI and GraphQL at once. So the filter input has one field per filter
dimension, every row type one field per public metric, and the enums list the declared dimensions,
grains, comparison modes and trend metrics. Field names are the REST keys (camelCase), so a row
from ``app.api.envelope.frame_records`` fills a type directly and GraphQL shows the same key and
value REST does.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any, NewType

import strawberry

from app.api.envelope import camel
from data.datasets import SALES
from data.dimensions import DIMENSIONS, FILTER_DIMENSIONS
from data.engines.base import TimeGrain
from data.filters import COMPARE_MODES, MAX_DATE, MIN_DATE
from data.metrics import COUNT, DATE, KPI_METRICS, METRICS, Metric, public_metrics

# A calendar day. Values are written as REST writes them (``YYYY-MM-DD``); values sent in are
# passed on as text and checked by ``data.filters`` like REST arguments, so a bad date is an
# INVALID_ARGUMENT naming its argument rather than a bare coercion error.
DateText = NewType("DateText", str)
DATE_SCALAR = strawberry.scalar(
    name="Date",
    description=f"A calendar day, YYYY-MM-DD, between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}.",
    serialize=lambda value: value.isoformat() if hasattr(value, "isoformat") else str(value),
    parse_value=str,
)
SCALARS: dict[object, Any] = {DateText: DATE_SCALAR}

# Metrics meaningful per period: the figures of summary, trend and breakdown rows (as in OpenAPI).
ROW_METRICS: tuple[str, ...] = tuple(m.name for m in public_metrics() if m.per_period)
# The figures ``data.queries.matrix`` sums for the product mix (as OpenAPI's ProductMixCell).
MIX_METRICS: tuple[str, ...] = ("transactions", "lines", "revenue", "cost", "gross_profit", "margin_pct",
                                "avg_transaction_value", "avg_gp_per_sale")


def _enum(name: str, members: Mapping[str, str | tuple[str, str]], description: str) -> type[enum.Enum]:
    """A GraphQL enum whose Python values are the data layer's names (``gross_profit``, ``month``);
    a member given as (value, text) is described in the schema."""
    values = {key: strawberry.enum_value(v[0], description=v[1]) if isinstance(v, tuple) else v
              for key, v in members.items()}
    return strawberry.enum(enum.Enum(name, values), description=description)  # type: ignore[return-value]


def _upper(name: str) -> str:
    """``lastYear`` / ``gross_profit`` -> ``LAST_YEAR`` / ``GROSS_PROFIT`` (GraphQL enum style)."""
    return "".join(f"_{c}" if c.isupper() else c for c in name).upper()


DimensionEnum = _enum("Dimension", {d.upper(): (d, DIMENSIONS[d].description) for d in SALES.dimensions},
                      "A dimension rows can be grouped by.")
GrainEnum = _enum("Grain", {g.name: g.value for g in TimeGrain}, "Period length (weeks start on Monday).")
CompareEnum = _enum("Compare", {_upper(c): c for c in COMPARE_MODES},
                    "What previousPeriod is: PREVIOUS = the period of equal length just before; LAST_YEAR = "
                    "the same dates a year earlier; AUTO = LAST_YEAR for year/quarter/month-to-date ranges, "
                    "else PREVIOUS.")
TrendMetricEnum = _enum("TrendMetric", {m.upper(): (m, f"{METRICS[m].label}: {METRICS[m].description}")
                                         for m in ROW_METRICS}, "A metric meaningful per period.")
ChangeUnitEnum = _enum("ChangeUnit", {"PCT": ("pct", "Relative change in percent."),
                                      "PP": ("pp", "Difference in percentage points (ratio metrics).")},
                       "How a change is measured.")


def enum_value(enum_type: type[enum.Enum], rest_value: str | None) -> enum.Enum | None:
    """The enum member for a REST value (``lastYear`` -> ``Compare.LAST_YEAR``); None stays None."""
    return None if rest_value is None else enum_type(rest_value)


# -- building types ---------------------------------------------------------------------------
Field = tuple[Any, str]  # (Python type, description)


def object_type(name: str, fields: Mapping[str, Field], description: str, is_input: bool = False) -> type:
    """A strawberry type with these fields (attribute name = GraphQL name), all keyword arguments."""
    namespace: dict[str, Any] = {"__annotations__": {key: kind for key, (kind, _) in fields.items()}}
    for key, (kind, text) in fields.items():
        optional = is_input and _is_optional(kind)
        namespace[key] = strawberry.field(description=text, **({"default": None} if optional else {}))
    cls = types.new_class(name, (), {}, lambda ns: ns.update(namespace))
    return strawberry.type(cls, description=description, is_input=is_input)


def _is_optional(kind: Any) -> bool:
    return typing.get_origin(kind) in (typing.Union, types.UnionType) and type(None) in typing.get_args(kind)


def build(cls: type, record: Mapping[str, Any]) -> Any:
    """An instance of a generated type from a REST row (keys it does not declare are left out)."""
    names = cls.__annotations__
    return cls(**{key: record.get(key) for key in names})


def metric_type(metric: Metric, always_present: bool) -> Any:
    """Int for counts, Date for dates, Float otherwise; nullable unless the row always carries a value
    (an additive metric of a per-period row: sums and counts are never null, ratios may be)."""
    base: Any = {COUNT: int, DATE: DateText}.get(metric.kind, float)
    return base if always_present and metric.additive and metric.per_period else base | None


def metric_fields(names: Iterable[str], always_present: bool = True) -> dict[str, Field]:
    return {camel(n): (metric_type(METRICS[n], always_present), f"{METRICS[n].label}: {METRICS[n].description}")
            for n in names}


def dimension_fields(names: Iterable[str], nullable: bool = False) -> dict[str, Field]:
    return {DIMENSIONS[n].arg: (str | None if nullable else str, DIMENSIONS[n].description) for n in names}


SHARE: Field = (float | None, "Share of the column total over all rows, in percent.")
RANK_FIELDS: dict[str, Field] = {
    "revenueSharePct": SHARE, "grossProfitSharePct": SHARE, "transactionsSharePct": SHARE,
    "gpRank": (int, "Rank by gross profit (1 = most); ties rank by name."),
    "revenueRank": (int, "Rank by revenue (1 = most); ties rank by name."),
}


def page_type(name: str, row: type, description: str) -> type:
    """``{totalCount, rows}``: one page of a ranked list (REST's X-Total-Count and ``data``)."""
    return object_type(name, {
        "totalCount": (int, "Rows before limit/offset (REST: the X-Total-Count header)."),
        "rows": (list[row], "The rows of this page."),  # type: ignore[valid-type]
    }, description)


# -- the types ----------------------------------------------------------------------------------
FilterInput = object_type("FilterInput", {
    "startDate": (DateText | None, "First day included; open when left out."),
    "endDate": (DateText | None, "Last day included, not before startDate; open when left out."),
    **{d.arg: (list[str] | None, f"{d.description} Exact match (case and spelling); several values: any of "
                                 f"them; none: every {d.label.lower()}.") for d in FILTER_DIMENSIONS},
}, "The global filters, as in the dashboard's URL and the REST arguments (the same validation).", is_input=True)

Period = object_type("Period", {"start": (DateText | None, "First day."), "end": (DateText | None, "Last day.")},
                     "An inclusive date range; an end is null when the view leaves it open.")
MetricValue = object_type("MetricValue", {
    "value": (float | None, "The figure for the period."),
    "previous": (float | None, "The figure for the comparison period (null: no earlier data)."),
    "change": (float | None, "Change against the comparison period (see changeUnit)."),
    "changeUnit": (ChangeUnitEnum, "PCT or PP."),
}, "A headline figure with its comparison.")
KpiMetrics = object_type("KpiMetrics", {camel(n): (MetricValue, METRICS[n].description) for n in KPI_METRICS},
                         "The headline metrics (KPI cards).")
Summary = object_type("Summary", {
    "period": (Period, "The period the figures cover (open ends closed with the data's own dates)."),
    "previousPeriod": (Period, "The comparison period."),
    "comparison": (CompareEnum | None, "PREVIOUS or LAST_YEAR; null when there is no earlier period."),
    "metrics": (KpiMetrics, "The headline metrics."),
    "lines": (int, "Sales lines in the period."),
}, "Headline metrics with their comparison period (REST /api/kpis/summary).")

TrendPoint = object_type("TrendPoint", {
    "period": (DateText, "First day of the period."),
    "metric": (TrendMetricEnum, "The metric in value."),
    "value": (float | None, "The chosen metric (REST /api/kpis/trend)."),
    **metric_fields(ROW_METRICS),
}, "Every metric for one period, oldest first.")
BreakdownRow = object_type("BreakdownRow", {
    "value": (str, "The value of the dimension grouped by."),
    **dimension_fields(SALES.dimensions, nullable=True),
    **metric_fields(ROW_METRICS),
    **RANK_FIELDS,
}, "One value of a dimension with every metric, its shares and ranks. The field named like the dimension "
   "holds the value too; items also carry their itemGroup and productLine.")
MixCell = object_type("MixCell", {
    **dimension_fields(("salesperson", "product_line")),
    **metric_fields(MIX_METRICS),
    "rowGpSharePct": (float | None, "Share of the salesperson's gross profit."),
    "rowRevenueSharePct": (float | None, "Share of the salesperson's revenue."),
}, "One salesperson x product line cell (REST /api/kpis/salespeople/product-mix).")
BranchTrendRow = object_type("BranchTrendRow", {
    "period": (DateText, "First day of the period."),
    **dimension_fields(("branch",)),
    **metric_fields(ROW_METRICS),
}, "Every metric per period and branch (REST /api/kpis/branches/trend).")
CustomerRow = object_type("CustomerRow", {
    **dimension_fields(("customer",)),
    **metric_fields(ROW_METRICS),
    **metric_fields((m.name for m in public_metrics() if not m.per_period), always_present=False),
    "recencyDays": (int | None, "Days from the last sale to the end of the period."),
    "gpRank": (int, "Rank by gross profit (1 = most)."),
    "revenueSharePct": (float | None, "Share of account customers' revenue, in percent."),
    "grossProfitSharePct": (float | None, "Share of account customers' gross profit, in percent."),
}, "An account customer (walk-in, cash and unassigned sales are not customers), REST /api/kpis/customers.")
FilterOptions = object_type("FilterOptions", {
    **{d.options_key: (list[str], f"Values {d.arg} accepts.") for d in FILTER_DIMENSIONS},
    "minDate": (DateText | None, "First day in the data."),
    "maxDate": (DateText | None, "Last day in the data."),
}, "The values the filters accept, read from the data under the caller's scope.")

TrendPage = page_type("TrendPage", TrendPoint, "Trend points, oldest first.")
BreakdownPage = page_type("BreakdownPage", BreakdownRow, "Rows ranked by gross profit.")
MixPage = page_type("MixPage", MixCell, "Cells ordered by salesperson, then product line.")
BranchTrendPage = page_type("BranchTrendPage", BranchTrendRow, "Rows ordered by period, then branch.")
CustomerPage = page_type("CustomerPage", CustomerRow, "Account customers ranked by gross profit.")
