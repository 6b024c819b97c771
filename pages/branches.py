"""Branches: which branches grow or slip, how they trend, and which product lines earn their profit."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import polars as pl
from dash import Input, dcc, html

from components.branch_charts import (
    HEATMAP_VALUES,
    TREND_METRICS,
    branch_growth_bars,
    branch_line_heatmap,
    branch_trend_lines,
)
from components.branch_table import comparison_grid
from components.callbacks import section_callback
from components.exports import register_table
from components.format import margin
from components.layout import card, graph, page_header, scroll_x, xfilter_id
from components.state import NoData, section
from components.theme import color_map
from data.branches import branch_comparison
from data.filters import Filters, describe_period
from data.metrics import METRICS
from data.periods import auto_grain
from data.queries import (
    comparison_label,
    dimension_trend,
    filter_options,
    matrix,
    period_label,
    previous_period,
    resolve_period,
    summary,
)

PAGE = "branches"
DEFAULT_TREND_METRIC = "gross_profit"
DEFAULT_HEATMAP_VALUE = "gross_profit"
# Heatmap click target -> (dimension, point attribute holding its value).
CLICK_TARGETS: dict[str, tuple[str, str]] = {"branch": ("branch", "y"), "product_line": ("product_line", "x")}



def _branch_colors() -> dict[str, str]:
    return color_map(filter_options()["branches"], "branch")


def _trend_table(filters: Filters) -> pl.DataFrame:
    return dimension_trend(filters, "branch", auto_grain(*resolve_period(filters)))


def _matrix_table(filters: Filters) -> pl.DataFrame:
    return matrix(filters, "branch", "product_line")


register_table(PAGE, "branches-comparison", "Branch comparison", branch_comparison)
register_table(PAGE, "branches-trend", "Branch trend", _trend_table)
register_table(PAGE, "branches-matrix", "Branch x product line", _matrix_table)


def _control(label: str, control: object) -> html.Div:
    return html.Div([html.Label(label, className="small text-muted me-2 mb-0"), control],
                    className="d-flex flex-wrap align-items-center gap-1")


def layout(**_query: object) -> html.Div:
    trend_metric = dcc.Dropdown(
        id="branches-trend-metric", value=DEFAULT_TREND_METRIC, clearable=False, searchable=False,
        options=[{"label": METRICS[m].label, "value": m} for m in TREND_METRICS], style={"minWidth": "220px"},
    )
    heat_value = dbc.RadioItems(
        id="branches-heatmap-value", value=DEFAULT_HEATMAP_VALUE, inline=True,
        options=[{"label": label, "value": key} for key, (label, _) in HEATMAP_VALUES.items()],
    )
    heat_click = dbc.RadioItems(
        id="branches-heatmap-click", value="branch", inline=True,
        options=[{"label": "Branch", "value": "branch"}, {"label": "Product line", "value": "product_line"}],
    )
    return html.Div([
        page_header("Branches", "Which branches are growing or slipping, and where does each earn its profit?",
                    PAGE),
        section("branches-comparison", min_height=420),
        html.Div([
            _control("Trend metric", trend_metric),
        ], className="d-flex flex-wrap gap-3 mt-3 mb-2"),
        section("branches-trend", min_height=420),
        html.Div([
            _control("Heatmap shows", heat_value),
            _control("A click filters by", heat_click),
        ], className="d-flex flex-wrap gap-3 mt-3 mb-2"),
        section("branches-heatmap", min_height=380),
    ])


def _growth_note(filters: Filters, frame: pl.DataFrame) -> str:
    previous = previous_period(filters)
    before = describe_period(previous.start, previous.end) if previous else "the previous period"
    if frame["prev_gross_profit"].is_null().all():
        return (f"No sales in {before}, the comparison period, so growth cannot be computed: choose a shorter "
                "date range or another comparison.")
    return f"Growth {comparison_label(filters)}. Click a bar to filter by that branch."


@section_callback("branches-comparison")
def comparison_section(filters: Filters) -> dbc.Row:
    frame = branch_comparison(filters)
    if frame.is_empty():
        raise NoData
    period = period_label(filters)
    figure = branch_growth_bars(frame, _branch_colors(), period)
    chart = card(html.Div([
        graph(figure, "mauzo-branch-growth", xfilter_id("branch", "branches-growth", "y")),
        html.Div(_growth_note(filters, frame), className="small text-muted", id="branches-growth-note"),
    ]))
    table = card(comparison_grid("branches-comparison-grid", frame), title="Branch comparison",
                 subtitle=f"{period}; growth {comparison_label(filters)}", csv_key="branches-comparison")
    # Side by side only from 1400 px: below that the table's eight columns (money to the shilling)
    # would not fit beside the chart, and its last column would be cut off.
    return dbc.Row([dbc.Col(chart, xxl=4), dbc.Col(table, xxl=8)], className="g-3")


@section_callback("branches-trend", Input("branches-trend-metric", "value"))
def trend_section(filters: Filters, metric: str | None = DEFAULT_TREND_METRIC) -> html.Div:
    metric = metric if metric in TREND_METRICS else DEFAULT_TREND_METRIC
    start, end = resolve_period(filters)
    grain = auto_grain(start, end)
    frame = dimension_trend(filters, "branch", grain)
    if frame.is_empty():
        raise NoData
    figure = branch_trend_lines(frame, metric, grain, _branch_colors(), describe_period(start, end))
    return card(html.Div([
        graph(figure, f"mauzo-branch-trend-{metric}", "branches-trend-graph"),
        html.Div("Click a branch in the legend to hide it; double-click to show it alone.",
                 className="small text-muted"),
    ]), csv_key="branches-trend")


@section_callback("branches-heatmap", Input("branches-heatmap-value", "value"),
                  Input("branches-heatmap-click", "value"))
def heatmap_section(filters: Filters, value: str | None = DEFAULT_HEATMAP_VALUE,
                    click: str | None = "branch") -> html.Div:
    value = value if value in HEATMAP_VALUES else DEFAULT_HEATMAP_VALUE
    dimension, axis = CLICK_TARGETS.get(click or "", CLICK_TARGETS["branch"])
    frame = matrix(filters, "branch", "product_line")
    if frame.is_empty():
        raise NoData
    overall = summary(filters)["margin_pct"][0]
    figure = branch_line_heatmap(frame, value, period_label(filters), overall_margin=overall)
    note = ("Colours are centred on the overall margin of this view "
            f"({margin(overall)}): red cells earn below it." if value == "margin_pct" and overall is not None else
            "Darker cells earn more.")
    chart = graph(figure, f"mauzo-branch-product-line-{value}", xfilter_id(dimension, "branches-heatmap", axis))
    return card(html.Div([
        scroll_x(chart, "every product line"),  # a phone scrolls the heatmap, not the page
        html.Div(note, className="small text-muted"),
    ]), csv_key="branches-matrix")


dash.register_page(__name__, path="/branches", name="Branches", order=3, layout=layout, title="Mauzo · Branches")
