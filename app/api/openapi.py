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

from app.api.args import DEFAULT_LIMIT, FILTER_ARGS, MAX_LIMIT, MAX_OFFSET, MAX_TEXT_LENGTH
from app.api.envelope import camel
from app.api.errors import HTTP_CODES, QUERY_FAILED
from app.api.status import app_version
from data.dimensions import FILTER_DIMENSIONS
from data.filters import COMPARE_MODES, MAX_DATE, MAX_VALUE_LENGTH, MAX_VALUES_PER_FILTER, MIN_DATE
from data.metrics import COUNT, KPI_METRICS, METRICS, public_metrics
from data.metrics import DATE as DATE_KIND

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

def _metric(name: str) -> Schema:
    """A metric column: integers for counts, dates for dates, numbers otherwise; derived metrics
    (ratios) are null where their denominator is zero (see ``data.metrics.derive``)."""
    metric = METRICS[name]
    base = {COUNT: INT, DATE_KIND: DATE}.get(metric.kind, NUMBER)
    schema = _nullable(base) if metric.compute is not None else dict(base)
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
