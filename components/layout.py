"""Page building blocks: header with the business question and downloads, and chart cards."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.exports import csv_button, excel_button
from components.theme import graph_config


def page_header(title: str, question: str, page_key: str) -> html.Div:
    """Title, the business question the page answers, and the page's Excel download."""
    return html.Div(
        [
            html.Div([html.H2(title, className="h4 mb-0"), html.Div(question, className="text-muted small")]),
            excel_button(page_key),
        ],
        className="d-flex flex-wrap justify-content-between align-items-start gap-2 mb-3",
    )


def card(body: Any, title: str | None = None, subtitle: str | None = None, csv_key: str | None = None,
         class_name: str = "") -> html.Div:
    """A content card; ``csv_key`` adds a CSV download of that registered table (all rows)."""
    head = []
    if title or csv_key:
        head.append(html.Div(
            [
                html.Div([html.H3(title, className="card-title") if title else None,
                          html.Div(subtitle, className="card-subtitle") if subtitle else None]),
                html.Div([embed_button(csv_key), csv_button(csv_key)], className="d-flex gap-1 mauzo-card-actions")
                if csv_key else None,
            ],
            className="d-flex justify-content-between align-items-start gap-2 mb-2",
        ))
    return html.Div([*head, body], className=f"mauzo-card shadow-sm {class_name}".strip())


def embed_button(key: str) -> dbc.Button:
    """Opens the shell's dialog with a copyable ``<iframe>`` snippet of the section holding this
    card, with the current filters (``app.shell`` finds the section from the button)."""
    return dbc.Button("Embed", id={"type": "embed-btn", "key": key}, size="sm", color="secondary", outline=True,
                      className="mauzo-embed-btn", title="Copy an <iframe> snippet showing this chart elsewhere")


def graph(figure: Any, name: str, graph_id: Any = None, height: int | None = None) -> dcc.Graph:
    """A chart with PNG download from its mode bar; ``graph_id`` e.g. a cross-filter id."""
    kwargs: dict[str, Any] = {"figure": figure, "config": graph_config(name)}
    if graph_id is not None:
        kwargs["id"] = graph_id
    height = height or getattr(getattr(figure, "layout", None), "height", None) or 360
    kwargs["style"] = {"height": f"{height}px"}
    return dcc.Graph(**kwargs)


def xfilter_id(dimension: str, key: str, axis: str = "y") -> dict[str, str]:
    """Id for a chart whose clicks narrow the global filters to the clicked branch/product line."""
    return {"type": "xfilter", "dim": dimension, "axis": axis, "key": key}


SCROLL_MIN_WIDTH = 680  # px; assets/mauzo.css shows the scroll hint below this same width


def scroll_x(content: Any, what: str) -> html.Div:
    """``content`` at least ``SCROLL_MIN_WIDTH`` px wide (a matrix needs its width): a narrower
    screen scrolls it sideways inside the card, and a hint above it says so ("Scroll sideways to
    see every product line"); the edge with more to see is shaded. The hint appears only when the
    box is narrower than the content (a CSS container query on the same width)."""
    if isinstance(content, dcc.Graph):
        content.style = {**(content.style or {}), "minWidth": f"{SCROLL_MIN_WIDTH}px"}
    return html.Div(
        [
            html.Div(f"↔ Scroll sideways to see {what}", className="mauzo-scroll-hint small text-muted"),
            html.Div(html.Div(content, style={"minWidth": f"{SCROLL_MIN_WIDTH}px"}), className="mauzo-scroll-x",
                     tabIndex="0", role="region", **{"aria-label": f"Scrollable chart: {what}"}),
        ],
        className="mauzo-scroll",
    )
