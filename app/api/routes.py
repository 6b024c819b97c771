"""Figure routes: ``/api/kpis/*`` and ``/api/filters/options``.

Why so thin: every figure comes from ``data.queries``, the same functions the pages call, so the
API and the dashboard can never disagree on a number. This module only parses arguments, slices
pages and renames columns; ``response_cached`` serves a repeated request from the shared cache.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import polars as pl
from flask import Response, request

from app.api.args import ArgSpec, ParsedArgs, parse_args
from app.api.blueprint import api
from app.api.envelope import camel, csv_response, envelope, frame_records, json_response, jsonable
from app.cache_response import response_cached
from data import queries
from data.customers import account_profiles
from data.dimensions import FILTER_DIMENSIONS
from data.engines.base import TimeGrain
from data.filters import Filters
from data.metrics import METRICS

GRAINS: tuple[str, ...] = tuple(g.value for g in TimeGrain)
TREND_METRICS: tuple[str, ...] = tuple(camel(m.name) for m in METRICS.values() if m.public and m.per_period)
_METRIC_BY_CAMEL: dict[str, str] = {camel(m.name): m.name for m in METRICS.values()}

LIST_SPEC = ArgSpec(paging=True)
GRAIN_SPEC = ArgSpec(paging=True, choices={"grain": GRAINS}, defaults={"grain": "month"})
TREND_SPEC = ArgSpec(paging=True, choices={"grain": GRAINS, "metric": TREND_METRICS},
                     defaults={"grain": "month", "metric": "revenue"})
PRODUCT_SPEC = ArgSpec(paging=True, text=("search",))
SUMMARY_SPEC = ArgSpec(compare=True)
OPTIONS_SPEC = ArgSpec(filters=False)


def _args(spec: ArgSpec) -> ParsedArgs:
    return parse_args(request.args.to_dict(flat=False), spec)


def _rows_response(parsed: ParsedArgs, rows: list[dict[str, Any]], columns: Sequence[str], name: str,
                   total: int | None = None) -> Response:
    """One page of a list; ``X-Total-Count`` tells clients how many rows exist before paging.
    Pass ``total`` when ``rows`` is already the page (sliced before conversion, which is the
    expensive part for long lists such as customers)."""
    page = rows if total is not None else rows[parsed.offset: parsed.offset + parsed.limit]
    headers = {"X-Total-Count": str(total if total is not None else len(rows))}
    if parsed.fmt == "csv":
        return csv_response(page, columns, name, headers)
    return json_response(envelope(page, parsed.filters, len(page)), headers=headers)


def _frame_route(spec: ArgSpec, name: str, fetch: Callable[[Filters, ParsedArgs], pl.DataFrame]) -> Response:
    parsed = _args(spec)
    assert parsed.filters is not None
    frame = fetch(parsed.filters, parsed)
    columns = [camel(c) for c in frame.columns]
    page = frame.slice(parsed.offset, parsed.limit)
    return _rows_response(parsed, frame_records(page), columns, name, total=frame.height)


@api.get("/kpis/summary")
@response_cached
def kpi_summary() -> Response:
    """Headline metrics for the period with its comparison period (``compare``)."""
    parsed = _args(SUMMARY_SPEC)
    assert parsed.filters is not None
    data = jsonable(queries.kpis(parsed.filters))
    rows = [{"metric": name, **values} for name, values in data["metrics"].items()]
    if parsed.fmt == "csv":
        return csv_response(rows, ["metric", "value", "previous", "change", "changeUnit"], "summary")
    return json_response(envelope(data, parsed.filters, len(rows)))


@api.get("/kpis/trend")
@response_cached
def kpi_trend() -> Response:
    """One metric per period (``metric`` in camelCase, ``grain`` day..year), oldest first."""
    parsed = _args(TREND_SPEC)
    assert parsed.filters is not None
    metric, grain = str(parsed.values["metric"]), str(parsed.values["grain"])
    frame = queries.trend(parsed.filters, grain)
    rows = [{"period": r["period"], "metric": metric, "value": r["value"]}
            for r in frame_records(frame.select("period", pl.col(_METRIC_BY_CAMEL[metric]).alias("value")))]
    return _rows_response(parsed, rows, ["period", "metric", "value"], f"trend-{metric}-{grain}")


@api.get("/kpis/salespeople")
@response_cached
def kpi_salespeople() -> Response:
    return _frame_route(LIST_SPEC, "salespeople", lambda f, _: queries.breakdown(f, "salesperson"))


@api.get("/kpis/salespeople/product-mix")
@response_cached
def kpi_salespeople_mix() -> Response:
    return _frame_route(LIST_SPEC, "salespeople-product-mix",
                        lambda f, _: queries.matrix(f, "salesperson", "product_line"))


@api.get("/kpis/products")
@response_cached
def kpi_products() -> Response:
    return _frame_route(PRODUCT_SPEC, "products", lambda f, p: queries.breakdown(
        f, "item_name", search=p.values["search"], context=("item_group", "product_line")))


@api.get("/kpis/product-lines")
@response_cached
def kpi_product_lines() -> Response:
    return _frame_route(LIST_SPEC, "product-lines", lambda f, _: queries.breakdown(f, "product_line"))


@api.get("/kpis/branches")
@response_cached
def kpi_branches() -> Response:
    return _frame_route(LIST_SPEC, "branches", lambda f, _: queries.breakdown(f, "branch"))


@api.get("/kpis/branches/trend")
@response_cached
def kpi_branches_trend() -> Response:
    return _frame_route(GRAIN_SPEC, "branches-trend",
                        lambda f, p: queries.dimension_trend(f, "branch", str(p.values["grain"])))


@api.get("/kpis/customers")
@response_cached
def kpi_customers() -> Response:
    """Account customers (walk-in, cash and unassigned sales are not customers, as on every page)."""
    return _frame_route(LIST_SPEC, "customers", lambda f, _: account_profiles(f))


@api.get("/filters/options")
@response_cached
def filter_options() -> Response:
    """Values the filter arguments accept, read from the data."""
    parsed = _args(OPTIONS_SPEC)
    data = jsonable(queries.filter_options())
    rows: list[dict[str, Any]] = [
        {"filter": dim.arg, "value": value} for dim in FILTER_DIMENSIONS for value in data[dim.options_key]
    ]
    rows += [{"filter": key, "value": data[key]} for key in ("minDate", "maxDate")]
    if parsed.fmt == "csv":
        return csv_response(rows, ["filter", "value"], "filter-options")
    return json_response(envelope(data, None, len(rows)))
