"""Products: which lines and items make the profit, which dilute it, and is the selling effort
going where the margin is?"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, html

from components.callbacks import section_callback
from components.exports import register_table
from components.layout import card, graph, page_header, xfilter_id
from components.product_charts import alignment_chart, items_grid, profit_treemap, share_pairs
from components.state import NoData, section
from components.theme import color_map
from data.filters import Filters
from data.products import (
    BASES,
    LEVELS,
    alignment,
    alignment_table,
    bottom_items,
    bottom_order,
    hierarchy,
    items,
    line_profitability,
    overall_margin,
    top_items,
)
from data.queries import filter_options, period_label

PAGE = "products"
LEVEL_INPUT = "pr-align-level"
BASIS_INPUT = "pr-align-basis"
ITEMS_SHOWN = 10

register_table(PAGE, "pr-lines", "Product lines", line_profitability)
register_table(PAGE, "pr-items-top", "Items by GP", items)
register_table(PAGE, "pr-items-bottom", "Items worst first", lambda f: bottom_order(items(f)))
for _level, _label in LEVELS.items():
    register_table(PAGE, f"pr-alignment-{_level}", f"Alignment {_label.lower()}",
                   lambda f, level=_level: alignment_table(f, level))
register_table(PAGE, "pr-treemap", "Profit tree", hierarchy)



def _controls() -> html.Div:
    """Which grouping and which measure of selling effort the alignment chart uses."""
    return html.Div(
        [
            dbc.RadioItems(id=LEVEL_INPUT, options=[{"label": label, "value": key} for key, label in LEVELS.items()],
                           value="product_line", inline=True, className="small"),
            dbc.RadioItems(id=BASIS_INPUT,
                           options=[{"label": f"Share of {label}", "value": key} for key, label in BASES.items()],
                           value="revenue", inline=True, className="small"),
        ],
        className="d-flex flex-wrap gap-3 mb-2 px-1",
    )


def layout(**_query: object) -> html.Div:
    return html.Div([
        page_header("Products", "Which products make the profit, and is the selling effort going where the margin is?",
                    PAGE),
        dbc.Row([
            dbc.Col(section("pr-lines", min_height=520), lg=6),
            dbc.Col(html.Div([_controls(), section("pr-alignment", min_height=480)]), lg=6),
        ], className="g-3"),
        dbc.Row([
            dbc.Col(section("pr-top-items", min_height=420), xs=12),
            dbc.Col(section("pr-bottom-items", min_height=420), xs=12),
        ], className="g-3 mt-1"),
        section("pr-treemap", min_height=560, className="mt-3"),
    ])


@section_callback("pr-lines")
def lines_section(filters: Filters) -> html.Div:
    frame = line_profitability(filters)
    if frame.is_empty():
        raise NoData
    figure = share_pairs(frame, f"{period_label(filters)} · click a line to filter")
    return card(graph(figure, "mauzo-product-lines", xfilter_id("product_line", "pr-lines", axis="y")),
                csv_key="pr-lines")


@section_callback("pr-alignment", Input(LEVEL_INPUT, "value"), Input(BASIS_INPUT, "value"))
def alignment_section(filters: Filters, level: str | None, basis: str | None) -> html.Div:
    level = level if level in LEVELS else "product_line"
    basis = basis if basis in BASES else "revenue"
    frame, guides = alignment(filters, level, basis)
    if frame.is_empty():
        raise NoData
    colors = color_map(filter_options()["productLines"], "product_line")
    figure = alignment_chart(frame, guides, colors, period_label(filters))
    graph_id = xfilter_id("product_line", "pr-alignment", axis="customdata")
    return card(graph(figure, "mauzo-product-alignment", graph_id), csv_key=f"pr-alignment-{level}")


@section_callback("pr-top-items")
def top_items_section(filters: Filters) -> html.Div:
    frame = items(filters)
    if frame.is_empty():
        raise NoData
    return card(items_grid("pr-top-grid", top_items(frame, ITEMS_SHOWN)),
                title=f"Top {ITEMS_SHOWN} items by gross profit",
                subtitle=f"{period_label(filters)} · of {frame.height:,} items sold (CSV has them all)",
                csv_key="pr-items-top")


@section_callback("pr-bottom-items")
def bottom_items_section(filters: Filters) -> html.Div:
    frame = items(filters)
    if frame.is_empty():
        raise NoData
    worst = bottom_items(frame, ITEMS_SHOWN)
    losses = frame.filter(frame["gross_profit"] < 0).height
    lead = f"{losses:,} loss-making items first, then" if losses else "No loss-making items; shown:"
    return card(items_grid("pr-bottom-grid", worst),
                title=f"Bottom {ITEMS_SHOWN} items: loss-makers and lowest margins",
                subtitle=f"{period_label(filters)} · {lead} the lowest GP margins",
                csv_key="pr-items-bottom")


@section_callback("pr-treemap")
def treemap_section(filters: Filters) -> html.Div:
    nodes = hierarchy(filters)
    if nodes.is_empty() or not nodes["size"].sum():
        raise NoData
    figure = profit_treemap(nodes, overall_margin(filters), period_label(filters))
    return card(graph(figure, "mauzo-product-treemap"), csv_key="pr-treemap")


dash.register_page(__name__, path="/products", name="Products", order=2, layout=layout, title="Mauzo · Products")
