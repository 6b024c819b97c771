"""Diagnostics: is the app healthy, and how fresh is the data it shows?

Reads the same status reports as ``/api/health*`` (``app.api.status``), so an operator sees the
same facts on the page and from a probe. Built on every visit: a cached page would hide an outage.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html
from flask import current_app

from app.api import status
from components.format import count
from components.layout import card
from data.scope import current_scope

STATUS_COLORS = {"ok": "success", "degraded": "warning", "unreachable": "danger"}

INGEST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("ingested_at", "Ingested (UTC)"),
    ("file_name", "File"),
    ("mode", "Mode"),
    ("rows", "Rows"),
    ("total_rows", "Total rows"),
    ("data_version", "Data version"),
    ("duration_s", "Seconds"),
)


def status_badge(state: str | None, badge_id: str) -> dbc.Badge:
    text = state or "unknown"
    return dbc.Badge(text, color=STATUS_COLORS.get(text, "secondary"), id=badge_id, className="ms-2")


def age_text(timestamp: str | None, now: dt.datetime | None = None) -> str:
    """``3 h ago`` from an ISO timestamp; the age tells an operator more than the date does."""
    if not timestamp:
        return "never"
    try:
        when = dt.datetime.fromisoformat(timestamp)
    except ValueError:
        return timestamp
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    seconds = max(0, int(((now or dt.datetime.now(dt.UTC)) - when).total_seconds()))
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"


def facts(rows: list[tuple[str, Any]]) -> html.Dl:
    """A compact term/value list for one card."""
    items: list[Any] = []
    for term, value in rows:
        items.append(html.Dt(term, className="col-5 text-muted fw-normal small"))
        items.append(html.Dd(value if value not in (None, "") else "—", className="col-7 mb-1 text-break"))
    return html.Dl(items, className="row mb-0")


def _titled(title: str, badge: Any, body: Any) -> html.Div:
    return card(html.Div([html.Div([html.H3(title, className="card-title d-inline"), badge],
                                   className="mb-2"), body]))


def app_card() -> html.Div:
    info = status.app_info()
    return _titled("App", status_badge("ok", "diag-app-status"), facts([
        ("Version", html.Span(info["version"], id="diag-app-version")),
        ("Python", info["python"]),
    ]))


def engine_card(store: dict[str, Any], druid: dict[str, Any]) -> html.Div:
    return _titled(f"Engine: {store['engine']}", status_badge(store["status"], "diag-engine-status"), facts([
        ("Rows", html.Span(count(store["rows"]) if store["rows"] is not None else None, id="diag-rows")),
        ("Data version", html.Span(store["dataVersion"], id="diag-data-version", className="font-monospace")),
        ("Detail", store["detail"]),
        ("Druid", f"{druid['status']}: {druid['detail']}"),
    ]))


def cache_card(cache: dict[str, Any]) -> html.Div:
    badge = status_badge(cache.get("status"), "diag-cache-status")
    return _titled(f"Cache: {cache.get('backend', 'unknown')}", badge, facts([
        ("Status", cache.get("status")),
        ("Detail", cache.get("detail")),
    ]))


def freshness_card(store: dict[str, Any]) -> html.Div:
    last = store.get("lastIngest") or {}
    return _titled("Data freshness", None, facts([
        ("Last ingest", html.Span(age_text(last.get("ingestedAt")), id="diag-last-ingest",
                                  title=last.get("ingestedAt") or "")),
        ("File", last.get("fileName")),
        ("Rows added", count(last["rows"]) if last.get("rows") is not None else None),
        ("Mode", last.get("mode")),
    ]))


def _cell(name: str, value: Any) -> str:
    if value is None:
        return "—"
    if name in ("rows", "total_rows"):
        return count(value)
    return str(value)


def ingest_table(limit: int = 10) -> Any:
    history = status.ingest_history(limit)
    if history.is_empty():
        return html.Div("No ingests yet: run `mauzo demo` or `mauzo ingest FILE`.", className="text-muted",
                        id="diag-ingests")
    columns = [(name, label) for name, label in INGEST_COLUMNS if name in history.columns]
    header = html.Thead(html.Tr([html.Th(label) for _, label in columns]))
    body = html.Tbody([
        html.Tr([html.Td(_cell(name, row.get(name))) for name, _ in columns])
        for row in history.iter_rows(named=True)
    ])
    return dbc.Table([header, body], striped=True, hover=True, size="sm", responsive=True,
                     className="mb-0", id="diag-ingests")


SCOPED_NOTE = "Store-wide row counts and ingest history are hidden: this view is limited to part of the data."


def _scoped_store(store: dict[str, Any]) -> dict[str, Any]:
    """A scoped viewer (token, login or signed link) may not learn store-wide totals or file names."""
    return {**store, "rows": None, "lastIngest": {k: v for k, v in (store.get("lastIngest") or {}).items()
                                                 if k in ("ingestedAt", "mode")}}


def layout(**_query: object) -> html.Div:
    store = status.store_status(show_detail=True)
    druid = status.druid_status(show_detail=True)
    cache = status.cache_status(current_app)
    scoped = not current_scope().unrestricted
    if scoped:
        store = _scoped_store(store)
    return html.Div([
        html.Div([html.H2("Diagnostics", className="h4 mb-0"),
                  html.Div("Is the app healthy, and how fresh is the data?", className="text-muted small")],
                 className="mb-3"),
        dbc.Row([
            dbc.Col(app_card(), md=6, xl=3),
            dbc.Col(engine_card(store, druid), md=6, xl=3),
            dbc.Col(cache_card(cache), md=6, xl=3),
            dbc.Col(freshness_card(store), md=6, xl=3),
        ], className="g-3"),
        html.Div(card(html.Div(SCOPED_NOTE, className="text-muted", id="diag-ingests") if scoped else ingest_table(),
                      title="Recent ingests", subtitle="Newest first"), className="mt-3"),
    ], id="diagnostics-page")


dash.register_page(__name__, path="/diagnostics", name="Diagnostics", order=90, layout=layout,
                   title="Mauzo · Diagnostics")
