"""Pipeline routes: ``/api/pipeline/*`` over the CRM opportunities, from ``data.pipeline`` (the same
functions the Pipeline page calls). Same envelope, argument checks, CSV, tokens and cache as the
rest of the API. A global filter the opportunities lack (``itemGroup``) is a 400 here, never
silently ignored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
from flask import Response, request

from app.api.args import ArgSpec, ParsedArgs, parse_args
from app.api.blueprint import api
from app.api.envelope import camel, csv_response, envelope, frame_records, json_response, jsonable
from data import pipeline
from data.datasets import PIPELINE
from data.dimensions import FILTER_DIMENSIONS
from data.errors import InvalidFilter
from data.filters import Filters

WIN_RATE_BY: tuple[str, ...] = tuple(camel(name) for name in pipeline.WIN_RATE_BY)
FUNNEL_BY: tuple[str, ...] = ("all", *WIN_RATE_BY)
_NAME_BY_ARG = {camel(name): name for name in pipeline.WIN_RATE_BY}

SUMMARY_SPEC = ArgSpec()
WIN_RATE_SPEC = ArgSpec(paging=True, choices={"by": WIN_RATE_BY}, defaults={"by": "salesperson"})
FUNNEL_SPEC = ArgSpec(choices={"by": FUNNEL_BY}, defaults={"by": "all"})
LIST_SPEC = ArgSpec(paging=True)


def _args(spec: ArgSpec) -> tuple[ParsedArgs, Filters]:
    return check_args(request.args.to_dict(flat=False), spec)


def check_args(args: dict[str, list[str]], spec: ArgSpec) -> tuple[ParsedArgs, Filters]:
    """REST-shaped arguments checked for a pipeline route (GraphQL uses it too): the usual rules,
    plus a 400 for a global filter the opportunities lack."""
    parsed = parse_args(args, spec)
    assert parsed.filters is not None
    view = pipeline.applicable(parsed.filters)
    if view.not_applied:
        raise InvalidFilter("filters that do not apply to pipeline data",
                            {d.arg: "opportunities carry no such field" for d in view.not_applied})
    return parsed, parsed.filters


def _rows(parsed: ParsedArgs, frame: pl.DataFrame, name: str) -> Response:
    page = frame.slice(parsed.offset, parsed.limit) if parsed.limit else frame
    rows, columns = frame_records(page), [camel(c) for c in frame.columns]
    headers = {"X-Total-Count": str(frame.height)}
    if parsed.fmt == "csv":
        return csv_response(rows, columns, name, headers)
    return json_response(envelope(rows, parsed.filters, len(rows)), headers=headers)


def _object(parsed: ParsedArgs, data: dict[str, Any], csv_rows: Callable[[], tuple[list[dict], list[str]]],
            name: str) -> Response:
    if parsed.fmt == "csv":
        rows, columns = csv_rows()
        return csv_response(rows, columns, name)
    return json_response(envelope(jsonable(data), parsed.filters, 1))


@api.get("/pipeline/summary")
def pipeline_summary() -> Response:
    """Headline figures: counts, win rate with its 95% interval, values, median cycles."""
    parsed, filters = _args(SUMMARY_SPEC)
    data = pipeline.summary(filters)
    flat = jsonable(data)
    return _object(parsed, data, lambda: ([{"metric": k, "value": v} for k, v in flat.items()], ["metric", "value"]),
                   "pipeline-summary")


@api.get("/pipeline/win-rates")
def pipeline_win_rates() -> Response:
    parsed, filters = _args(WIN_RATE_SPEC)
    by = _NAME_BY_ARG[str(parsed.values["by"])]
    return _rows(parsed, pipeline.win_rates(filters, by), f"pipeline-win-rates-{parsed.values['by']}")


@api.get("/pipeline/funnel")
def pipeline_funnel() -> Response:
    parsed, filters = _args(FUNNEL_SPEC)
    by = None if parsed.values["by"] == "all" else _NAME_BY_ARG[str(parsed.values["by"])]
    return _rows(parsed, pipeline.funnel(filters, by=by), "pipeline-funnel")


@api.get("/pipeline/cycle")
def pipeline_cycle() -> Response:
    parsed, filters = _args(SUMMARY_SPEC)
    result = pipeline.cycle(filters)
    data = {"overall": frame_records(result["overall"])[0] if result["overall"].height else None,
            "histogram": frame_records(result["histogram"].drop("bucket_order", strict=False)),
            "bySalesperson": frame_records(result["by_salesperson"]),
            "byProductLine": frame_records(result["by_product_line"])}
    frame = result["by_salesperson"]
    return _object(parsed, data, lambda: (frame_records(frame), [camel(c) for c in frame.columns]), "pipeline-cycle")


@api.get("/pipeline/open")
def pipeline_open() -> Response:
    parsed, filters = _args(LIST_SPEC)
    result = pipeline.open_pipeline(filters, limit=parsed.offset + parsed.limit)
    oldest = result["oldest"].slice(parsed.offset, parsed.limit)
    if parsed.fmt == "csv":
        return csv_response(frame_records(oldest), [camel(c) for c in oldest.columns], "pipeline-open",
                            {"X-Total-Count": str(result["total"])})
    data = {"asOf": result["as_of"], "usualCycleDays": result["usual_cycle_days"], "total": result["total"],
            "byStage": frame_records(result["by_stage"]), "oldest": frame_records(oldest)}
    return json_response(envelope(jsonable(data), parsed.filters, len(data["oldest"])),
                         headers={"X-Total-Count": str(result["total"])})


@api.get("/pipeline/assignment")
def pipeline_assignment() -> Response:
    parsed, filters = _args(SUMMARY_SPEC)
    people = pipeline.assignment(filters)
    data = {"people": frame_records(people), "standouts": pipeline.standouts(people) if people.height else []}
    return _object(parsed, data, lambda: (data["people"], [camel(c) for c in people.columns]), "pipeline-assignment")


def pipeline_filter_args() -> tuple[str, ...]:
    """The global filter arguments that apply to pipeline routes (the OpenAPI document lists these)."""
    return ("startDate", "endDate", *(d.arg for d in FILTER_DIMENSIONS if d.name in PIPELINE.dimensions))
