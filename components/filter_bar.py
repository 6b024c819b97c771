"""The global filter bar: date presets and range, branch and product line selections."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from data.periods import PRESETS


def filter_bar(options: dict) -> html.Div:
    """Controls start empty; the shell's sync callback fills them from the URL on load."""
    min_date, max_date = options.get("minDate"), options.get("maxDate")
    return html.Div(
        dbc.Row(
            [
                dbc.Col(
                    dcc.Dropdown(
                        id="filter-preset",
                        options=[{"label": label, "value": key} for key, label in PRESETS.items()],
                        value="all", clearable=False, searchable=False,
                    ),
                    xs=12, sm=6, lg=2,
                ),
                dbc.Col(
                    dcc.DatePickerRange(
                        id="filter-dates",
                        display_format="DD MMM YYYY",
                        min_date_allowed=min_date, max_date_allowed=max_date,
                        initial_visible_month=max_date,
                        start_date_placeholder_text="Start", end_date_placeholder_text="End",
                        clearable=True, minimum_nights=0,
                    ),
                    xs=12, sm=6, lg=3,
                ),
                dbc.Col(
                    dcc.Dropdown(
                        id="filter-branch", options=options.get("branches", []), multi=True,
                        placeholder="All branches",
                    ),
                    xs=12, sm=6, lg=True,
                ),
                dbc.Col(
                    dcc.Dropdown(
                        id="filter-product-line", options=options.get("productLines", []), multi=True,
                        placeholder="All product lines",
                    ),
                    xs=12, sm=6, lg=True,
                ),
                dbc.Col(
                    html.Div(
                        [
                            dbc.Button("Reset", id="filter-reset", color="secondary", outline=True, size="sm",
                                       title="Clear every filter"),
                            dbc.Button("Refresh", id="refresh-btn", color="secondary", outline=True, size="sm",
                                       title="Recompute this view, bypassing the cache"),
                        ],
                        className="d-flex gap-2",
                    ),
                    xs=12, lg="auto", className="d-flex align-items-center",
                ),
            ],
            className="g-2 align-items-center",
        ),
        className="mauzo-filter-bar border-bottom pb-2 mb-2",
    )


def filter_summary(text: str, anchor_note: str | None) -> list:
    parts: list = [html.Span("Showing: ", className="text-muted"), html.Span(text, id="filter-summary-text")]
    if anchor_note:
        parts.append(html.Span(f" · {anchor_note}", className="text-muted small"))
    return parts
