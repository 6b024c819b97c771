"""The OpenAPI 3.1 document served at ``/api/openapi.json``.

The routes and envelope are written here as a contract reviewed like code; every filter
parameter, filter option, metric column and its wording is generated from the declarations in
``data.dimensions`` and ``data.metrics``, so a new dimension or metric is documented the moment it
is declared. The schemathesis test proves the server keeps the document (row schemas forbid
undocumented columns).
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import polars as pl

from app.api.args import DEFAULT_LIMIT, FILTER_ARGS, MAX_LIMIT, MAX_OFFSET, MAX_TEXT_LENGTH
from app.api.envelope import camel
from app.api.errors import HTTP_CODES, QUERY_FAILED
from app.api.pipeline_routes import pipeline_filter_args
from app.api.status import app_version
from data.dimensions import FILTER_DIMENSIONS
from data.filters import COMPARE_MODES, MAX_DATE, MAX_VALUE_LENGTH, MAX_VALUES_PER_FILTER, MIN_DATE
from data.metrics import COUNT, KPI_METRICS, METRICS, PIPELINE_AGGREGATES, PIPELINE_METRICS, derive, public_metrics
from data.metrics import DATE as DATE_KIND
from data.pipeline import WIN_RATE_BY as WIN_RATE_GROUPS

Schema = dict[str, Any]

GRAINS = ["day", "week", "month", "quarter", "year"]
ERROR_CODES = sorted({*HTTP_CODES.values(), "INTERNAL", QUERY_FAILED})


def _nullable(schema: Schema) -> Schema:
    out = dict(schema)
    out["type"] = [schema["type"], "null"]
    return out


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict[str, Schema], open_ended: bool = False, description: str = "") -> Schema:
    schema: Schema = {"type": "object", "properties": properties, "required": list(properties),
                      "additionalProperties": open_ended}
    if description:
        schema["description"] = description
    return schema


DATE = {"type": "string", "format": "date"}
TEXT = {"type": "string"}
INT = {"type": "integer"}
NUMBER = {"type": "number"}

def _metric(name: str, registry: dict = METRICS) -> Schema:
    """A metric column: integers for counts, dates for dates, numbers otherwise; derived metrics
    (ratios) are null where their denominator is zero (see ``data.metrics.derive``)."""
    metric = registry[name]
    base = {COUNT: INT, DATE_KIND: DATE}.get(metric.kind, NUMBER)
    schema = _nullable(base) if metric.compute is not None or metric.nullable else dict(base)
    schema["description"] = f"{metric.label}: {metric.description}"
    return schema


def _metrics(*names: str) -> dict[str, Schema]:
    return {camel(n): _metric(n) for n in names}


# The figures of a summary/breakdown row: every public metric that is meaningful per period.
ALL_METRICS = tuple(m.name for m in public_metrics() if m.per_period)
_DIMENSION_ARRAYS = {d.arg: {"type": "array", "items": TEXT} for d in FILTER_DIMENSIONS}
COMPARE = {"type": "string", "enum": list(COMPARE_MODES)}
SHARE = {"type": ["number", "null"], "description": "Share of the column total over all rows, in percent."}
RANKS = {
    "revenueSharePct": SHARE, "grossProfitSharePct": SHARE, "transactionsSharePct": SHARE,
    "gpRank": {"type": "integer", "minimum": 1, "description": "Rank by gross profit (1 = most)."},
    "revenueRank": {"type": "integer", "minimum": 1, "description": "Rank by revenue (1 = most)."},
}


def _pipeline_metrics(*names: str) -> dict[str, Schema]:
    return {camel(n): _metric(n, PIPELINE_METRICS) for n in names}


# The columns a pipeline aggregate row has: exactly what ``derive`` makes of its additive metrics.
PIPELINE_ROW = tuple(derive(pl.DataFrame({n: [0] for n in PIPELINE_AGGREGATES}), PIPELINE_METRICS).columns)
_MEDIANS = {f"medianCycle{k}Days": {"type": ["number", "null"],
                                     "description": f"Median engage-to-close days, {k.lower()} deals."}
            for k in ("Won", "Lost", "Closed")}
_SMALL = {"type": "boolean", "description": "Fewer closed deals than the small-sample threshold: not ranked."}
_INT, _NINT, _NNUM = {"type": "integer"}, {"type": ["integer", "null"]}, {"type": ["number", "null"]}


def _optional(required: dict[str, Schema], optional: dict[str, Schema], description: str = "") -> Schema:
    schema = _obj({**required, **optional}, description=description)
    schema["required"] = list(required)
    return schema


def _pipeline_schemas() -> dict[str, Schema]:
    groups = {camel(n): TEXT for n in WIN_RATE_GROUPS}
    return {
        "PipelineSummary": _obj({
            **_pipeline_metrics(*PIPELINE_ROW), **_MEDIANS, "smallSample": _SMALL,
            "asOf": {**_nullable(DATE), "description": "Latest CRM activity; open deals age to it."}}),
        "WinRateRow": _optional({
            **_pipeline_metrics(*PIPELINE_ROW), **_MEDIANS, "smallSample": _SMALL,
            "rank": {**_NINT, "description": "By the interval's low end; null for small samples."}},
            groups, "One salesperson, product line or branch (the `by` argument)."),
        "FunnelStep": _optional({"stepOrder": _INT, "step": {"type": "string", "enum": ["qualification", "closing"]},
                                 "stepLabel": TEXT, "entered": _INT, "lost": _INT, "waiting": _INT, "passed": _INT,
                                 "lostPct": _NNUM, "decidedLostPct": _NNUM}, groups),
        "PipelineCycle": _obj({
            "overall": {"oneOf": [_obj(_MEDIANS), {"type": "null"}]},
            "histogram": {"type": "array", "items": _obj({"bucket": TEXT, "outcome": TEXT, "opportunities": _INT})},
            "bySalesperson": {"type": "array", "items": _obj({"salesperson": TEXT, **_MEDIANS})},
            "byProductLine": {"type": "array", "items": _obj({"productLine": TEXT, **_MEDIANS})},
        }),
        "PipelineOpen": _obj({
            "asOf": _nullable(DATE), "usualCycleDays": _NNUM, "total": _INT,
            "byStage": {"type": "array", "items": _obj({"stage": TEXT, "openDeals": _INT, "openValue": _NNUM,
                                                        "medianAgeDays": _NNUM, "overdue": _INT})},
            "oldest": {"type": "array", "items": _obj({
                "opportunityId": TEXT, "stage": TEXT, "salesperson": TEXT, "branch": TEXT, "product": TEXT,
                "customer": TEXT, "openValue": _NNUM, "engagedOn": _nullable(DATE), "ageDays": _NINT,
                "overdue": {"type": "boolean"}})},
        }),
        "PipelineAssignment": _obj({
            "people": {"type": "array", "items": _obj({
                "salesperson": TEXT, "won": _INT, "lost": _INT, "closed": _INT, "expectedWinRatePct": _NNUM,
                "winRatePct": _NNUM, "smallSample": _SMALL, "skillPp": _NNUM})},
            "standouts": {"type": "array", "items": TEXT, "description": "The stand-out pairs, in words."},
        }),
    }


def _breakdown_row(*dimensions: str) -> Schema:
    return _obj({**{camel(d): TEXT for d in dimensions}, **_metrics(*ALL_METRICS), **RANKS})


SCHEMAS: dict[str, Schema] = {
    "Filters": _obj({
        "startDate": _nullable(DATE), "endDate": _nullable(DATE), **_DIMENSION_ARRAYS, "compare": COMPARE,
    }, description="The filters applied, after normalization (sorted, de-duplicated)."),
    "Metadata": _obj({
        "requestId": {"type": "string", "minLength": 1, "maxLength": 128,
                      "description": "Also in the X-Request-ID header and in the engine's SQL tag."},
        "generatedAt": {"type": "string", "format": "date-time"},
        "filters": {"oneOf": [_ref("Filters"), {"type": "null"}]},
        "rowCount": {"type": "integer", "minimum": 0,
                     "description": "Rows in `data` (the rows its CSV form has)."},
        "cached": {"type": "boolean", "description": "True when every query was served from the result cache."},
        "durationMs": {"type": "number", "minimum": 0},
    }),
    "Error": _obj({
        "code": {"type": "string", "enum": ERROR_CODES},
        "message": TEXT,
        "details": {"type": "object", "additionalProperties": TEXT,
                    "description": "Each bad argument mapped to what is wrong with it."},
    }),
    "ErrorEnvelope": _obj({"data": {"type": "null"}, "error": _ref("Error"), "metadata": _ref("Metadata")}),
    "MetricValue": _obj({
        "value": _nullable(NUMBER), "previous": _nullable(NUMBER), "change": _nullable(NUMBER),
        "changeUnit": {"type": "string", "enum": ["pct", "pp"],
                       "description": "pct: relative change in percent; pp: difference in percentage points."},
    }),
    "Period": _obj({"start": _nullable(DATE), "end": _nullable(DATE)}),
    "Summary": _obj({
        "period": _ref("Period"), "previousPeriod": _ref("Period"),
        "comparison": {"type": ["string", "null"], "enum": ["previous", "lastYear", None],
                       "description": "What previousPeriod is: the period of equal length just before, or the "
                                      "same dates a year earlier; null when there is no earlier period."},
        "metrics": _obj({camel(n): {**_ref("MetricValue"), "description": METRICS[n].description}
                         for n in KPI_METRICS}),
        "lines": {"type": "integer", "minimum": 0},
    }),
    "TrendPoint": _obj({"period": {**DATE, "description": "First day of the period."},
                        "metric": {"type": "string"}, "value": _nullable(NUMBER)}),
    "SalespersonRow": _breakdown_row("salesperson"),
    "ProductRow": _breakdown_row("item_name", "item_group", "product_line"),
    "ProductLineRow": _breakdown_row("product_line"),
    "BranchRow": _breakdown_row("branch"),
    "ProductMixCell": _obj({
        "salesperson": TEXT, "productLine": TEXT,
        **_metrics("transactions", "lines", "revenue", "cost", "gross_profit", "margin_pct",
                   "avg_transaction_value", "avg_gp_per_sale"),
        "rowGpSharePct": {"type": ["number", "null"], "description": "Share of the salesperson's gross profit."},
        "rowRevenueSharePct": {"type": ["number", "null"], "description": "Share of the salesperson's revenue."},
    }),
    "BranchTrendRow": _obj({"period": DATE, "branch": TEXT, **_metrics(*ALL_METRICS)}),
    "CustomerRow": _obj({
        "customer": TEXT, **_metrics(*ALL_METRICS, "first_sale", "last_sale", "active_days"),
        "recencyDays": {"type": "integer", "description": "Days from the last sale to the end of the period."},
        "gpRank": RANKS["gpRank"],
        "revenueSharePct": {**SHARE, "description": "Share of account customers' revenue, in percent."},
        "grossProfitSharePct": {**SHARE, "description": "Share of account customers' gross profit, in percent."},
    }, description="An account customer (walk-in, cash and unassigned sales are not customers)."),
    "FilterOptions": _obj({
        **{d.options_key: {"type": "array", "items": TEXT, "description": f"Values {d.arg} accepts."}
           for d in FILTER_DIMENSIONS},
        "minDate": _nullable(DATE), "maxDate": _nullable(DATE),
    }),
    "Health": _obj({
        "status": {"type": "string", "enum": ["ok", "degraded"]},
        "app": _obj({"name": TEXT, "version": TEXT, "python": TEXT}),
        "cache": {"type": "object", "required": ["healthy"], "properties": {"healthy": {"type": "boolean"}},
                  "additionalProperties": True, "description": "The cache's own report (backend, status, ...)."},
    }),
    "StoreReport": _obj({
        "engine": TEXT, "configured": {"type": "boolean"},
        "status": {"type": "string", "enum": ["ok", "unreachable", "not configured", "not in use"]},
        "reachable": {"type": ["boolean", "null"]}, "rows": {"type": ["integer", "null"]},
        "dataVersion": _nullable(TEXT),
        "lastIngest": {"type": ["object", "null"], "description": "The newest ingest-history entry."},
        "detail": TEXT,
    }),
}


def _param(name: str, schema: Schema, description: str, array: bool = False) -> Schema:
    if array:
        # No maxItems: the server counts distinct non-blank values, which JSON Schema cannot say.
        schema = {"type": "array", "items": schema}
        description += f" At most {MAX_VALUES_PER_FILTER} distinct values; blank values are ignored."
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description,
            **({"style": "form", "explode": True} if array else {})}


_RANGE = f"Between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}."
PARAMETERS: dict[str, Schema] = {
    "startDate": _param("startDate", DATE, f"First day included (YYYY-MM-DD). {_RANGE}"),
    "endDate": _param("endDate", DATE, f"Last day included (YYYY-MM-DD), not before startDate. {_RANGE}"),
    **{d.arg: _param(d.arg, {"type": "string", "maxLength": MAX_VALUE_LENGTH},
                     f"{d.description} Exact match (case and spelling). Repeat for several {d.plural}; "
                     "none means all.", array=True)
       for d in FILTER_DIMENSIONS},
    "compare": _param("compare", {**COMPARE, "default": "auto"},
                      "What previousPeriod is: previous = the period of equal length just before; lastYear = the "
                      "same dates a year earlier; auto = lastYear for year/quarter/month-to-date ranges, else "
                      "previous."),
    "limit": _param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
                    "Rows per page."),
    "offset": _param("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
                     "Rows to skip."),
    "format": _param("format", {"type": "string", "enum": ["json", "csv"], "default": "json"},
                     "csv returns the rows of `data` as text/csv (errors stay JSON)."),
    "grain": _param("grain", {"type": "string", "enum": GRAINS, "default": "month"}, "Period length."),
    "metric": _param("metric", {"type": "string", "enum": [camel(n) for n in ALL_METRICS], "default": "revenue"},
                     "; ".join(f"{camel(n)}: {METRICS[n].label}" for n in ALL_METRICS)),
    "search": _param("search", {"type": "string", "maxLength": MAX_TEXT_LENGTH},
                     "Case-insensitive text the item name must contain."),
}
FILTER_PARAMS = list(FILTER_ARGS)
LIST_PARAMS = [*FILTER_PARAMS, "limit", "offset", "format"]
SCHEMAS.update(_pipeline_schemas())
PARAMETERS["winRateBy"] = _param("by", {"type": "string", "enum": [camel(n) for n in WIN_RATE_GROUPS],
                                        "default": "salesperson"}, "Group the win rates by this dimension.")
PARAMETERS["funnelBy"] = _param("by", {"type": "string", "enum": ["all", *(camel(n) for n in WIN_RATE_GROUPS)],
                                       "default": "all"}, "One funnel for the view (all), or one per value.")
# Pipeline routes take the global filters opportunities have (not itemGroup: a 400 there).
PIPELINE_FILTER_PARAMS = [p for p in FILTER_PARAMS if p in pipeline_filter_args()]

REQUEST_ID_HEADER = {"X-Request-ID": {"required": True, "schema": {"type": "string"},
                                      "description": "The request id (the caller's if sane, else a UUID)."}}
TOTAL_HEADER = {"X-Total-Count": {"required": True, "schema": {"type": "string", "pattern": "^[0-9]+$"},
                                  "description": "Rows before limit/offset."}}


def _envelope(data: Schema) -> Schema:
    return _obj({"data": data, "error": {"type": "null"}, "metadata": _ref("Metadata")})


def _error(description: str) -> Schema:
    return {"description": description, "headers": REQUEST_ID_HEADER,
            "content": {"application/json": {"schema": _ref("ErrorEnvelope")}}}


def _ok(data: Schema, csv: bool, paged: bool) -> Schema:
    content: Schema = {"application/json": {"schema": _envelope(data)}}
    if csv:
        content["text/csv"] = {"schema": {"type": "string"}}
    return {"description": "The envelope with `data` filled.",
            "headers": {**REQUEST_ID_HEADER, **(TOTAL_HEADER if paged else {})}, "content": content}


def _figure_op(op_id: str, summary: str, data: Schema, params: list[str], paged: bool = True) -> Schema:
    return {"get": {
        "operationId": op_id, "summary": summary, "tags": ["figures"],
        "parameters": [{"$ref": f"#/components/parameters/{p}"} for p in params],
        "security": [{}, {"bearerAuth": []}],
        "responses": {
            "200": _ok(data, csv=True, paged=paged),
            "400": _error("INVALID_ARGUMENT: `details` names each bad argument."),
            "401": _error("UNAUTHENTICATED: tokens are configured and none (or a wrong one) was sent."),
            "414": {"description": "The request line is longer than the HTTP server accepts (8190 bytes under "
                                   "mauzo serve): rejected before the app, so not an envelope."},
            "500": _error("INTERNAL, or QUERY_FAILED when the engine rejected the query: quote the request id."),
            "503": _error("ENGINE_UNAVAILABLE: the store is unreachable or empty."),
            "504": _error("QUERY_TIMEOUT: the engine did not answer within its query timeout."),
        },
    }}


def _list(item: str) -> Schema:
    return {"type": "array", "items": _ref(item)}


def _paths() -> dict[str, Schema]:
    store_503 = {"description": "ENGINE_UNAVAILABLE; `data` still holds the report.", "headers": REQUEST_ID_HEADER,
                 "content": {"application/json": {"schema": _obj({
                     "data": _ref("StoreReport"), "error": _ref("Error"), "metadata": _ref("Metadata")})}}}

    def health_op(op_id: str, summary: str, data: Schema, extra: dict[str, Schema] | None = None) -> Schema:
        return {"get": {"operationId": op_id, "summary": summary, "tags": ["health"],
                        "responses": {"200": _ok(data, csv=False, paged=False), **(extra or {})}}}

    return {
        "/api/kpis/summary": _figure_op(
            "kpiSummary", "Headline metrics with their comparison period",
            _ref("Summary"), [*FILTER_PARAMS, "compare", "format"], paged=False),
        "/api/kpis/trend": _figure_op("kpiTrend", "One metric per period, oldest first", _list("TrendPoint"),
                                      [*LIST_PARAMS, "metric", "grain"]),
        "/api/kpis/salespeople": _figure_op("kpiSalespeople", "Salespeople ranked by gross profit",
                                            _list("SalespersonRow"), LIST_PARAMS),
        "/api/kpis/salespeople/product-mix": _figure_op(
            "kpiSalespeopleProductMix", "Each salesperson's figures per product line",
            _list("ProductMixCell"), LIST_PARAMS),
        "/api/kpis/products": _figure_op("kpiProducts", "Items ranked by gross profit", _list("ProductRow"),
                                         [*LIST_PARAMS, "search"]),
        "/api/kpis/product-lines": _figure_op("kpiProductLines", "Product lines ranked by gross profit",
                                              _list("ProductLineRow"), LIST_PARAMS),
        "/api/kpis/branches": _figure_op("kpiBranches", "Branches ranked by gross profit", _list("BranchRow"),
                                         LIST_PARAMS),
        "/api/kpis/branches/trend": _figure_op("kpiBranchesTrend", "Each branch's metrics per period",
                                               _list("BranchTrendRow"), [*LIST_PARAMS, "grain"]),
        "/api/kpis/customers": _figure_op("kpiCustomers", "Account customers by gross profit, with recency",
                                          _list("CustomerRow"), LIST_PARAMS),
        "/api/pipeline/summary": _figure_op("pipelineSummary", "CRM pipeline headline figures",
                                            _ref("PipelineSummary"), [*PIPELINE_FILTER_PARAMS, "format"], paged=False),
        "/api/pipeline/win-rates": _figure_op("pipelineWinRates", "Win rates with 95% intervals",
                                              _list("WinRateRow"), [*PIPELINE_FILTER_PARAMS, "winRateBy", "limit",
                                                                    "offset", "format"]),
        "/api/pipeline/funnel": _figure_op("pipelineFunnel", "Where the funnel leaks", _list("FunnelStep"),
                                           [*PIPELINE_FILTER_PARAMS, "funnelBy", "format"]),
        "/api/pipeline/cycle": _figure_op("pipelineCycle", "Sales cycle: histogram and medians",
                                          _ref("PipelineCycle"), [*PIPELINE_FILTER_PARAMS, "format"], paged=False),
        "/api/pipeline/open": _figure_op("pipelineOpen", "Open deals by stage and oldest first",
                                         _ref("PipelineOpen"), [*PIPELINE_FILTER_PARAMS, "limit", "offset", "format"]),
        "/api/pipeline/assignment": _figure_op("pipelineAssignment", "Closer skill against lead quality",
                                               _ref("PipelineAssignment"), [*PIPELINE_FILTER_PARAMS, "format"],
                                               paged=False),
        "/api/filters/options": _figure_op("filterOptions", "Values the filter arguments accept",
                                           _ref("FilterOptions"), ["format"], paged=False),
        "/api/health": health_op("health", "The app is up; the cache's state", _ref("Health")),
        "/api/health/db": health_op("healthDb", "The configured store: reachability, rows, freshness",
                                    _ref("StoreReport"), {"503": store_503}),
        "/api/health/druid": health_op("healthDruid", "Druid's health, or why it is not checked",
                                       _ref("StoreReport"), {"503": store_503}),
        "/api/openapi.json": {"get": {
            "operationId": "openapi", "summary": "This document (not enveloped)", "tags": ["health"],
            "responses": {"200": {"description": "OpenAPI 3.1 document", "headers": REQUEST_ID_HEADER,
                                  "content": {"application/json": {"schema": {"type": "object",
                                                                               "required": ["openapi", "paths"]}}}}},
        }},
    }


@cache
def _document() -> Schema:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Mauzo REST API",
            "version": app_version(),
            "description": (
                "Sales figures in KSh from the same data layer as the dashboard. Every response except this "
                "document is the envelope {data, error, metadata}. Figure routes need `Authorization: Bearer "
                "<token>` when the server sets MAUZO_API_TOKENS; health routes are always open."
            ),
        },
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS,
            "parameters": PARAMETERS,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "Only enforced when tokens are configured."}},
        },
    }


def openapi_document() -> Schema:
    """A fresh copy, so no caller can alter the cached document."""
    return copy.deepcopy(_document())
