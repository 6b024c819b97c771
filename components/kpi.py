"""KPI cards: value, change vs the previous period of equal length, and a sparkline."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.charts import sparkline
from components.format import metric_value, pct, pp
from data.metrics import Metric


def change_badge(metric: Metric, change: float | None, unit: str) -> html.Span:
    if change is None:
        return html.Span("no earlier period to compare", className="kpi-change flat small")
    good = (change > 0) == metric.higher_is_better
    tone = "flat" if abs(change) < 0.05 else ("up" if good else "down")
    arrow = "▲" if change > 0 else ("▼" if change < 0 else "■")
    text = pp(change) if unit == "pp" else pct(change, signed=True)
    return html.Span(f"{arrow} {text}", className=f"kpi-change {tone} small fw-semibold")


def kpi_card(metric: Metric, item: dict, series: list[float | None]) -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(metric.label, className="kpi-label", title=metric.description),
                html.Div(metric_value(metric.kind, item["value"], metric.name), className="kpi-value",
                         id=f"kpi-{metric.name}"),
                html.Div([change_badge(metric, item["change"], item["changeUnit"]),
                          html.Span(" vs prev." if item["change"] is not None else "", className="small text-muted")]),
                dcc.Graph(figure=sparkline(series), config={"staticPlot": True, "displayModeBar": False},
                          style={"height": "36px"}, className="mt-1"),
            ],
            className="p-2 p-md-3",
        ),
        className="mauzo-kpi shadow-sm",
    )
