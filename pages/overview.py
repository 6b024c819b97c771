"""Overview: how is the business doing in this period, and where does the profit come from?"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import polars as pl
from dash import html

from components.callbacks import section_callback
from components.charts import ranked_bars, revenue_profit_trend
from components.exports import register_table
from components.kpi import kpi_card
from components.layout import card, graph, page_header, xfilter_id
from components.state import NoData, empty_state, section
from components.theme import color_map
from data.filters import Filters, describe_period
from data.insights import TOO_LITTLE_DATA, TOO_LITTLE_HINT, account_customers, insights
from data.metrics import METRICS, add_shares
from data.periods import auto_grain
from data.queries import KPI_METRICS, breakdown, filter_options, kpis, period_label, resolve_period, summary, trend

PAGE = "overview"



def _kpi_table(filters: Filters) -> pl.DataFrame:
    result = kpis(filters)
    return pl.DataFrame([
        {"metric": METRICS[name].label, "value": item["value"], "previous": item["previous"],
         "change": item["change"], "change_unit": item["changeUnit"]}
        for name, item in result["metrics"].items()
    ], schema={"metric": pl.String, "value": pl.Float64, "previous": pl.Float64, "change": pl.Float64,
               "change_unit": pl.String})


def _trend_table(filters: Filters) -> pl.DataFrame:
    start, end = resolve_period(filters)
    return trend(filters, auto_grain(start, end))


def _top(dimension: str):  # type: ignore[no-untyped-def]
    def build(filters: Filters) -> pl.DataFrame:
        frame = breakdown(filters, dimension)
        if dimension != "customer" or frame.is_empty():
            return frame
        # Shares among account customers, as on the Customers page (walk-in sales are not a customer).
        accounts = account_customers(frame).drop([c for c in frame.columns if c.endswith("_share_pct")])
        return add_shares(accounts, ("revenue", "gross_profit", "transactions"))
    return build


register_table(PAGE, "overview-kpis", "KPIs", _kpi_table)
register_table(PAGE, "overview-trend", "Trend", _trend_table)
for _dim, _label in (("salesperson", "Salespeople"), ("product_line", "Product lines"), ("branch", "Branches"),
                     ("customer", "Customers")):
    register_table(PAGE, f"overview-top-{_dim}", f"Top {_label.lower()}", _top(_dim))


def layout(**_query: object) -> html.Div:
    return html.Div([
        page_header("Overview", "How is the business doing, and where does the gross profit come from?", PAGE),
        section("overview-kpis", min_height=150),
        dbc.Row([
            dbc.Col(section("overview-trend", min_height=360), lg=8),
            dbc.Col(section("overview-insights", min_height=360), lg=4),
        ], className="g-3 mt-1"),
        section("overview-top", min_height=300, className="mt-3"),
    ])


@section_callback("overview-kpis")
def kpi_section(filters: Filters) -> dbc.Row:
    result = kpis(filters)
    if not result["lines"]:
        raise NoData
    start, end = result["period"]["start"], result["period"]["end"]
    grain = auto_grain(start, end)
    series = trend(filters.with_dates(start, end), grain)
    prev = result["previousPeriod"]
    previous_label = describe_period(prev["start"], prev["end"]) if prev["start"] else "the previous period"
    how = "the same period last year" if result["comparison"] == "lastYear" else "the previous period of equal length"
    cards = dbc.Row(
        [
            dbc.Col(kpi_card(METRICS[name], result["metrics"][name], series[name].to_list()), xs=6, md=4, xl=True)
            for name in KPI_METRICS
        ],
        className="g-2 g-md-3",
    )
    note = html.Div(
        f"{describe_period(start, end)}, compared with {how} ({previous_label}). "
        f"Sparklines: {grain}ly values.".replace("dayly", "daily"),
        className="small text-muted mb-2", id="kpi-period-note",
    )
    return html.Div([note, cards])


@section_callback("overview-trend")
def trend_section(filters: Filters) -> html.Div:
    start, end = resolve_period(filters)
    grain = auto_grain(start, end)
    frame = trend(filters, grain)
    if frame.is_empty():
        raise NoData
    figure = revenue_profit_trend(frame, grain, describe_period(start, end))
    return card(graph(figure, "mauzo-trend"), csv_key="overview-trend")


@section_callback("overview-insights")
def insights_section(filters: Filters) -> html.Div:
    found = insights(filters)
    if not found:
        if not summary(filters)["lines"][0]:
            raise NoData
        # Sales exist, but none of them supports a sentence: say that, not "no sales".
        return card(empty_state(TOO_LITTLE_DATA, TOO_LITTLE_HINT), title="Insights",
                    subtitle=f"Computed from {period_label(filters)}")
    return card(
        html.Div([html.P(item.text, className="mauzo-insight", id=f"insight-{item.key}") for item in found]),
        title="Insights", subtitle=f"Computed from {period_label(filters)}",
    )


@section_callback("overview-top")
def top_section(filters: Filters) -> dbc.Row:
    period = period_label(filters)
    options = filter_options()
    colors = {"branch": color_map(options["branches"], "branch"),
              "product_line": color_map(options["productLines"], "product_line")}
    blocks = []
    for dimension, label in (("salesperson", "salespeople"), ("product_line", "product lines"),
                             ("branch", "branches"), ("customer", "customers")):
        frame = _top(dimension)(filters)
        if frame.is_empty():
            if dimension != "customer":
                raise NoData
            # e.g. a store whose files carry no customer column: only this block is empty.
            body = card(empty_state("No account customers in this view",
                                    "Walk-in, cash and unassigned sales are not ranked as customers."),
                        title=f"Top 5 {label} by gross profit", subtitle=period)
        else:
            figure = ranked_bars(frame, dimension, f"Top 5 {label} by gross profit", period,
                                 colors=colors.get(dimension))
            graph_id = xfilter_id(dimension, f"overview-top-{dimension}") if dimension in colors else None
            body = card(graph(figure, f"mauzo-top-{dimension}", graph_id), csv_key=f"overview-top-{dimension}")
        blocks.append(dbc.Col(body, lg=6))
    return dbc.Row(blocks, className="g-3")


dash.register_page(__name__, path="/", name="Overview", order=0, layout=layout, title="Mauzo · Overview")
