"""Pipeline: why are deals lost? Win rates, funnel leaks, sales cycles and lead assignment, from CRM
opportunities (won, lost and open), under the same global filters as every page."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import polars as pl
from dash import Input, dcc, html

from components.callbacks import section_callback
from components.exports import register_table
from components.format import count, ksh, pct
from components.layout import card, graph, page_header, xfilter_id
from components.pipeline_charts import (
    assignment_scatter,
    cycle_grid,
    cycle_histogram,
    funnel_bars,
    funnel_grid,
    open_by_stage_bars,
    open_deals_grid,
    sales_vs_crm_grid,
    win_rate_bars,
    win_rate_grid,
)
from components.state import empty_state, section
from data import pipeline
from data.dimensions import DIMENSIONS
from data.filters import Filters, describe_period

PAGE = "pipeline"
BY_CHOICES = {name: DIMENSIONS[name].label for name in pipeline.WIN_RATE_BY}
FUNNEL_BY = {"branch": "Branch", "salesperson": "Salesperson", "product_line": "Product line"}
NO_DEALS = "No opportunities match these filters"
NO_DEALS_HINT = ("Widen the date range or clear a filter. No CRM data yet? Load it with "
                 "`mauzo ingest FILE --dataset pipeline`.")
DATE_RULE = "Dates apply to the close date of closed deals and to the engage date of open ones."


def _with_sample_note(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.when(pl.col("small_sample")).then(pl.lit(f"under {pipeline.SMALL_SAMPLE} closed"))
                              .otherwise(pl.lit("")).alias("sample_note"))


def funnel_table(filters: Filters, by: str) -> pl.DataFrame:
    """The funnel per ``by`` value, one row each: what entered each step and the share lost there."""
    steps = pipeline.funnel(filters, by=by)
    if steps.is_empty():
        return steps
    wide = steps.pivot(on="step", index=by, values=["entered", "lost_pct", "decided_lost_pct"])
    renamed = {f"{value}_{step}": f"{step}_{value}" for step in ("qualification", "closing")
               for value in ("entered", "lost_pct", "decided_lost_pct")}
    return wide.rename({k: v for k, v in renamed.items() if k in wide.columns}).sort(by)


register_table(PAGE, "pl-winrates", "Win rates by salesperson",
               lambda f: _with_sample_note(pipeline.win_rates(f, "salesperson")))
register_table(PAGE, "pl-funnel", "Funnel by branch", lambda f: funnel_table(f, "branch"))
register_table(PAGE, "pl-cycle", "Cycle by salesperson", lambda f: pipeline.cycle(f)["by_salesperson"])
register_table(PAGE, "pl-assignment", "Lead assignment", pipeline.assignment)
register_table(PAGE, "pl-open", "Open deals", lambda f: pipeline.open_pipeline(f, limit=100_000)["oldest"])
register_table(PAGE, "pl-sales", "Sales GP vs win rate", pipeline.sales_vs_crm)


def _control(label: str, control_id: str, choices: dict[str, str], value: str) -> html.Div:
    return html.Div([
        html.Span(label, className="small text-muted me-2"),
        dcc.Dropdown(id=control_id, options=[{"label": v, "value": k} for k, v in choices.items()], value=value,
                     clearable=False, searchable=False, style={"minWidth": "180px"}),
    ], className="d-flex align-items-center")


def layout(**_query: object) -> html.Div:
    return html.Div([
        page_header("Pipeline", "Why are deals lost, and do the best closers get the best leads?", PAGE),
        section("pl-note", min_height=24),
        section("pl-kpis", min_height=110),
        html.Div(_control("Win rate by", "pl-by", BY_CHOICES, "salesperson"), className="mt-3 mb-2"),
        section("pl-winrates", min_height=420),
        dbc.Row([
            dbc.Col(section("pl-funnel", min_height=320), lg=6),
            dbc.Col(section("pl-insights", min_height=320), lg=6),
        ], className="g-3 mt-1"),
        html.Div(_control("Funnel by", "pl-funnel-by", FUNNEL_BY, "branch"), className="mt-3 mb-2"),
        section("pl-funnel-by-table", min_height=320),
        section("pl-cycle", min_height=360, className="mt-3"),
        section("pl-assignment", min_height=420, className="mt-3"),
        section("pl-open", min_height=360, className="mt-3"),
        section("pl-sales", min_height=360, className="mt-3"),
    ])


def _period(filters: Filters) -> str:
    return describe_period(filters.start, filters.end)


def _no_deals() -> html.Div:
    return empty_state(NO_DEALS, NO_DEALS_HINT)


@section_callback("pl-note")
def note_section(filters: Filters) -> html.Div:
    view = pipeline.applicable(filters)
    parts: list[Any] = [DATE_RULE]
    if view.not_applied:
        names = ", ".join(d.label.lower() for d in view.not_applied)
        parts.append(f" The {names} filter does not apply to opportunities (they carry no such field) and is "
                     "ignored on this page.")
    return html.Div(parts, className="small text-muted", id="pipeline-date-rule")


@section_callback("pl-kpis")
def kpi_section(filters: Filters) -> Any:
    totals = pipeline.summary(filters)
    if not totals.get("opportunities"):
        return _no_deals()
    rate = (f"{pct(totals['win_rate_pct'])}" if totals.get("win_rate_pct") is not None else "—")
    interval = (f"95%: {pct(totals['win_rate_low_pct'])}–{pct(totals['win_rate_high_pct'])}"
                if totals.get("win_rate_low_pct") is not None else "no closed deals")
    cycle_won, cycle_lost = totals.get("median_cycle_won_days"), totals.get("median_cycle_lost_days")
    items = [
        ("Opportunities", count(totals["opportunities"]),
         f"{count(totals['won'])} won · {count(totals['lost'])} lost · {count(totals['open_deals'])} open", "opps"),
        ("Win rate", rate, interval + (" · few deals" if totals["small_sample"] else ""), "win-rate"),
        ("Won value", ksh(totals["won_value"]), f"avg {ksh(totals.get('avg_won_value'))} per deal", "won-value"),
        ("Open pipeline", ksh(totals["open_value"]), "value of open deals where known"
         if totals["open_value"] is not None else "the CRM gives no values for open deals", "open-value"),
        ("Median cycle", f"{cycle_won:.0f} d" if cycle_won is not None else "—",
         f"won; lost {cycle_lost:.0f} d" if cycle_lost is not None else "won deals", "cycle"),
    ]
    cards = [dbc.Col(html.Div([html.Div(label, className="kpi-label"),
                               html.Div(value, className="kpi-value", id=f"pl-kpi-{key}"),
                               html.Div(note, className="small text-muted")],
                              className="mauzo-kpi shadow-sm p-2 p-md-3"), xs=6, md=4, xl=True)
             for label, value, note, key in items]
    as_of = totals.get("as_of")
    when = f"{_period(filters)}; open deals aged to {as_of:%d %b %Y} (the latest CRM activity)" if as_of else ""
    return html.Div([html.Div(when, className="small text-muted mb-2"), dbc.Row(cards, className="g-2 g-md-3")])


@section_callback("pl-winrates", Input("pl-by", "value"))
def win_rate_section(filters: Filters, by: str | None = "salesperson") -> Any:
    by = by if by in BY_CHOICES else "salesperson"
    frame = pipeline.win_rates(filters, by)
    if frame.is_empty():
        return _no_deals()
    label = BY_CHOICES[by].lower()
    flagged = frame.filter(pl.col("small_sample")).height
    subtitle = (f"{_period(filters)} · ranked by the low end of the 95% interval; {flagged} with fewer than "
                f"{pipeline.SMALL_SAMPLE} closed deals are grey and unranked")
    graph_id = xfilter_id(by, "pl-winrates", "y") if DIMENSIONS[by].cross_filter else None
    chart = graph(win_rate_bars(frame, by, label, subtitle), f"mauzo-win-rate-{by}", graph_id)
    grid = win_rate_grid({"type": "pl-grid", "src": "winrates"}, _with_sample_note(frame), by, BY_CHOICES[by])
    return dbc.Row([dbc.Col(card(chart), xl=6),
                    dbc.Col(card(grid, title=f"Win rates by {label}", subtitle="Counts, interval and cycle",
                                 csv_key="pl-winrates"), xl=6)], className="g-3")


@section_callback("pl-funnel")
def funnel_section(filters: Filters) -> Any:
    steps = pipeline.funnel(filters)
    if steps.is_empty():
        return _no_deals()
    lost = steps["lost"].sum()
    early = steps.filter(pl.col("step") == "qualification")["lost"].sum()
    note = (f"{pct(early / lost * 100 if lost else None)} of lost deals were lost before engagement "
            "(qualification), the rest after (closing).")
    return card(html.Div([graph(funnel_bars(steps, _period(filters)), "mauzo-funnel"),
                          html.Div(note, className="small text-muted", id="pipeline-funnel-note")]))


@section_callback("pl-funnel-by-table", Input("pl-funnel-by", "value"))
def funnel_by_section(filters: Filters, by: str | None = "branch") -> Any:
    by = by if by in FUNNEL_BY else "branch"
    table = funnel_table(filters, by)
    if table.is_empty():
        return _no_deals()
    return card(funnel_grid({"type": "pl-grid", "src": "funnel"}, table, by, FUNNEL_BY[by]),
                title=f"Funnel leaks by {FUNNEL_BY[by].lower()}",
                subtitle="Share lost at each step: qualification (before engagement) and closing (after)",
                csv_key="pl-funnel")


@section_callback("pl-cycle")
def cycle_section(filters: Filters) -> Any:
    result = pipeline.cycle(filters)
    if result["histogram"].is_empty():
        return _no_deals()
    overall = result["overall"].row(0, named=True)
    subtitle = (f"{_period(filters)} · median {overall['median_cycle_won_days']:.0f} days to win, "
                f"{overall['median_cycle_lost_days']:.0f} to lose" if overall["median_cycle_won_days"] is not None
                and overall["median_cycle_lost_days"] is not None else _period(filters))
    people = cycle_grid({"type": "pl-grid", "src": "cycle"}, result["by_salesperson"], "salesperson", "Salesperson")
    lines = cycle_grid({"type": "pl-grid", "src": "cycle-lines"}, result["by_product_line"], "product_line",
                       "Product line")
    return dbc.Row([
        dbc.Col(card(graph(cycle_histogram(result["histogram"], subtitle), "mauzo-sales-cycle")), xl=6),
        dbc.Col(card(html.Div([people, html.Div(lines, className="mt-2")]), title="Median cycle",
                     subtitle="Per salesperson and per product line", csv_key="pl-cycle"), xl=6),
    ], className="g-3")


@section_callback("pl-assignment")
def assignment_section(filters: Filters) -> Any:
    people = pipeline.assignment(filters)
    if people.is_empty():
        return _no_deals()
    sentences = pipeline.standouts(people)
    subtitle = ("Lead quality = the win rate of each lead's segment (product × sector) among the other "
                "salespeople; skill = actual win rate − that prediction")
    return card(html.Div([
        graph(assignment_scatter(people, _period(filters)), "mauzo-lead-assignment"),
        html.Ul([html.Li(s, className="mauzo-insight") for s in sentences], className="mb-0", id="pipeline-standouts")
        if sentences else html.Div("Too few closed deals per salesperson to judge lead assignment.",
                                   className="small text-muted"),
    ]), title="Are our best closers working on low-quality leads?", subtitle=subtitle, csv_key="pl-assignment")


@section_callback("pl-open")
def open_section(filters: Filters) -> Any:
    result = pipeline.open_pipeline(filters)
    if not result["total"]:
        return empty_state("No open deals in this view", "Open deals are dated by their engage date.")
    usual = result["usual_cycle_days"]
    rule = (f"flagged when older than the usual cycle ({usual:.0f} days, the median of won deals)" if usual is not None
            else "no won deals to set a usual cycle")
    subtitle = f"{count(result['total'])} open deals · age in days to {result['as_of']:%d %b %Y}"
    return dbc.Row([
        dbc.Col(card(graph(open_by_stage_bars(result["by_stage"], subtitle), "mauzo-open-pipeline")), xl=5),
        dbc.Col(card(open_deals_grid({"type": "pl-grid", "src": "open"}, result["oldest"]), title="Oldest open deals",
                     subtitle=f"Oldest first, {rule} (the CSV has every open deal)", csv_key="pl-open"), xl=7),
    ], className="g-3")


@section_callback("pl-sales")
def sales_section(filters: Filters) -> Any:
    frame = pipeline.sales_vs_crm(filters)
    if frame.is_empty():
        return empty_state("No salesperson appears in both the sales lines and the CRM for this view",
                           "GP comes from sales lines and win rates from the CRM: the names must match.")
    return card(sales_vs_crm_grid({"type": "pl-grid", "src": "sales"}, frame),
                title="Profitable and efficient, or profitable by volume alone?",
                subtitle="Gross profit from sales lines next to the CRM win rate (medians split the verdicts)",
                csv_key="pl-sales")


@section_callback("pl-insights")
def insights_section(filters: Filters) -> Any:
    found = pipeline.pipeline_insights(filters)
    if not found:
        return _no_deals()
    return card(html.Div([html.P(text, className="mauzo-insight") for text in found], id="pipeline-insights"),
                title="Insights", subtitle=f"Computed from {_period(filters)}")


dash.register_page(__name__, path="/pipeline", name="Pipeline", order=5, layout=layout, title="Mauzo · Pipeline")
