"""Salespeople: who earns the gross profit, do they sell high-margin products, and what does one
person's year look like?"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import polars as pl
from dash import ALL, Input, Output, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from components.callbacks import section_callback
from components.charts import revenue_profit_trend
from components.exports import register_table
from components.format import count, ksh, margin
from components.layout import card, graph, page_header, scroll_x, xfilter_id
from components.salespeople_charts import (
    LEADERBOARD_GRID,
    MARGIN_GRAPH,
    leaderboard_grid,
    margin_map,
    mix_heatmap,
    person_mix_bars,
)
from components.state import NoData, empty_state, section
from data.filters import Filters, describe_period
from data.periods import auto_grain
from data.queries import breakdown, filter_options, period_label, resolve_period, summary, trend
from data.salespeople import RANK_GAP_ALERT, leaderboard, margin_drivers, person_mix, product_mix

PAGE = "salespeople"
PICK = "sp-pick"
CLEAR = "sp-clear"

register_table(PAGE, "sp-leaderboard", "Leaderboard", leaderboard)
register_table(PAGE, "sp-margin", "Margin drivers", margin_drivers)
register_table(PAGE, "sp-mix", "Product mix", product_mix)



def _salespeople() -> list[str]:
    try:
        return filter_options().get("salespeople", [])
    except Exception:  # noqa: BLE001 - the picker is a convenience; sections show data errors
        return []


def layout(**_query: object) -> html.Div:
    picker = html.Div(
        [
            html.Div([html.H3("Drill-down", className="card-title mb-0"),
                      html.Div("Click a row in the leaderboard or a bubble in the chart, or pick a name.",
                               className="card-subtitle")]),
            html.Div([
                dcc.Dropdown(id=PICK, options=_salespeople(), placeholder="Pick a salesperson", clearable=True,
                             style={"minWidth": "220px"}),
                dbc.Button("Clear", id=CLEAR, size="sm", color="secondary", outline=True),
            ], className="d-flex gap-2 align-items-center flex-wrap"),
        ],
        className="d-flex flex-wrap justify-content-between align-items-start gap-2 mb-2",
    )
    return html.Div([
        page_header("Salespeople", "Who earns the gross profit, and do they sell the products that pay?", PAGE),
        section("sp-leaderboard", min_height=480),
        dbc.Row([
            dbc.Col(section("sp-margin", min_height=520), lg=6),
            dbc.Col(html.Div([picker, section("sp-drill", min_height=200)], className="mauzo-card shadow-sm",
                             id="sp-drill-card"), lg=6),
        ], className="g-3 mt-1"),
        section("sp-mix", min_height=400, className="mt-3"),
    ])


def picked_salesperson(source: str, value: Any) -> str | None:
    """The salesperson named by a grid selection or a chart click (None when it names nobody)."""
    if source == "grid":
        rows = value or []
        return rows[0].get("salesperson") if rows and isinstance(rows[0], dict) else None
    points = (value or {}).get("points") or []
    data = points[0].get("customdata") if points else None
    name = data[0] if isinstance(data, list) and data else data
    return name if isinstance(name, str) and name else None


@callback(
    Output(PICK, "value"),
    Output({"type": LEADERBOARD_GRID["type"], "src": ALL}, "selectedRows"),
    Input({"type": LEADERBOARD_GRID["type"], "src": ALL}, "selectedRows"),
    Input({"type": MARGIN_GRAPH["type"], "src": ALL}, "clickData"),
    Input(CLEAR, "n_clicks"),
    prevent_initial_call=True,
)
def pick(rows: list, _clicks: list, _clear: int | None) -> tuple[str | None, list]:
    """Grid rows and chart bubbles choose who the drill-down shows; Clear empties it. A pick
    from elsewhere unselects the grid row, so the grid never highlights someone else."""
    trigger = ctx.triggered_id
    unselect = [[] for _ in rows]
    if trigger == CLEAR:
        return None, unselect
    if not isinstance(trigger, dict) or not ctx.triggered:
        raise PreventUpdate
    from_grid = trigger.get("type") == LEADERBOARD_GRID["type"]
    name = picked_salesperson("grid" if from_grid else "graph", ctx.triggered[0].get("value"))
    if name is None:
        raise PreventUpdate
    return name, [no_update for _ in rows] if from_grid else unselect


@section_callback("sp-leaderboard")
def leaderboard_section(filters: Filters) -> html.Div:
    frame = leaderboard(filters)
    if frame.is_empty():
        raise NoData
    flagged = frame.filter(pl.col("rank_gap").abs() >= RANK_GAP_ALERT).height
    note = (f"{count(frame.height)} salespeople · {period_label(filters)}. Rank gap = revenue rank − GP rank; "
            f"{flagged} differ by {RANK_GAP_ALERT}+ places (highlighted). Click a row to drill down.")
    return card(leaderboard_grid(frame), title="Leaderboard by gross profit", subtitle=note,
                csv_key="sp-leaderboard")


@section_callback("sp-margin")
def margin_section(filters: Filters) -> html.Div:
    frame = margin_drivers(filters)
    if frame.is_empty():
        raise NoData
    figure = margin_map(frame, summary(filters)["margin_pct"][0], period_label(filters))
    return card(graph(figure, "mauzo-salespeople-margin", MARGIN_GRAPH), csv_key="sp-margin")


@section_callback("sp-mix")
def mix_section(filters: Filters) -> html.Div:
    frame = product_mix(filters)
    if frame.is_empty():
        raise NoData
    line_order = breakdown(filters, "product_line")["product_line"].to_list()
    figure = mix_heatmap(frame, line_order, f"{period_label(filters)} · click a cell to filter")
    chart = graph(figure, "mauzo-salespeople-mix", xfilter_id("product_line", "sp-mix", axis="x"))
    # A matrix needs its width: narrow screens scroll it sideways, with a hint that says so.
    return card(scroll_x(chart, "every product line"), csv_key="sp-mix")


@section_callback("sp-drill", Input(PICK, "value"))
def drill_section(filters: Filters, salesperson: str | None) -> html.Div:
    default = not salesperson
    if default:
        # Until someone is picked, show the top earner rather than an empty card.
        top = leaderboard(filters)
        if top.is_empty():
            raise NoData
        salesperson = top["salesperson"][0]
    mix = person_mix(filters, salesperson)
    if mix.is_empty():
        return empty_state(f"No sales by {salesperson} match these filters")
    start, end = resolve_period(filters)
    grain = auto_grain(start, end)
    series = trend(filters.with_selection(salesperson=[salesperson]).with_dates(start, end), grain)
    people = leaderboard(filters).filter(pl.col("salesperson") == salesperson)
    period = describe_period(start, end)
    note = html.Div("Showing the top salesperson by gross profit until you pick one.",
                    className="small text-muted", id="sp-drill-hint") if default else None
    summary = html.Div([html.Div(id="sp-drill-name", children=[html.Strong(salesperson), _headline(people)]), note],
                       className="mb-2")
    return html.Div([
        summary,
        graph(revenue_profit_trend(series, grain, f"{salesperson} · {period}"), "mauzo-salesperson-trend"),
        graph(person_mix_bars(mix, salesperson, period), "mauzo-salesperson-mix"),
    ])


def _headline(people: pl.DataFrame) -> html.Span:
    if people.is_empty():
        return html.Span()
    row = people.row(0, named=True)
    return html.Span(
        f" · #{row['gp_rank']} by gross profit ({ksh(row['gross_profit'])}, margin {margin(row['margin_pct'])}), "
        f"#{row['revenue_rank']} by revenue ({ksh(row['revenue'])}) · {count(row['transactions'])} transactions, "
        f"{count(row['customers'])} customers",
        className="text-muted",
    )


dash.register_page(__name__, path="/salespeople", name="Salespeople", order=1, layout=layout,
                   title="Mauzo · Salespeople")
