"""The GraphQL schema: one root field per REST figure route, answered by the same calls.

Why so thin, like ``app.api.routes``: arguments are turned into REST's shape and checked by
``app.api.args.parse_args`` with the REST route's own ``ArgSpec`` (so a bad value is refused with
REST's words, naming the argument), figures come from the same ``data.queries`` functions, and
rows are converted by the same ``frame_records``. GraphQL only lets a client ask for several of
them, and for the fields it needs, in one round trip.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

import polars as pl
import strawberry
from flask import g, has_app_context
from graphql.validation import MaxIntrospectionDepthRule
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from app.api.args import DEFAULT_LIMIT, FILTER_ARGS, ArgSpec, ParsedArgs, parse_args
from app.api.envelope import camel, frame_records, jsonable
from app.api.graphql.declared import (
    SCALARS,
    BranchTrendPage,
    BranchTrendRow,
    BreakdownPage,
    BreakdownRow,
    ChangeUnitEnum,
    CompareEnum,
    CustomerPage,
    CustomerRow,
    DimensionEnum,
    FilterInput,
    FilterOptions,
    GrainEnum,
    KpiMetrics,
    MetricValue,
    MixCell,
    MixPage,
    Period,
    Summary,
    TrendMetricEnum,
    TrendPage,
    TrendPoint,
    build,
    enum_value,
)
from app.api.routes import GRAIN_SPEC, LIST_SPEC, OPTIONS_SPEC, PRODUCT_SPEC, SUMMARY_SPEC, TREND_SPEC
from app.config import Settings
from data import queries
from data.customers import account_profiles
from data.dimensions import DIMENSIONS

# What a breakdown row carries besides its own dimension (as REST /api/kpis/products for items).
BREAKDOWN_CONTEXT: dict[str, tuple[str, ...]] = {"item_name": ("item_group", "product_line")}

FILTERS_HELP = "The global filters (the same for every field of a page: pass one $filters variable)."
LIMIT_HELP = "Rows per page, 1 to 10000."
OFFSET_HELP = "Rows to skip, 0 to 1000000."


def rest_args(filters: Any, **extra: object) -> dict[str, list[str]]:
    """GraphQL arguments in the shape of REST query arguments (name -> list of strings), so that
    ``parse_args`` checks them with exactly the rules and messages of the REST routes."""
    args: dict[str, list[str]] = {}
    for name in FILTER_ARGS:
        value = getattr(filters, name, None) if filters is not None else None
        if value is not None:
            args[name] = [value] if isinstance(value, str) else [str(v) for v in value]
    for name, value in extra.items():
        if value is not None:
            args[name] = [str(value.value if isinstance(value, enum.Enum) else value)]
    return args


def _parse(spec: ArgSpec, filters: Any, **extra: object) -> ParsedArgs:
    return parse_args(rest_args(filters, **extra), spec)


def _count_rows(rows: int) -> None:
    """Rows returned, for the request log line (REST sets the same field)."""
    if has_app_context():
        g.mauzo_rows = (g.get("mauzo_rows") or 0) + rows


def _page(page_type: type, frame: pl.DataFrame, parsed: ParsedArgs,
          row: Callable[[dict[str, Any]], Any]) -> Any:
    """One page of a frame: sliced before conversion (the expensive part), as REST does."""
    records = frame_records(frame.slice(parsed.offset, parsed.limit))
    _count_rows(len(records))
    return page_type(totalCount=frame.height, rows=[row(r) for r in records])


def _summary(data: dict[str, Any]) -> Any:
    metrics = {name: MetricValue(value=item["value"], previous=item["previous"], change=item["change"],
                                 changeUnit=ChangeUnitEnum(item["changeUnit"]))
               for name, item in data["metrics"].items()}
    return Summary(period=build(Period, data["period"]), previousPeriod=build(Period, data["previousPeriod"]),
                   comparison=enum_value(CompareEnum, data["comparison"]), metrics=KpiMetrics(**metrics),
                   lines=data["lines"])


@strawberry.type(description="Figures for the dashboard's views; one request can fetch a whole page.")
class Query:
    @strawberry.field(description="Headline metrics with their comparison period (REST /api/kpis/summary).")
    def summary(self, filters: FilterInput | None = None, compare: CompareEnum = CompareEnum.AUTO) -> Summary:
        parsed = _parse(SUMMARY_SPEC, filters, compare=compare)
        assert parsed.filters is not None
        _count_rows(1)
        return _summary(jsonable(queries.kpis(parsed.filters)))

    @strawberry.field(description="Every metric per period, oldest first; value holds the chosen metric "
                                  "(REST /api/kpis/trend).")
    def trend(self, filters: FilterInput | None = None, grain: GrainEnum = GrainEnum.MONTH,
              metric: TrendMetricEnum = TrendMetricEnum.REVENUE,
              limit: int = DEFAULT_LIMIT, offset: int = 0) -> TrendPage:
        parsed = _parse(TREND_SPEC, filters, grain=grain, metric=camel(metric.value), limit=limit, offset=offset)
        assert parsed.filters is not None
        key = camel(metric.value)
        return _page(TrendPage, queries.trend(parsed.filters, grain.value), parsed,
                     lambda r: build(TrendPoint, {**r, "metric": metric, "value": r[key]}))

    @strawberry.field(description="Every metric per value of a dimension, ranked by gross profit, with shares "
                                  "and ranks (REST /api/kpis/salespeople, products, product-lines, branches). "
                                  "search keeps values containing the text (case-insensitive) without "
                                  "renumbering ranks. CUSTOMER includes walk-in and cash sales; the customers "
                                  "field lists account customers only.")
    def breakdown(self, dimension: DimensionEnum, filters: FilterInput | None = None, search: str | None = None,
                  limit: int = DEFAULT_LIMIT, offset: int = 0) -> BreakdownPage:
        parsed = _parse(PRODUCT_SPEC, filters, search=search, limit=limit, offset=offset)
        assert parsed.filters is not None
        name = dimension.value
        frame = queries.breakdown(parsed.filters, name, search=parsed.values["search"],
                                  context=BREAKDOWN_CONTEXT.get(name, ()))
        arg = DIMENSIONS[name].arg
        return _page(BreakdownPage, frame, parsed, lambda r: build(BreakdownRow, {**r, "value": r[arg]}))

    @strawberry.field(description="Salesperson x product line cells (REST /api/kpis/salespeople/product-mix).")
    def product_mix(self, filters: FilterInput | None = None,
                    limit: int = DEFAULT_LIMIT, offset: int = 0) -> MixPage:
        parsed = _parse(LIST_SPEC, filters, limit=limit, offset=offset)
        assert parsed.filters is not None
        return _page(MixPage, queries.matrix(parsed.filters, "salesperson", "product_line"), parsed,
                     lambda r: build(MixCell, r))

    @strawberry.field(description="Every metric per period and branch (REST /api/kpis/branches/trend).")
    def branch_trend(self, filters: FilterInput | None = None, grain: GrainEnum = GrainEnum.MONTH,
                     limit: int = DEFAULT_LIMIT, offset: int = 0) -> BranchTrendPage:
        parsed = _parse(GRAIN_SPEC, filters, grain=grain, limit=limit, offset=offset)
        assert parsed.filters is not None
        return _page(BranchTrendPage, queries.dimension_trend(parsed.filters, "branch", grain.value), parsed,
                     lambda r: build(BranchTrendRow, r))

    @strawberry.field(description="Account customers ranked by gross profit (REST /api/kpis/customers).")
    def customers(self, filters: FilterInput | None = None,
                  limit: int = DEFAULT_LIMIT, offset: int = 0) -> CustomerPage:
        parsed = _parse(LIST_SPEC, filters, limit=limit, offset=offset)
        assert parsed.filters is not None
        return _page(CustomerPage, account_profiles(parsed.filters), parsed, lambda r: build(CustomerRow, r))

    @strawberry.field(description="The values the filters accept, and the data's first and last day "
                                  "(REST /api/filters/options).")
    def filter_options(self) -> FilterOptions:
        _parse(OPTIONS_SPEC, None)
        _count_rows(1)
        return build(FilterOptions, jsonable(queries.filter_options()))


class MauzoSchema(strawberry.Schema):
    """Errors are logged by the view (``app.api.graphql.view``) with the request id, the way REST logs
    them; strawberry's own logger would print every refused argument as an error with a traceback."""

    def process_errors(self, errors: list[Any], execution_context: Any = None) -> None:
        return None


def build_schema(settings: Settings) -> strawberry.Schema:
    """The schema with this deployment's limits. Extensions are factories: strawberry builds fresh
    ones per request. No Mutation type: nothing can be changed through GraphQL."""
    extensions: list[Callable[[], Any]] = [
        lambda: QueryDepthLimiter(max_depth=settings.graphql_max_depth),
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        lambda: MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases),
        # graphql-core's recommended rule: introspection cannot nest fields/types without bound.
        lambda: AddValidationRules([MaxIntrospectionDepthRule]),
    ]
    if not settings.graphql_introspection:
        extensions.append(DisableIntrospection)
    config = StrawberryConfig(scalar_map=SCALARS, disable_field_suggestions=not settings.graphql_introspection)
    from app.api.graphql.pipeline import PipelineQuery  # imports this module's helpers

    query = merge_types("Query", (Query, PipelineQuery))
    return MauzoSchema(query=query, extensions=extensions, config=config)
