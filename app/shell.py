"""The app shell: navigation, global filters (kept in the URL), cross-filtering, downloads,
theme, and a small router that re-renders a page only when its path changes.

Filter state has one source of truth, the URL query string
(``startDate``, ``endDate``, ``branch``..., ``productLine``...). One callback keeps the URL, the
controls and the ``filters`` store in step, whichever of them changed; page sections read only the
store (see ``components.callbacks.section_callback``).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import parse_qs, urlencode

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask import Flask, Response, has_request_context, request

from app.access_login import may
from app.embed import EMBED_PREFIX, KEPT_ARGS, chart_ids, embed_body
from app.embed_link import TOKEN_ARG
from app.embed_ui import TARGET_STORE, may_sign, signing_part
from components.exports import download_payload
from components.filter_bar import DIM_CONTROL, dim_options, filter_bar, filter_notice, filter_summary
from components.state import error_state
from data.context import current_request_id
from data.dimensions import DIMENSIONS, FILTER_DIMENSIONS
from data.errors import DataLayerError, EngineUnavailable, InvalidFilter
from data.filters import Filters, Ignored, parse_link, unknown_values
from data.periods import matching_preset, preset_range
from data.queries import comparison_label, filter_options

log = logging.getLogger("mauzo.shell")


def _options() -> tuple[dict, str | None]:
    empty: dict = {**{d.options_key: [] for d in FILTER_DIMENSIONS}, "minDate": None, "maxDate": None}
    try:
        return filter_options(), None
    except EngineUnavailable:
        log.warning("filter options: store unavailable", exc_info=True)
        return empty, "No sales data is available yet: load some with `mauzo ingest FILE` (or `mauzo demo`)."
    except DataLayerError:
        log.exception("filter options failed")
        return empty, "The filter choices could not be loaded; figures below may be incomplete."


def _nav() -> dbc.Navbar:
    links = [
        dbc.NavItem(dbc.NavLink(page["name"], href=page["path"], id={"type": "nav-link", "path": page["path"]},
                                active="exact"))
        for page in dash.page_registry.values()
        if not page.get("requires") or (has_request_context() and may(page["requires"]))  # e.g. Data: load role
    ]
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(["Mauzo", html.Span(" sales analytics", className="small opacity-75")], href="/"),
                dbc.NavbarToggler(id="nav-toggler"),
                dbc.Collapse(dbc.Nav(links, navbar=True, className="me-auto"), id="nav-collapse", navbar=True),
                dbc.Switch(id="theme-switch", label="Dark", value=False, className="text-white mb-0 ms-lg-3"),
            ],
            fluid=True,
        ),
        color="primary",
        dark=True,
        className="mb-2",
        id="nav-area",
    )


def _embed_dialog() -> dbc.Modal:
    """The "Embed" buttons' dialog: the iframe snippet of a chart's current view, to copy, and for
    admins a signed link of the chart or its page (``app.embed_ui``, signed by the server)."""
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Embed this chart")),
            dbc.ModalBody([
                html.P("Paste this into an intranet page (the app must allow that site: MAUZO_FRAME_ANCESTORS). "
                       "For a view the viewer cannot change, use a signed link"
                       + (" (below)." if may_sign() else ": ask an administrator (mauzo embed-link)."),
                       className="small text-muted"),
                dcc.Textarea(id="embed-snippet", readOnly=True, style={"width": "100%", "height": "7rem"},
                             className="font-monospace small"),
                dcc.Clipboard(target_id="embed-snippet", title="Copy", className="btn btn-sm btn-outline-secondary"),
                dcc.Store(id=TARGET_STORE),
                signing_part() if may_sign() else None,
            ]),
        ],
        id="embed-modal", is_open=False, size="lg",
    )


def build_layout() -> html.Div:
    options, problem = _options()
    banner = dbc.Alert(problem, color="warning", className="my-2") if problem else None
    return html.Div(
        [
            dcc.Location(id="url", refresh=False),
            dcc.Store(id="filters"),
            # The filter choices read from the data when the page was built (for the notice that
            # a link's value matches nothing, and for each control's options).
            dcc.Store(id="filter-options", data={d.options_key: options.get(d.options_key, [])
                                                 for d in FILTER_DIMENSIONS}),
            dcc.Store(id="page-titles", data={p["path"]: p["title"] for p in dash.page_registry.values()}),
            dcc.Store(id="page-title"),
            dcc.Store(id="refresh-token", data=0),
            dcc.Store(id="xfilter-undo"),
            dcc.Store(id="theme", storage_type="local"),
            dcc.Download(id="download"),
            dcc.Store(id="embed-chart-ids", data=chart_ids()),
            _embed_dialog(),
            _nav(),
            dbc.Container(
                [
                    banner,
                    html.Div(
                        [
                            filter_bar(options),
                            html.Div(id="filter-notice"),
                            html.Div(
                                [
                                    html.Div(id="filter-summary", className="small"),
                                    html.Div(
                                        [
                                            dbc.Badge(id="xfilter-badge", color="warning", text_color="dark",
                                                      className="me-2"),
                                            dbc.Button("Undo chart filter ✕", id="xfilter-undo-btn", size="sm",
                                                       color="warning", className="mauzo-xfilter-undo"),
                                        ],
                                        id="xfilter-chip",
                                        className="align-items-center",
                                        style={"display": "none"},
                                    ),
                                ],
                                className="d-flex flex-wrap justify-content-between align-items-center gap-2 mb-3",
                            ),
                        ],
                        id="filter-area",
                    ),
                    html.Div(id="page-content"),
                ],
                fluid=True,
                className="pb-5",
            ),
        ]
    )


# -- routing ---------------------------------------------------------------------------------
def _page_for(pathname: str | None) -> dict | None:
    path = (pathname or "/").rstrip("/") or "/"
    return next((p for p in dash.page_registry.values() if p["path"] == path), None)


FILTERLESS_PATHS = frozenset({"/diagnostics", "/data"})


@callback(Output("filter-area", "style"), Output("nav-area", "style"), Input("url", "pathname"),
          Input("url", "search"))
def show_filters(pathname: str | None, search: str | None) -> tuple[dict, dict]:
    """Pages that do not depend on the sales filters (diagnostics) hide the filter bar; embedded
    views (``/embed/...``, ``?embed=1``) hide the navigation and the filter bar."""
    hidden = {"display": "none"}
    if is_embedded(pathname, search):
        return hidden, hidden
    return (hidden if (pathname or "/").rstrip("/") in FILTERLESS_PATHS else {}), {}


def is_embedded(pathname: str | None, search: str | None) -> bool:
    """An embed path, ``?embed=1``, or a signed link's token (a signed view never shows controls)."""
    args = parse_qs((search or "").lstrip("?"))
    return (pathname or "").startswith(EMBED_PREFIX) or "1" in args.get("embed", []) or TOKEN_ARG in args


def _kept_args(search: str | None) -> str:
    """Arguments of an embedded view that are not filters (``embed=1``, a signed link's token):
    kept when the filter sync rewrites the query string."""
    args = parse_qs((search or "").lstrip("?"))
    return urlencode([(name, args[name][-1]) for name in KEPT_ARGS if name in args])


@callback(Output("page-content", "children"), Input("url", "pathname"))
def route(pathname: str | None) -> Any:
    """Render a page when the path changes (filter changes only touch the query string)."""
    if (pathname or "").startswith(EMBED_PREFIX):
        return embed_body(pathname[len(EMBED_PREFIX):].strip("/"))
    page = _page_for(pathname)
    if page is None:
        return html.Div(
            [html.H2("Page not found"), html.P(f"There is no page at {pathname}."),
             dcc.Link("Go to the overview", href="/")],
            className="py-5",
        )
    try:
        layout = page["layout"]
        return layout() if callable(layout) else layout
    except Exception:  # noqa: BLE001 - never a traceback in the page
        log.exception("page layout failed: %s", pathname)
        return error_state("This page could not be built.", current_request_id())


@callback(Output({"type": "nav-link", "path": ALL}, "href"), Input("url", "search"),
          State({"type": "nav-link", "path": ALL}, "id"))
def keep_filters_in_links(search: str | None, ids: list[dict]) -> list[str]:
    """Navigation keeps the current filters."""
    return [item["path"] + (search or "") for item in ids]


# -- the filter sync callback -------------------------------------------------------------------
def _anchor(options_max: Any) -> dt.date | None:
    if options_max is None:
        return None
    return options_max if isinstance(options_max, dt.date) else dt.date.fromisoformat(str(options_max)[:10])


def _parse_search(search: str | None) -> tuple[Filters, list[Ignored]]:
    """A link's filters, keeping every valid part (see ``data.filters.parse_link``)."""
    return parse_link(parse_qs((search or "").lstrip("?"), keep_blank_values=False))


def _known_values(options: dict | None) -> dict[str, list[str]]:
    return {d.options_key: list((options or {}).get(d.options_key) or []) for d in FILTER_DIMENSIONS}


@callback(
    Output("url", "search"),
    Output("filter-preset", "value"),
    Output("filter-dates", "start_date"),
    Output("filter-dates", "end_date"),
    Output("filter-compare", "value"),
    Output({"type": DIM_CONTROL, "dim": ALL}, "value"),
    Output({"type": DIM_CONTROL, "dim": ALL}, "options"),
    Output("filters", "data"),
    Output("xfilter-undo", "data"),
    Output("filter-notice", "children"),
    Input("url", "search"),
    Input("filter-preset", "value"),
    Input("filter-dates", "start_date"),
    Input("filter-dates", "end_date"),
    Input("filter-compare", "value"),
    Input({"type": DIM_CONTROL, "dim": ALL}, "value"),
    Input("filter-reset", "n_clicks"),
    Input({"type": "xfilter", "dim": ALL, "axis": ALL, "key": ALL}, "clickData"),
    Input("xfilter-undo-btn", "n_clicks"),
    State({"type": DIM_CONTROL, "dim": ALL}, "id"),
    State("xfilter-undo", "data"),
    State("filter-dates", "max_date_allowed"),
    State("filter-options", "data"),
    State("filters", "data"),
)
def sync_filters(search, preset, start, end, compare, dim_values, _reset, _clicks, _undo,  # type: ignore[no-untyped-def]
                 dim_ids, undo_data, max_date, options, current_data):
    """Keep URL, controls and the filters store in step, whichever changed, and say what part of
    a link could not be used."""
    trigger = ctx.triggered_id
    anchor = _anchor(max_date)
    undo_out: Any = no_update
    ignored: list[Ignored] = []
    if trigger is None or trigger == "url":
        filters, ignored = _parse_search(search)
    elif trigger == "filter-reset":
        filters, undo_out = Filters(), None
    elif trigger == "xfilter-undo-btn":
        if not undo_data:
            raise PreventUpdate
        filters, undo_out = Filters.from_args(undo_data), None
    elif isinstance(trigger, dict) and trigger.get("type") == "xfilter":
        filters, undo_out = _cross_filter(trigger, ctx.triggered[0]["value"], _parse_search(search)[0], undo_data)
    elif trigger == "filter-preset":
        if preset == "custom":
            raise PreventUpdate
        new_start, new_end = preset_range(preset, anchor)
        filters = _parse_search(search)[0].with_dates(new_start, new_end)
    else:
        try:
            chosen = {item["dim"]: value or [] for item, value in zip(dim_ids, dim_values, strict=True)}
            filters = Filters.create(start=start, end=end, compare=compare, **chosen)
        except InvalidFilter:
            raise PreventUpdate from None
    known = _known_values(options)
    ignored += unknown_values(filters, known)
    if ignored:
        notice: Any = filter_notice(ignored)
    elif trigger == "url" and current_data == filters.as_dict():
        notice = no_update  # the URL was just normalized: keep telling what the link asked for
    else:
        notice = None
    new_search = filters.to_query_string()
    if kept := _kept_args(search):
        new_search = (new_search + "&" if new_search else "?") + kept
    names = [item["dim"] for item in dim_ids]
    return (
        new_search if new_search != (search or "") else no_update,
        matching_preset(filters.start, filters.end, anchor),
        filters.start.isoformat() if filters.start else None,
        filters.end.isoformat() if filters.end else None,
        filters.compare,
        [list(filters.values(name)) for name in names],
        [dim_options(known.get(DIMENSIONS[name].options_key, []), filters.values(name)) for name in names],
        filters.as_dict(),
        undo_out,
        notice,
    )


def _cross_filter(trigger: dict, click: dict | None, current: Filters, undo_data: dict | None
                  ) -> tuple[Filters, Any]:
    """A click on a bar or cell of a cross-filter dimension narrows the view to it."""
    dim = DIMENSIONS.get(trigger.get("dim", ""))
    points = (click or {}).get("points") or []
    if dim is None or not dim.cross_filter or not points:
        raise PreventUpdate
    point = points[0]
    value = point.get(trigger.get("axis", "x"))
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, str) or not value:
        raise PreventUpdate
    narrowed = current.with_selection(**{dim.name: [value]})
    if narrowed == current:
        raise PreventUpdate
    return narrowed, (undo_data or current.as_dict())


@callback(
    Output("xfilter-badge", "children"),
    Output("xfilter-chip", "style"),
    Input("xfilter-undo", "data"),
    Input("filters", "data"),
)
def show_cross_filter(undo_data: dict | None, filters_data: dict | None) -> tuple[str, dict]:
    """A visible chip while a cross-filter is active, with one-click undo."""
    if not undo_data:
        return "", {"display": "none"}
    current = Filters.from_args(filters_data or {})
    before = Filters.from_args(undo_data)
    added = [f"{d.label}: {', '.join(current.values(d.name))}" for d in FILTER_DIMENSIONS
             if current.values(d.name) != before.values(d.name)]
    return "Chart filter " + "; ".join(added), {"display": "flex"}


@callback(Output("filter-summary", "children"), Input("filters", "data"), State("filter-dates", "max_date_allowed"))
def describe_filters(filters_data: dict | None, max_date: Any) -> Any:
    filters = Filters.from_args(filters_data or {})
    anchor = _anchor(max_date)
    note = f"latest sale {anchor.strftime('%d %b %Y')}" if anchor else None
    try:
        comparison = comparison_label(filters)
    except DataLayerError:
        comparison = None
    return filter_summary(filters.describe(), note, comparison)


@callback(Output("refresh-token", "data"), Input("refresh-btn", "n_clicks"), prevent_initial_call=True)
def request_refresh(n_clicks: int | None) -> int:
    return n_clicks or 0


# -- downloads -------------------------------------------------------------------------------
@callback(
    Output("download", "data"),
    Input({"type": "csv-download", "table": ALL}, "n_clicks"),
    Input({"type": "xlsx-download", "page": ALL}, "n_clicks"),
    State("filters", "data"),
    prevent_initial_call=True,
)
def download(_csv: list, _xlsx: list, filters_data: dict | None) -> Any:
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered or not ctx.triggered[0].get("value"):
        raise PreventUpdate
    filters = Filters.from_args(filters_data or {})
    kind, name = ("csv", trigger["table"]) if trigger["type"] == "csv-download" else ("xlsx", trigger["page"])
    try:
        return download_payload(kind, name, filters)
    except (DataLayerError, KeyError):
        log.exception("download %s %s failed (request %s)", kind, name, current_request_id())
        raise PreventUpdate from None


# -- theme -----------------------------------------------------------------------------------
clientside_callback(
    """
    function(dark, stored) {
        const ctx = window.dash_clientside.callback_context;
        let mode = stored || 'light';
        if (ctx.triggered.length && ctx.triggered[0].prop_id === 'theme-switch.value') {
            mode = dark ? 'dark' : 'light';
        }
        document.documentElement.setAttribute('data-bs-theme', mode);
        return [mode, mode === 'dark'];
    }
    """,
    Output("theme", "data"),
    Output("theme-switch", "value"),
    Input("theme-switch", "value"),
    State("theme", "data"),
)

clientside_callback(
    """
    function(n, pathname, open) {
        const ctx = window.dash_clientside.callback_context;
        const byToggler = ctx.triggered.length && ctx.triggered[0].prop_id === 'nav-toggler.n_clicks';
        return byToggler ? !open : false;  // choosing a page closes the phone menu
    }
    """,
    Output("nav-collapse", "is_open"),
    Input("nav-toggler", "n_clicks"),
    Input("url", "pathname"),
    State("nav-collapse", "is_open"),
)

clientside_callback(
    """
    function(pathname, titles) {
        const path = (pathname || '/').replace(/\\/+$/, '') || '/';
        document.title = (titles && titles[path]) || 'Mauzo · Page not found';
        return document.title;
    }
    """,
    Output("page-title", "data"),
    Input("url", "pathname"),
    State("page-titles", "data"),
)


clientside_callback(
    r"""
    function(clicks, ids) {
        const ctx = window.dash_clientside.callback_context;
        // Buttons appearing with a page fire this too (pattern inputs); that is no click, and
        // writing the modal's state then would wake the signing callback for nothing.
        if (!ctx.triggered.length || !ctx.triggered[0].value) { throw window.dash_clientside.PreventUpdate; }
        const buttonId = ctx.triggered[0].prop_id.replace(/\.n_clicks$/, '');
        let el = document.getElementById(buttonId);
        while (el && !(el.id && (ids || []).includes(el.id))) { el = el.parentElement; }
        const chart = el ? el.id : null;
        const target = {chart: chart, page: window.location.pathname};
        if (!chart) { return [true, 'This chart cannot be embedded alone; embed its page with ?embed=1.', target]; }
        const params = new URLSearchParams(window.location.search);
        params.delete('embed');
        const query = params.toString();
        const src = window.location.origin + '/embed/' + chart + (query ? '?' + query : '');
        return [true, '<iframe src="' + src.replace(/&/g, '&amp;').replace(/"/g, '&quot;') +
                      '" width="100%" height="420" style="border:0" title="Mauzo: ' + chart + '"></iframe>', target];
    }
    """,
    Output("embed-modal", "is_open"),
    Output("embed-snippet", "value"),
    Output(TARGET_STORE, "data"),
    Input({"type": "embed-btn", "key": ALL}, "n_clicks"),
    State("embed-chart-ids", "data"),
    prevent_initial_call=True,
)


# -- HTTP status for unknown paths -------------------------------------------------------------
_APP_PREFIXES: tuple[str, ...] = ("/_dash", "/_reload", "/_favicon", "/assets/", "/api", "/embed")


def register_not_found(server: Flask) -> None:
    """Dash answers every path with its index page; a path that is no page must still say 404
    to browsers, crawlers and link checkers (the page itself shows "Page not found")."""

    @server.after_request
    def _not_found_status(response: Response) -> Response:
        path = request.path
        if (request.method == "GET" and response.status_code == 200 and response.mimetype == "text/html"
                and not path.startswith(_APP_PREFIXES) and _page_for(path) is None):
            response.status_code = 404
        return response
