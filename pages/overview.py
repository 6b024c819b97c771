"""Overview: the headline KPIs for the selected period."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from components.format import metric_value
from data.errors import DataLayerError
from data.filters import Filters
from data.metrics import METRICS
from data.queries import kpis


def kpi_cards(filters: Filters) -> list:
    figures = kpis(filters)["metrics"]
    return [
        dbc.Col(
            dbc.Card(dbc.CardBody([
                html.Div(METRICS[name].label, className="text-muted small"),
                html.Div(metric_value(METRICS[name].kind, item["value"]), className="fs-4 fw-semibold",
                         id=f"kpi-{name}"),
            ])),
            xs=6, md=3, xl=True,
        )
        for name, item in figures.items()
    ]


def layout(**query: object) -> html.Div:
    try:
        filters = Filters.from_args(query)
        body = dbc.Row(kpi_cards(filters), className="g-3")
    except DataLayerError as exc:
        body = dbc.Alert(str(exc), color="warning")
    return html.Div([html.H2("Overview"), body])


dash.register_page(__name__, path="/", name="Overview", order=0, layout=layout)
