"""Embedding: ``/embed/<chart-id>`` pages, signed links enforced on every request they cause.

How a signed link is enforced (docs/embedding.md):

* the page load ``/embed/<chart>?<filters>&t=<token>`` is verified here (signature, expiry, the
  chart, and that the URL's filters are the signed ones); a bad link gets a 403 page saying why;
* the Dash renderer echoes the token in the body of every callback request (a ``request_pre``
  hook), and each such request is verified again, put under the link's scope (its branch scope
  narrowed by its locked selections) and has its filter inputs replaced by the signed filters, so a
  hand-crafted ``/_dash-update-component`` POST cannot widen the view; callbacks of another chart's
  section are refused;
* with ``MAUZO_REQUIRE_SIGNED_EMBEDS=1`` an anonymous request (no login) is embed-only: the app's
  structure (``/_dash-layout``, scripts) loads with a scope that allows nothing, and a page or
  callback without a valid link gets 403.
"""

from __future__ import annotations

import html
import logging
from typing import Any
from urllib.parse import urlencode

import dash._callback as dash_callback
from dash import html as dash_html
from flask import Response, current_app, g, has_app_context, request
from werkzeug.exceptions import BadRequest

from app.access import NOTHING, enter_scope
from app.config import Settings
from app.embed_link import TOKEN_ARG, BadLink, EmbedGrant, check_request, verify

log = logging.getLogger("mauzo.embed")

EMBED_PREFIX = "/embed/"
DASH_EXTENSION = "mauzo_dash_app"
BODY_KEY = "mauzoEmbed"  # where the renderer puts the token in a callback request's body
CALLBACK_PATH = "/_dash-update-component"
# Paths that carry no figures: the app's structure, scripts, styles and health checks.
STRUCTURE_PREFIXES = ("/_dash-layout", "/_dash-dependencies", "/_dash-component-suites/", "/assets/",
                      "/_favicon", "/_reload-hash", "/api")
FILTERS_STORE = "filters"
# Query arguments of an embedded view that are not filters, kept by the shell's filter sync.
KEPT_ARGS = ("embed", TOKEN_ARG)
# Section containers whose only inputs are the filters and the Refresh button can stand alone.
_SECTION_INPUTS = ["filters", "refresh-token"]
_NOT_EMBEDDABLE = frozenset({"pl-note"})

RENDERER = (
    f"window.__mauzoEmbed = new URLSearchParams(window.location.search).get('{TOKEN_ARG}');\n"
    "var renderer = new DashRenderer({request_pre: function (payload) {\n"
    f"    if (window.__mauzoEmbed) {{ payload['{BODY_KEY}'] = window.__mauzoEmbed; }}\n"
    "}});\n"
)


_SEEN: dict[str, Any] = {}


def _callback_map() -> dict[str, Any]:
    """Dash's callbacks: in the global map until an app's first request moves them into that app
    (so what was seen there is remembered for the process), then in this app's map."""
    _SEEN.update(dash_callback.GLOBAL_CALLBACK_MAP)
    found = dict(_SEEN)
    app = current_app.extensions.get(DASH_EXTENSION) if has_app_context() else None
    if app is not None:
        found.update(app.callback_map)
    return found


def chart_ids() -> list[str]:
    """Sections that can be embedded alone (no page control they depend on), in page order."""
    ids = []
    for key, spec in _callback_map().items():
        inputs = [item["id"] for item in spec.get("inputs", [])]
        name = key.removesuffix(".children")
        if key.endswith(".children") and inputs == _SECTION_INPUTS and name not in _NOT_EMBEDDABLE:
            ids.append(name)
    return ids


def embed_body(chart: str) -> Any:
    """The content of ``/embed/<chart>``: that one section, filled by its usual callback."""
    from components.state import section

    if chart not in chart_ids():
        return dash_html.Div(f"There is no embeddable chart called {chart!r}.", className="p-3")
    return dash_html.Div(section(chart, min_height=240), className="mauzo-embed py-2")


def refusal(reason: str, status: int = 403) -> Response:
    """A small, clear HTML page (the embed frame shows it in place of the chart)."""
    body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Mauzo · not allowed</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family:system-ui,sans-serif;margin:1.5rem;color:#333">
<h1 style="font-size:1.2rem">This embedded view cannot be shown</h1>
<p id="mauzo-refusal">{html.escape(reason)}</p></body></html>"""
    return Response(body, status=status, mimetype="text/html")


def _callback_refusal(reason: str) -> Response:
    return Response(f'{{"error": "{reason}"}}', status=403, mimetype="application/json")


def _settings() -> Settings:
    return current_app.config["MAUZO_SETTINGS"]


def _logged_in() -> bool:
    """Set by the login hook (``app.access_login``) when a user is authenticated."""
    return bool(g.get("mauzo_user"))


def _strict() -> bool:
    """Anonymous requests are embed-only when signed embeds are required or a login is on."""
    settings = _settings()
    return settings.require_signed_embeds or bool(settings.auth)


def chart_list() -> Response:
    """``/embed/``: every chart id with an iframe snippet (no figures, so open to everyone)."""
    items = "".join(
        f'<li><code>{html.escape(c)}</code> <code class="snippet">&lt;iframe src="{html.escape(request.host_url)}'
        f'embed/{html.escape(c)}" width="100%" height="420" style="border:0"&gt;&lt;/iframe&gt;</code></li>'
        for c in chart_ids())
    body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Mauzo · embeddable charts</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family:system-ui,sans-serif;margin:1.5rem;overflow-wrap:anywhere">
<h1 style="font-size:1.3rem">Embeddable charts</h1>
<p>Append the page's filters (<code>?startDate=...&amp;branch=...</code>) or use a signed link from
<code>mauzo embed-link --chart ID</code>. Any page also renders without navigation with <code>?embed=1</code>.</p>
<ul id="mauzo-chart-ids">{items}</ul></body></html>"""
    return Response(body, mimetype="text/html")


def _embed_page() -> Response | None:
    chart = request.path[len(EMBED_PREFIX):].strip("/")
    if not chart:
        return chart_list()
    if chart not in chart_ids():
        return refusal(f"There is no embeddable chart called {chart!r}.", status=404)
    token = request.args.get(TOKEN_ARG)
    if token is None:
        if _strict() and not _logged_in():
            return refusal("This link is not signed. Embedded views need a signed link (mauzo embed-link).")
        return None
    try:
        grant = verify(_settings(), token)
        check_request(grant, chart, request.args.to_dict(flat=False))
    except BadLink as exc:
        return refusal(str(exc))
    enter_scope(grant.effective_scope)
    return None


def _lock_filters(body: dict[str, Any], grant: EmbedGrant, token: str) -> None:
    """Replace every value of the filter store and the URL's query string in the request by the
    signed ones (Dash reads the same parsed body afterwards)."""
    locked_store = grant.filters.as_dict()
    locked_search = "?" + urlencode([*grant.filters.to_args(), (TOKEN_ARG, token)])
    for group in ("inputs", "state"):
        for item in body.get(group) or []:
            for entry in item if isinstance(item, list) else [item]:
                if not isinstance(entry, dict):
                    continue
                if entry.get("id") == FILTERS_STORE and entry.get("property") == "data":
                    entry["value"] = locked_store
                elif entry.get("id") == "url" and entry.get("property") == "search":
                    entry["value"] = locked_search


# What an embed page's own callbacks write besides its chart: the shell's URL/filter sync, its
# routing and chrome, summaries and downloads. Anything else made with a link is refused.
SHELL_OUTPUTS = frozenset({
    "url", "filter-preset", "filter-dates", "filter-compare", "filters", "xfilter-undo", "filter-notice",
    "filter-area", "nav-area", "page-content", "xfilter-badge", "xfilter-chip", "filter-summary", "refresh-token",
    "download",
})
SHELL_PATTERN_TYPES = ('"type":"filter-dim"', '"type":"nav-link"')


def _outputs(body: dict[str, Any]) -> set[str]:
    """The component ids a callback request writes (``..a.prop...b.prop..`` or ``a.prop``)."""
    output = str(body.get("output") or "")
    return {part.rsplit(".", 1)[0] for part in output.strip(".").split("...") if part}


def _allowed_output(component: str, chart: str) -> bool:
    if component.startswith("{"):
        return any(kind in component.replace(" ", "") for kind in SHELL_PATTERN_TYPES)
    return component == chart or component in SHELL_OUTPUTS


def _callback() -> Response | None:
    try:
        # Not ``silent``: only a non-silent parse is cached where Dash's own ``get_json()`` finds it.
        body = request.get_json()
    except BadRequest:
        return None  # Dash answers a malformed body itself
    if not isinstance(body, dict):
        return None
    token = body.pop(BODY_KEY, None)
    if token is None:
        if _strict() and not _logged_in():
            return _callback_refusal("a signed embed link or a login is required")
        return None
    try:
        grant = verify(_settings(), str(token))
    except BadLink as exc:
        return _callback_refusal(str(exc))
    if not all(_allowed_output(component, grant.chart) for component in _outputs(body)):
        return _callback_refusal("this link shows one chart only")
    enter_scope(grant.effective_scope)
    _lock_filters(body, grant, str(token))
    return None


def enforce_embeds() -> Response | None:
    """App ``before_request`` hook: signed links on embed pages and the callbacks they make."""
    path = request.path
    if path.startswith(EMBED_PREFIX) or path == EMBED_PREFIX.rstrip("/"):
        return _embed_page() if path.startswith(EMBED_PREFIX) else chart_list()
    if path == CALLBACK_PATH and request.method == "POST":
        return _callback()
    if not _strict() or _logged_in():
        return None
    if path.startswith(STRUCTURE_PREFIXES):
        if path.startswith("/_dash"):
            enter_scope(NOTHING)  # the layout may read option lists: none for an anonymous viewer
        return None
    return refusal("This dashboard is only available through signed embed links or after signing in.")


def init_embed(app: Any) -> None:
    """Install the renderer hook and the request hook on a Dash app."""
    app.renderer = RENDERER
    app.server.extensions[DASH_EXTENSION] = app
    _callback_map()
    app.server.before_request(enforce_embeds)
