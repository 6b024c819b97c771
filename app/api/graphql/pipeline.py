"""GraphQL fields for the CRM pipeline: one per ``/api/pipeline/*`` route, answered by the same
``data.pipeline`` calls after the same argument checks (``app.api.pipeline_routes.check_args``),
with types generated from the pipeline's metric declarations."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

import strawberry

from app.api.envelope import camel, frame_records, jsonable
from app.api.graphql.declared import DateText, Field, FilterInput, _enum, build, object_type, page_type
from app.api.graphql.schema import _count_rows, rest_args
from app.api.pipeline_routes import FUNNEL_SPEC, LIST_SPEC, SUMMARY_SPEC, WIN_RATE_SPEC, check_args
from data import pipeline
from data.dimensions import DIMENSIONS
from data.metrics import COUNT, DATE, PIPELINE_METRICS, Metric

PIPELINE_ROW: tuple[str, ...] = tuple(
    name for name in PIPELINE_METRICS if PIPELINE_METRICS[name].public and PIPELINE_METRICS[name].per_period)
GROUPS: tuple[str, ...] = pipeline.WIN_RATE_BY

WinRateByEnum = _enum("WinRateBy", {g.upper(): (g, DIMENSIONS[g].description) for g in GROUPS},
                      "What win rates are grouped by.")
FunnelByEnum = _enum("FunnelBy", {"ALL": ("all", "One funnel for the whole view."),
                                  **{g.upper(): (g, DIMENSIONS[g].description) for g in GROUPS}},
                     "One funnel for the view, or one per value of a dimension.")


def _kind(metric: Metric) -> Any:
    base: Any = {COUNT: int, DATE: DateText}.get(metric.kind, float)
    return base if metric.additive and metric.per_period and not metric.nullable else base | None


def _metric_fields(names: Iterable[str]) -> dict[str, Field]:
    return {camel(n): (_kind(PIPELINE_METRICS[n]), f"{PIPELINE_METRICS[n].label}: {PIPELINE_METRICS[n].description}")
            for n in names}


MEDIANS: dict[str, Field] = {f"medianCycle{k}Days": (float | None, f"Median engage-to-close days, {k.lower()} deals.")
                             for k in ("Won", "Lost", "Closed")}
SMALL: Field = (bool, f"Fewer than {pipeline.SMALL_SAMPLE} closed deals: too uncertain to rank.")
GROUP_FIELDS: dict[str, Field] = {DIMENSIONS[g].arg: (str | None, DIMENSIONS[g].description) for g in GROUPS}

PipelineSummary = object_type("PipelineSummary", {
    **_metric_fields(PIPELINE_ROW), **MEDIANS, "smallSample": SMALL,
    "asOf": (DateText | None, "The latest CRM activity: open deals are aged to this day."),
}, "CRM headline figures (REST /api/pipeline/summary).")
WinRateRow = object_type("WinRateRow", {
    "value": (str, "The value grouped by."), **GROUP_FIELDS, **_metric_fields(PIPELINE_ROW), **MEDIANS,
    "smallSample": SMALL, "rank": (int | None, "Rank by the low end of the 95% interval; null for small samples."),
}, "Win rate of one salesperson, product line or branch (REST /api/pipeline/win-rates).")
FunnelStep = object_type("FunnelStep", {
    "value": (str | None, "The value grouped by (null for the whole view)."), **GROUP_FIELDS,
    "stepOrder": (int, "1 = qualification, 2 = closing."), "step": (str, "qualification or closing."),
    "stepLabel": (str, "The step in words."), "entered": (int, "Deals that entered the step."),
    "lost": (int, "Deals lost at the step."), "waiting": (int, "Open deals still at the step."),
    "passed": (int, "Deals that passed the step."), "lostPct": (float | None, "Lost / entered, in percent."),
    "decidedLostPct": (float | None, "Lost / (entered - waiting), in percent."),
}, "One step of the funnel (REST /api/pipeline/funnel).")
CycleBucket = object_type("CycleBucket", {
    "bucket": (str, "Days from engage to close."), "outcome": (str, "won or lost."),
    "opportunities": (int, "Closed deals in the bucket."),
}, "One bar of the sales-cycle histogram.")
CycleMedians = object_type("CycleMedians", {
    "value": (str | None, "The salesperson or product line (null for the whole view)."),
    **MEDIANS}, "Median cycle lengths.")
PipelineCycle = object_type("PipelineCycle", {
    "overall": (CycleMedians | None, "For the whole view."),
    "histogram": (list[CycleBucket], "Won and lost deals by cycle length."),  # type: ignore[valid-type]
    "bySalesperson": (list[CycleMedians], "Per salesperson."),  # type: ignore[valid-type]
    "byProductLine": (list[CycleMedians], "Per product line."),  # type: ignore[valid-type]
}, "The sales cycle (REST /api/pipeline/cycle).")
StageRow = object_type("StageRow", {
    "stage": (str, "The CRM stage."), "openDeals": (int, "Open deals at the stage."),
    "openValue": (float | None, "Their value where known (KSh)."),
    "medianAgeDays": (float | None, "Median days since engagement."), "overdue": (int, "Older than the usual cycle."),
}, "Open deals at one stage.")
OpenDeal = object_type("OpenDeal", {
    **{DIMENSIONS[d].arg: (str, DIMENSIONS[d].description)
       for d in ("opportunity_id", "stage", "salesperson", "branch", "product", "customer")},
    "openValue": (float | None, "Value where known (KSh)."), "engagedOn": (DateText | None, "Engage date."),
    "ageDays": (int | None, "Days since engagement, to asOf."), "overdue": (bool, "Older than the usual cycle."),
}, "One open deal.")
OpenDealPage = page_type("OpenDealPage", OpenDeal, "Open deals, oldest first.")
PipelineOpen = object_type("PipelineOpen", {
    "asOf": (DateText | None, "The day open deals are aged to."),
    "usualCycleDays": (float | None, "Median engage-to-close days of won deals: older open deals are overdue."),
    "byStage": (list[StageRow], "Open deals per stage."),  # type: ignore[valid-type]
    "oldest": (OpenDealPage, "Open deals, oldest first."),
}, "The open pipeline (REST /api/pipeline/open).")
Closer = object_type("Closer", {
    "salesperson": (str, DIMENSIONS["salesperson"].description), "won": (int, "Deals won."),
    "lost": (int, "Deals lost."), "closed": (int, "Deals closed."),
    "expectedWinRatePct": (float | None, "The win rate the salesperson's lead mix predicts (lead quality)."),
    "winRatePct": (float | None, "Actual win rate."), "smallSample": SMALL,
    "skillPp": (float | None, "Actual - predicted win rate, in percentage points (closer skill)."),
}, "Closer skill against lead quality for one salesperson.")
PipelineAssignment = object_type("PipelineAssignment", {
    "people": (list[Closer], "Per salesperson, most skilled first."),  # type: ignore[valid-type]
    "standouts": (list[str], "The stand-out pairs, in words."),
}, "Are the best closers working on low-quality leads? (REST /api/pipeline/assignment)")


def _value(record: dict[str, Any], by: str | None) -> dict[str, Any]:
    return {**record, "value": record.get(DIMENSIONS[by].arg) if by else None}


def _by(value: enum.Enum) -> str | None:
    return None if value.value == "all" else str(value.value)


@strawberry.type
class PipelineQuery:
    @strawberry.field(description="CRM headline figures (REST /api/pipeline/summary).")
    def pipeline_summary(self, filters: FilterInput | None = None) -> PipelineSummary:  # type: ignore[valid-type]
        _, view = check_args(rest_args(filters), SUMMARY_SPEC)
        _count_rows(1)
        return build(PipelineSummary, jsonable(pipeline.summary(view)))

    @strawberry.field(description="Win rates with 95% intervals (REST /api/pipeline/win-rates).")
    def pipeline_win_rates(self, by: WinRateByEnum, filters: FilterInput | None = None,  # type: ignore[valid-type]
                           limit: int = 1000, offset: int = 0) -> list[WinRateRow]:  # type: ignore[valid-type]
        parsed, view = check_args(rest_args(filters, by=camel(by.value), limit=limit, offset=offset), WIN_RATE_SPEC)
        frame = pipeline.win_rates(view, by.value).slice(parsed.offset, parsed.limit)
        _count_rows(frame.height)
        return [build(WinRateRow, _value(r, by.value)) for r in frame_records(frame)]

    @strawberry.field(description="Where the funnel leaks (REST /api/pipeline/funnel).")
    def pipeline_funnel(self, filters: FilterInput | None = None,  # type: ignore[valid-type]
                        by: FunnelByEnum = FunnelByEnum.ALL) -> list[FunnelStep]:  # type: ignore[valid-type]
        group = _by(by)
        _, view = check_args(rest_args(filters, by=camel(group) if group else "all"), FUNNEL_SPEC)
        frame = pipeline.funnel(view, by=group)
        _count_rows(frame.height)
        return [build(FunnelStep, _value(r, group)) for r in frame_records(frame)]

    @strawberry.field(description="The sales cycle: histogram and medians (REST /api/pipeline/cycle).")
    def pipeline_cycle(self, filters: FilterInput | None = None) -> PipelineCycle:  # type: ignore[valid-type]
        _, view = check_args(rest_args(filters), SUMMARY_SPEC)
        result = pipeline.cycle(view)
        overall = frame_records(result["overall"])
        _count_rows(1)
        return PipelineCycle(
            overall=build(CycleMedians, overall[0]) if overall else None,
            histogram=[build(CycleBucket, r) for r in frame_records(result["histogram"])],
            bySalesperson=[build(CycleMedians, _value(r, "salesperson"))
                           for r in frame_records(result["by_salesperson"])],
            byProductLine=[build(CycleMedians, _value(r, "product_line"))
                           for r in frame_records(result["by_product_line"])],
        )

    @strawberry.field(description="Open deals by stage and oldest first (REST /api/pipeline/open).")
    def pipeline_open(self, filters: FilterInput | None = None,  # type: ignore[valid-type]
                      limit: int = 1000, offset: int = 0) -> PipelineOpen:  # type: ignore[valid-type]
        parsed, view = check_args(rest_args(filters, limit=limit, offset=offset), LIST_SPEC)
        result = pipeline.open_pipeline(view, limit=parsed.offset + parsed.limit)
        oldest = frame_records(result["oldest"].slice(parsed.offset, parsed.limit))
        _count_rows(len(oldest))
        return PipelineOpen(asOf=jsonable(result["as_of"]), usualCycleDays=result["usual_cycle_days"],
                            byStage=[build(StageRow, r) for r in frame_records(result["by_stage"])],
                            oldest=OpenDealPage(totalCount=result["total"], rows=[build(OpenDeal, r) for r in oldest]))

    @strawberry.field(description="Closer skill against lead quality (REST /api/pipeline/assignment).")
    def pipeline_assignment(self, filters: FilterInput | None = None  # type: ignore[valid-type]
                            ) -> PipelineAssignment:  # type: ignore[valid-type]
        _, view = check_args(rest_args(filters), SUMMARY_SPEC)
        people = pipeline.assignment(view)
        _count_rows(people.height)
        return PipelineAssignment(people=[build(Closer, r) for r in frame_records(people)],
                                  standouts=pipeline.standouts(people) if people.height else [])
