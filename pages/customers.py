"""Customers: who brings the profit, how concentrated it is, and what the best customers do differently."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import polars as pl
from dash import Input, html

from components.callbacks import section_callback
from components.customer_charts import pareto_chart, preference_bars, tier_chart, top_customers_bars
from components.customer_profile import profile_sentence, profile_table
from components.exports import register_table
from components.format import ksh, pct
from components.grid import count_column, data_grid, margin_column, money_column, pct_column, text_column
from components.layout import card, graph, page_header, xfilter_id
from components.state import NoData, section
from data.customers import (
    account_profiles,
    customer_table,
    ideal_profile,
    non_account_summary,
    pareto_curve,
    pareto_point,
    preferences,
    tier_summary,
    top_tier_customers,
)
from data.filters import Filters
from data.queries import period_label

PAGE = "customers"
TOP_N = 10
PAGE_SIZE = 15
SEARCH_ID = "customer-search"



def _pareto_table(filters: Filters) -> pl.DataFrame:
    return pareto_curve(account_profiles(filters))


def _prefs(dimension: str):  # type: ignore[no-untyped-def]
    def build(filters: Filters) -> pl.DataFrame:
        return preferences(filters, dimension)
    return build


def _all_customers(filters: Filters) -> pl.DataFrame:
    return customer_table(filters)


register_table(PAGE, "customers-ranking", "Customer ranking", account_profiles)
register_table(PAGE, "customers-pareto", "Pareto curve", _pareto_table)
register_table(PAGE, "customers-tiers", "Value tiers", tier_summary)
register_table(PAGE, "customers-profile", "Ideal customer profile", ideal_profile)
register_table(PAGE, "customers-prefs-product_line", "Top tier product lines", _prefs("product_line"))
register_table(PAGE, "customers-prefs-branch", "Top tier branches", _prefs("branch"))
register_table(PAGE, "customers-table", "All customers", _all_customers)


def layout(**_query: object) -> html.Div:
    search = dbc.Input(id=SEARCH_ID, type="search", placeholder="Search customers by name…", debounce=350,
                       autocomplete="off", style={"maxWidth": "360px"})
    return html.Div([
        page_header("Customers", "Who brings the profit, how concentrated is it, and what do our best customers "
                    "do differently?", PAGE),
        section("customers-top", min_height=420),
        dbc.Row([
            dbc.Col(section("customers-pareto", min_height=400), lg=6),
            dbc.Col(section("customers-tiers", min_height=400), lg=6),
        ], className="g-3 mt-1"),
        section("customers-profile", min_height=420, className="mt-3"),
        html.Div([html.Label("Customer list", htmlFor=SEARCH_ID, className="fw-semibold me-2 mb-0"), search],
                 className="d-flex flex-wrap align-items-center gap-2 mt-3 mb-2"),
        section("customers-table", min_height=400),
    ])


def _walk_in_note(filters: Filters) -> html.Div:
    """Say out loud what is left out, so nobody reads the rankings as the whole business."""
    summary = non_account_summary(filters)
    text = "Walk-in, cash and unassigned sales are not customer accounts and are left out of every ranking here"
    if summary and summary["revenue"]:
        text += (f": they were {ksh(summary['revenue'])} of revenue ({pct(summary['revenue_share_pct'])}) and "
                 f"{ksh(summary['gross_profit'])} of GP ({pct(summary['gross_profit_share_pct'])}) in this period.")
    else:
        text += "."
    return html.Div(text, className="small text-muted mb-2", id="customers-walk-in-note")


@section_callback("customers-top")
def top_section(filters: Filters) -> html.Div:
    profiles = account_profiles(filters)
    if profiles.is_empty():
        raise NoData
    period = period_label(filters)
    by_revenue = set(profiles.sort("revenue", descending=True).head(TOP_N)["customer"].to_list())
    by_gp = set(profiles.sort("gross_profit", descending=True).head(TOP_N)["customer"].to_list())
    subtitle = f"{period} · amber: not in the other top {TOP_N}"
    revenue_fig = top_customers_bars(profiles, "revenue", f"Top {TOP_N} customers by revenue", subtitle, by_gp,
                                     TOP_N)
    gp_fig = top_customers_bars(profiles, "gross_profit", f"Top {TOP_N} customers by gross profit", subtitle,
                                by_revenue, TOP_N)
    # One card for both charts: they draw the same ranking table, and two cards would carry two
    # CSV and Embed buttons with one id.
    return html.Div([
        _walk_in_note(filters),
        card(dbc.Row([
            dbc.Col(graph(revenue_fig, "mauzo-top-customers-revenue", "customers-top-revenue"), lg=6),
            dbc.Col(graph(gp_fig, "mauzo-top-customers-gp", "customers-top-gp"), lg=6),
        ], className="g-3"), csv_key="customers-ranking"),
    ])


@section_callback("customers-pareto")
def pareto_section(filters: Filters) -> html.Div:
    curve = pareto_curve(account_profiles(filters))
    if curve.is_empty():
        raise NoData
    point = pareto_point(curve)
    figure = pareto_chart(curve, point, f"{period_label(filters)} · account customers, largest GP first")
    return card(graph(figure, "mauzo-customer-pareto", "customers-pareto-graph"), csv_key="customers-pareto")


@section_callback("customers-tiers")
def tiers_section(filters: Filters) -> html.Div:
    tiers = tier_summary(filters)
    if tiers.is_empty():
        raise NoData
    figure = tier_chart(tiers, f"{period_label(filters)} · share of customers, revenue and GP per tier")
    return card(graph(figure, "mauzo-customer-tiers", "customers-tiers-graph"), csv_key="customers-tiers")


@section_callback("customers-profile")
def profile_section(filters: Filters) -> html.Div:
    profile = ideal_profile(filters)
    if profile.is_empty():
        raise NoData
    period = period_label(filters)
    top = top_tier_customers(filters)
    lines, branches = preferences(filters, "product_line", top), preferences(filters, "branch", top)
    subtitle = f"{period} · share of each group's revenue"
    lines_fig = preference_bars(lines, "product_line", "What they buy: product lines", subtitle)
    branches_fig = preference_bars(branches, "branch", "Where they buy: branches", subtitle)
    summary = card(
        dbc.Row([
            dbc.Col(html.P(profile_sentence(profile, lines), className="mauzo-insight", id="customers-profile-text"),
                    lg=5),
            dbc.Col(profile_table(profile), lg=7),
        ], className="g-3"),
        title="Ideal customer profile: top tier vs the rest",
        subtitle=f"{period} · top tier = top 20% of account customers by GP", csv_key="customers-profile",
    )
    return html.Div([
        summary,
        dbc.Row([
            dbc.Col(card(graph(lines_fig, "mauzo-top-tier-product-lines",
                               xfilter_id("product_line", "customers-prefs-product_line", "y")),
                         csv_key="customers-prefs-product_line"), lg=6),
            dbc.Col(card(graph(branches_fig, "mauzo-top-tier-branches",
                               xfilter_id("branch", "customers-prefs-branch", "y")),
                         csv_key="customers-prefs-branch"), lg=6),
        ], className="g-3 mt-0"),
    ])


TABLE_COLUMNS = [
    count_column("gp_rank", "GP rank", maxWidth=90, minWidth=80),
    text_column("customer", "Customer", pinned=True, minWidth=180, tooltipField="customer"),
    text_column("tier", "Tier", maxWidth=80, minWidth=70),
    money_column("revenue", "Revenue"),
    money_column("gross_profit", "Gross profit"),
    margin_column("margin_pct", "GP margin"),
    pct_column("gross_profit_share_pct", "Share of GP"),
    count_column("transactions", "Orders"),
    money_column("avg_transaction_value", "Avg order"),
    text_column("last_sale", "Last purchase", minWidth=110),
    count_column("recency_days", "Days since"),
]


MAX_TABLE_ROWS = 500


@section_callback("customers-table", Input(SEARCH_ID, "value"))
def table_section(filters: Filters, search: str | None = None) -> html.Div:
    everyone = customer_table(filters)
    if everyone.is_empty():
        raise NoData
    shown = customer_table(filters, search)
    text = (search or "").strip()
    if text:
        status = f"{shown.height:,} of {everyone.height:,} account customers match “{text}”."
    else:
        status = f"{everyone.height:,} account customers, ranked by gross profit."
    if shown.height > MAX_TABLE_ROWS:
        status += f" Showing the first {MAX_TABLE_ROWS:,}; search to find anyone else."
    status += " CSV: every customer of the period."
    # The browser gets at most MAX_TABLE_ROWS rows (a 10M-line store has tens of thousands of
    # customers); search runs on the server over all of them.
    rows = shown.head(MAX_TABLE_ROWS).with_columns(pl.col("first_sale", "last_sale").cast(pl.String))
    visible = min(max(rows.height, 1), PAGE_SIZE)
    grid = data_grid("customers-grid", rows, TABLE_COLUMNS, height=64 + 37 * visible + 44, row_id="customer",
                     dashGridOptions={"pagination": True, "paginationPageSize": PAGE_SIZE,
                                      "paginationPageSizeSelector": False})
    return card(html.Div([html.Div(status, className="small text-muted mb-2", id="customers-table-status"), grid]),
                title="Customers", subtitle=f"{period_label(filters)} · search matches any part of the name",
                csv_key="customers-table")


dash.register_page(__name__, path="/customers", name="Customers", order=4, layout=layout,
                   title="Mauzo · Customers")
