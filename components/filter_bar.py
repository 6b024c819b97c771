"""The global filter bar: date presets and range, the comparison period, and one multi-select per
filter dimension declared in ``data.dimensions`` (pattern-matching ids ``{"type": "filter-dim",
"dim": <name>}``), so a new filter dimension gets its control without touching this file."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from data.dimensions import FILTER_DIMENSIONS, Dimension
from data.filters import Ignored
from data.periods import PRESETS

DIM_CONTROL = "filter-dim"
COMPARE_CHOICES: dict[str, str] = {
    "auto": "Compare: automatic",
    "previous": "Compare: previous period",
    "lastYear": "Compare: same period last year",
}
NOT_IN_DATA = " (not in the data)"


def dim_control_id(name: str) -> dict[str, str]:
    return {"type": DIM_CONTROL, "dim": name}


def dim_options(known: list[str], selected: list[str] | tuple[str, ...] = ()) -> list[dict[str, str]]:
    """The choices of one control: the values in the data, plus any selected value that is not
    (kept visible and labelled, so a link's unknown value is never silently dropped)."""
    options = [{"label": value, "value": value} for value in known]
    known_set = set(known)
    options += [{"label": value + NOT_IN_DATA, "value": value} for value in selected if value not in known_set]
    return options


def _dimension_control(dim: Dimension, options: dict) -> dbc.Col:
    return dbc.Col(
        html.Div(
            dcc.Dropdown(
                id=dim_control_id(dim.name), options=dim_options(options.get(dim.options_key, [])), multi=True,
                placeholder=dim.placeholder, maxHeight=320,
            ),
            title=dim.description,
        ),
        xs=12, sm=6, lg=3, className="mauzo-filter-dim",
    )


def filter_bar(options: dict) -> html.Div:
    """Controls start empty; the shell's sync callback fills them from the URL on load. The period
    controls share one row; the dimension controls get their own, so each is wide enough to read."""
    min_date, max_date = options.get("minDate"), options.get("maxDate")
    period = [
        dbc.Col(
            dcc.Dropdown(id="filter-preset", options=[{"label": label, "value": key} for key, label in PRESETS.items()],
                         value="all", clearable=False, searchable=False),
            xs=12, sm=6, lg=2,
        ),
        dbc.Col(
            dcc.DatePickerRange(
                id="filter-dates", display_format="DD MMM YYYY",
                min_date_allowed=min_date, max_date_allowed=max_date, initial_visible_month=max_date,
                start_date_placeholder_text="Start", end_date_placeholder_text="End", clearable=True, minimum_nights=0,
            ),
            xs=12, sm=6, lg=4,
        ),
        dbc.Col(
            dcc.Dropdown(id="filter-compare",
                         options=[{"label": label, "value": key} for key, label in COMPARE_CHOICES.items()],
                         value="auto", clearable=False, searchable=False),
            xs=12, sm=6, lg=3,
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
            xs=12, sm=6, lg="auto", className="d-flex align-items-center",
        ),
    ]
    return html.Div(
        [
            dbc.Row(period, className="g-2 align-items-center"),
            dbc.Row([_dimension_control(dim, options) for dim in FILTER_DIMENSIONS], className="g-2 mt-0"),
        ],
        className="mauzo-filter-bar border-bottom pb-2 mb-2",
    )


def filter_summary(text: str, anchor_note: str | None, comparison: str | None = None) -> list:
    parts: list = [html.Span("Showing: ", className="text-muted"), html.Span(text, id="filter-summary-text")]
    if comparison:
        parts.append(html.Span(f" · {comparison}", className="text-muted", id="filter-comparison-text"))
    if anchor_note:
        parts.append(html.Span(f" · {anchor_note}", className="text-muted small"))
    return parts


def filter_notice(ignored: list[Ignored]) -> dbc.Alert | None:
    """What a link asked for that could not be used, and why: never a silent widening."""
    if not ignored:
        return None
    items = [html.Li([html.Code(f"{item.arg}={item.value}" if item.value else item.arg), f": {item.reason}"])
             for item in ignored]
    return dbc.Alert(
        [html.Strong("Part of this link could not be used."), html.Ul(items, className="mb-0 mt-1")],
        color="warning", className="py-2 small mb-2", id="filter-notice-alert", dismissable=True,
    )
