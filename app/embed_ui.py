"""Signed links from the Embed dialog, for admins: the dialog's "Signed link" part and the callback
that asks the server to sign.

Why the server signs and re-checks: the dialog is only shown to users who may (``admin`` with a
login on; everyone on a laptop without one), but any browser can post a crafted
``/_dash-update-component`` request, so the callback checks the role again and ``app.embed`` refuses
such a request with 403 before it runs. Signing goes through ``app.embed_link.signed_url``, the
same path as ``mauzo embed-link``, so a link from the dialog is identical in form to the CLI's.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate
from flask import current_app, g, has_request_context, request

from app.config import Settings
from app.embed_link import iframe_snippet, link_scope, parse_duration, signed_url
from data.errors import InvalidFilter
from data.filters import Filters

log = logging.getLogger("mauzo.embed")

# Lifetimes the dialog offers (value: a ``parse_duration`` text).
EXPIRIES = (("1 hour", "1h"), ("1 day", "1d"), ("7 days", "7d"), ("30 days", "30d"))
TARGET_STORE = "embed-target"  # {"chart": id or None, "page": path}, written when the dialog opens
SIGN_BUTTON = "embed-sign-btn"
SIGNED_URL, SIGNED_SNIPPET, SIGN_MESSAGE = "embed-signed-url", "embed-signed-snippet", "embed-sign-message"
# The components a signing callback writes: the embed hook refuses a request for them (403) from
# anyone who may not sign.
SIGN_OUTPUTS = frozenset({SIGNED_URL, SIGNED_SNIPPET, SIGN_MESSAGE})


def may_sign() -> bool:
    """Whether this request may have links signed: an admin (anyone with login off), and never an
    anonymous viewer of an app that limits anonymous viewers to signed embeds."""
    from app.access_login import may

    if not has_request_context():
        return False
    settings: Settings = current_app.config["MAUZO_SETTINGS"]
    if settings.require_signed_embeds and not g.get("mauzo_user"):
        return False
    return may("admin")


def signing_part() -> html.Div:
    """Expiry, branch lock and chart-or-page choice, and the signed URL and snippet to copy."""
    return html.Div(
        [
            html.H3("Signed link", className="h6 mt-3"),
            html.P("Locks these filters and, optionally, the branches the viewer may see; altered or expired "
                   "links are refused. Signed by the server with MAUZO_SECRET_KEY.", className="small text-muted"),
            dbc.RadioItems(id="embed-sign-what", value="chart", inline=True, className="small mb-2",
                           options=[{"label": "This chart", "value": "chart"},
                                    {"label": "The whole page", "value": "page"}]),
            dbc.Row([
                dbc.Col([dbc.Label("Expires after", html_for="embed-sign-expires", className="small mb-0"),
                         dbc.Select(id="embed-sign-expires", value="1d", size="sm",
                                    options=[{"label": label, "value": value} for label, value in EXPIRIES])],
                        sm=4),
                dbc.Col([dbc.Label("Branches the viewer may see", html_for="embed-sign-scope", className="small mb-0"),
                         dcc.Dropdown(id="embed-sign-scope", multi=True, placeholder="All branches",
                                      className="small")], sm=8),
            ], className="g-2 mb-2"),
            dbc.Button("Sign link", id=SIGN_BUTTON, size="sm", color="primary"),
            html.Div(id=SIGN_MESSAGE, className="small mt-2", role="status"),
            dcc.Textarea(id=SIGNED_URL, readOnly=True, style={"width": "100%", "height": "4rem"},
                         className="font-monospace small mt-2"),
            dcc.Clipboard(target_id=SIGNED_URL, title="Copy the URL", className="btn btn-sm btn-outline-secondary"),
            dcc.Textarea(id=SIGNED_SNIPPET, readOnly=True, style={"width": "100%", "height": "5rem"},
                         className="font-monospace small mt-2"),
            dcc.Clipboard(target_id=SIGNED_SNIPPET, title="Copy the snippet",
                          className="btn btn-sm btn-outline-secondary"),
        ],
        id="embed-sign-part",
    )


@callback(
    Output("embed-sign-scope", "options"),
    Output("embed-sign-scope", "value"),
    Output(SIGNED_URL, "value", allow_duplicate=True),
    Output(SIGNED_SNIPPET, "value", allow_duplicate=True),
    Input("embed-modal", "is_open"),
    State("filters", "data"),
    State("filter-options", "data"),
    prevent_initial_call=True,
)
def prepare_signing(is_open: bool, filters_data: dict | None, options: dict | None) -> tuple:
    """On opening: every branch to choose from, the filter's branches chosen, no stale link."""
    if not is_open:
        raise PreventUpdate
    branches = list((options or {}).get("branches") or [])
    chosen = list(Filters.from_args(filters_data or {}).values("branch"))
    return [{"label": b, "value": b} for b in sorted(set(branches) | set(chosen))], chosen, "", ""


def _target(what: str | None, target: dict | None) -> str:
    from app.embed import chart_ids, page_paths

    target = target or {}
    if what == "page":
        page = (str(target.get("page") or "/").rstrip("/")) or "/"
        if page not in page_paths():
            raise ValueError("this view is not a dashboard page")
        return page
    chart = str(target.get("chart") or "")
    if chart not in chart_ids():
        raise ValueError("this chart cannot be embedded alone; sign the whole page instead")
    return chart


@callback(
    Output(SIGNED_URL, "value"),
    Output(SIGNED_SNIPPET, "value"),
    Output(SIGN_MESSAGE, "children"),
    Input(SIGN_BUTTON, "n_clicks"),
    State(TARGET_STORE, "data"),
    State("embed-sign-what", "value"),
    State("embed-sign-expires", "value"),
    State("embed-sign-scope", "value"),
    State("filters", "data"),
    prevent_initial_call=True,
)
def sign_link(clicks: int | None, target: dict | None, what: str | None, expires: str | None,
              branches: list[str] | None, filters_data: dict | None) -> tuple[str, str, Any]:
    """Sign the dialog's view on the server (never in the browser), for those who may."""
    if not clicks:
        raise PreventUpdate
    if not may_sign():
        return "", "", dbc.Alert("Only administrators may make signed links.", color="danger", className="py-1")
    settings: Settings = current_app.config["MAUZO_SETTINGS"]
    try:
        if expires not in {value for _, value in EXPIRIES}:
            raise ValueError("choose one of the offered lifetimes")
        name = _target(what, target)
        filters = Filters.from_args(filters_data or {})
        scope = link_scope(filters, branches)
        url = signed_url(settings, request.host_url, name, filters, scope, parse_duration(str(expires)))
    except (ValueError, InvalidFilter) as exc:  # DevSecretKey too: nothing is signed with the public key
        return "", "", dbc.Alert(f"Not signed: {exc}", color="warning", className="py-1")
    until = dt.datetime.now(dt.UTC) + parse_duration(str(expires))
    user = g.get("mauzo_user") or "(no login)"
    log.info("signed embed link for %s by %s, scope %s, until %s UTC", name, user, scope.describe(),
             f"{until:%Y-%m-%d %H:%M}")
    return url, iframe_snippet(url, name), html.Span(f"Valid until {until:%d %b %Y %H:%M} UTC.",
                                                     className="text-success")
