"""Embedding: ``/embed/<chart-id>`` pages, signed links enforced on every request they cause.

How a signed link is enforced (docs/embedding.md):

* the page load ``/embed/<chart>?<filters>&t=<token>`` (one chart) or ``/<page>?embed=1&<filters>&t=<token>``
  (a whole page) is verified here (signature, expiry, the chart or page, and that the URL's filters
  are the signed ones); a bad link gets a 403 page saying why;
* the Dash renderer echoes the token in the body of every callback request (a ``request_pre``
  hook), and each such request is verified again, put under the link's scope (its branch scope
  narrowed by its locked selections) and has its filter inputs, URL path and query replaced by the
  signed ones (by position, as Dash passes them to the callback), so a hand-crafted
  ``/_dash-update-component`` POST cannot widen the view; callbacks outside the link's chart (or
  page) and the shell's are refused, and so are downloads of another chart's (or page's) tables;
* with ``MAUZO_REQUIRE_SIGNED_EMBEDS=1`` an anonymous request (no login) is embed-only: the app's
  structure (``/_dash-layout``, scripts) loads with a scope that allows nothing, and a page or
  callback without a valid link gets 403.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import dash
import dash._callback as dash_callback
from dash import html as dash_html
from dash.development.base_component import Component
from flask import Response, current_app, g, has_app_context, request
from werkzeug.exceptions import BadRequest

from app.access import NOTHING, enter_scope
from app.config import Settings
from app.embed_link import EMBED_ARG, TOKEN_ARG, BadLink, EmbedGrant, check_request, require_real_key, verify
from app.embed_ui import SIGN_OUTPUTS, may_sign
from data.scope import scoped

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
KEPT_ARGS = (EMBED_ARG, TOKEN_ARG)
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


def page_paths() -> list[str]:
    """The dashboard's page paths a link may show (what ``mauzo embed-link --page`` accepts): not
    the pages that need a role (the Data page loads data)."""
    return [page["path"] for page in dash.page_registry.values() if not page.get("requires")]


def page_path(path: str) -> str | None:
    """The page a request path shows (``/branches/`` is ``/branches``), None when it is no page."""
    normal = path.rstrip("/") or "/"
    return normal if normal in page_paths() else None


_PAGE_PARTS: dict[str, tuple[frozenset[str], str, frozenset[str]]] = {}


def _tree_ids(tree: Any) -> Iterator[Any]:
    """Every component id in a layout or a callback's output."""
    if isinstance(tree, (list, tuple)):
        for item in tree:
            yield from _tree_ids(item)
    elif isinstance(tree, Component):
        if getattr(tree, "id", None) is not None:
            yield tree.id
        for child in tree._traverse():  # noqa: SLF001 - Dash's own walk over a component's children
            if isinstance(child, Component) and getattr(child, "id", None) is not None:
                yield child.id


def page_parts(path: str) -> tuple[frozenset[str], str, frozenset[str]]:
    """A page's component ids, its module, and the Excel workbooks its header offers. Built once
    per process from the page's layout, under a scope that reads nothing (only ids are kept)."""
    if path not in _PAGE_PARTS:
        page = next(p for p in dash.page_registry.values() if p["path"] == path)
        layout = page["layout"]
        try:
            with scoped(NOTHING):
                tree = layout() if callable(layout) else layout
        except Exception:  # noqa: BLE001 - a page that cannot be built allows only the shell's callbacks
            log.exception("embed: the layout of %s could not be built", path)
            tree = None
        ids = list(_tree_ids(tree))
        parts = (
            frozenset(i for i in ids if isinstance(i, str)),
            str(page["module"]),
            frozenset(str(i["page"]) for i in ids if isinstance(i, dict) and i.get("type") == XLSX_TYPE),
        )
        if tree is None:
            return parts  # not kept: the next request tries again
        _PAGE_PARTS[path] = parts
    return _PAGE_PARTS[path]


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


def _signed_page(path: str) -> Response | None:
    """A whole page opened with a signed link (``/<page>?embed=1&...&t=``): verified like a chart."""
    try:
        grant = verify(_settings(), request.args[TOKEN_ARG])
        check_request(grant, path, request.args.to_dict(flat=False))
    except BadLink as exc:
        return refusal(str(exc))
    enter_scope(grant.effective_scope)
    return None


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


def _locked_values(grant: EmbedGrant, token: str) -> dict[tuple[str, str], Any]:
    """What a link's callbacks receive for the filter store and the URL, whatever the request says."""
    kept = [(EMBED_ARG, "1")] if grant.page else []
    return {
        (FILTERS_STORE, "data"): grant.filters.as_dict(),
        ("url", "search"): "?" + urlencode([*kept, *grant.filters.to_args(), (TOKEN_ARG, token)]),
        ("url", "pathname"): grant.page or EMBED_PREFIX + grant.chart,
    }


def _lock_filters(body: dict[str, Any], spec: dict[str, Any], grant: EmbedGrant, token: str) -> bool:
    """Replace the filter store's and the URL's values in the request by the signed ones. Dash
    passes inputs and state to the callback by position, so the positions the callback declares for
    them are overwritten (an entry renamed by a crafted request is no way around it). False when the
    request's inputs do not have the callback's shape."""
    locked = _locked_values(grant, token)
    for group in ("inputs", "state"):
        declared = spec.get(group) or []
        sent = body.get(group) or []
        if not isinstance(sent, list) or len(sent) != len(declared):
            return False
        for index, item in enumerate(declared):
            key = (str(item.get("id")), str(item.get("property")))
            if key in locked:
                sent[index] = {"id": key[0], "property": key[1], "value": locked[key]}
    return True


# What an embed page's own callbacks write besides its chart: the shell's URL/filter sync, its
# routing and chrome, summaries and downloads. Anything else made with a link is refused.
SHELL_OUTPUTS = frozenset({
    "url", "filter-preset", "filter-dates", "filter-compare", "filters", "xfilter-undo", "filter-notice",
    "filter-area", "nav-area", "page-content", "xfilter-badge", "xfilter-chip", "filter-summary", "refresh-token",
    "download",
})
SHELL_PATTERN_TYPES = ('"type":"filter-dim"', '"type":"nav-link"')
DOWNLOAD_OUTPUT = "download"
CSV_TYPE, XLSX_TYPE = "csv-download", "xlsx-download"


def _outputs(body: dict[str, Any]) -> set[str]:
    """The component ids a callback request writes (``..a.prop...b.prop..`` or ``a.prop``)."""
    output = str(body.get("output") or "")
    return {part.rsplit(".", 1)[0] for part in output.strip(".").split("...") if part}


def _shell_output(component: str) -> bool:
    if component.startswith("{"):
        return any(kind in component.replace(" ", "") for kind in SHELL_PATTERN_TYPES)
    return component in SHELL_OUTPUTS


def _callback_module(spec: dict[str, Any]) -> str:
    function = spec.get("callback")
    return str(getattr(getattr(function, "__wrapped__", function), "__module__", ""))


def _allowed_callback(body: dict[str, Any], spec: dict[str, Any], grant: EmbedGrant) -> bool:
    """A chart link runs its chart's callback and the shell's; a page link also every callback
    of its page (its sections, page controls, callbacks defined in the page's module)."""
    outputs = _outputs(body)
    if grant.chart:
        return all(o == grant.chart or _shell_output(o) for o in outputs)
    ids, module, _ = page_parts(grant.page)
    return _callback_module(spec) == module or all(o in ids or _shell_output(o) for o in outputs)


def _json_ids(value: Any, kind: str) -> Iterator[dict[str, Any]]:
    """Pattern-matching ids of type ``kind`` anywhere in a callback's JSON answer."""
    if isinstance(value, dict):
        if value.get("type") == kind:
            yield value
        for item in value.values():
            yield from _json_ids(item, kind)
    elif isinstance(value, list):
        for item in value:
            yield from _json_ids(item, kind)


def _section_tables(chart: str, grant: EmbedGrant, token: str) -> set[str]:
    """The tables a chart's section offers as CSV: the app asks itself for the section, with the
    link's token (so under its scope and filters; the results are cached, this is what the viewer
    was just shown) and reads the CSV buttons' ids from the answer. Asking through Dash's own
    protocol keeps this independent of how sections are registered."""
    body = {"output": f"{chart}.children", "outputs": {"id": chart, "property": "children"},
            "inputs": [{"id": FILTERS_STORE, "property": "data", "value": grant.filters.as_dict()},
                       {"id": "refresh-token", "property": "data", "value": 0}],
            "changedPropIds": [], "state": [], BODY_KEY: token}
    answer = current_app.test_client().post(CALLBACK_PATH, json=body)
    if answer.status_code != 200:
        return set()
    return {str(i.get("table")) for i in _json_ids(answer.get_json(silent=True), CSV_TYPE)}


def _allowed_download(body: dict[str, Any], grant: EmbedGrant, token: str) -> bool:
    """Downloads a link may make: CSVs of its chart's (or page's) tables, its page's workbook."""
    from components.exports import tables_for

    if grant.page:
        workbooks = page_parts(grant.page)[2]
        tables = {t.key for page in workbooks for t in tables_for(page)}
    else:
        workbooks, tables = frozenset(), None
    for prop_id in body.get("changedPropIds") or []:
        try:
            trigger = json.loads(str(prop_id).rsplit(".", 1)[0])
        except ValueError:
            return False
        if not isinstance(trigger, dict):
            return False
        if trigger.get("type") == XLSX_TYPE and trigger.get("page") in workbooks:
            continue
        if trigger.get("type") == CSV_TYPE:
            if tables is None:
                tables = _section_tables(grant.chart, grant, token)
            if trigger.get("table") in tables:
                continue
        return False
    return True


def _callback() -> Response | None:
    try:
        # Not ``silent``: only a non-silent parse is cached where Dash's own ``get_json()`` finds it.
        body = request.get_json()
    except BadRequest:
        return None  # Dash answers a malformed body itself
    if not isinstance(body, dict):
        return None
    if _outputs(body) & SIGN_OUTPUTS and not may_sign():
        return _callback_refusal("only administrators may sign links")
    token = body.pop(BODY_KEY, None)
    if token is None:
        if _strict() and not _logged_in():
            return _callback_refusal("a signed embed link or a login is required")
        return None
    try:
        grant = verify(_settings(), str(token))
    except BadLink as exc:
        return _callback_refusal(str(exc))
    spec = _callback_map().get(str(body.get("output")))
    if spec is None or not _allowed_callback(body, spec, grant):
        return _callback_refusal("this link shows one chart or page only")
    if not _lock_filters(body, spec, grant, str(token)):
        return _callback_refusal("this request does not match its callback")
    enter_scope(grant.effective_scope)
    if DOWNLOAD_OUTPUT in _outputs(body) and not _allowed_download(body, grant, str(token)):
        return _callback_refusal("this link cannot download that table")
    return None


def enforce_embeds() -> Response | None:
    """App ``before_request`` hook: signed links on embed pages and the callbacks they make."""
    path = request.path
    if path.startswith(EMBED_PREFIX) or path == EMBED_PREFIX.rstrip("/"):
        return _embed_page() if path.startswith(EMBED_PREFIX) else chart_list()
    if path == CALLBACK_PATH and request.method == "POST":
        return _callback()
    if TOKEN_ARG in request.args and (page := page_path(path)) is not None:
        return _signed_page(page)
    if not _strict() or _logged_in():
        return None
    if path.startswith(STRUCTURE_PREFIXES):
        if path.startswith("/_dash"):
            enter_scope(NOTHING)  # the layout may read option lists: none for an anonymous viewer
        return None
    return refusal("This dashboard is only available through signed embed links or after signing in.")


def init_embed(app: Any) -> None:
    """Install the renderer hook and the request hook on a Dash app. A deployment that relies on
    signatures (required signed embeds, or a login, whose anonymous viewers are embed-only) does not
    start with the public development key: anyone could forge a link with it."""
    settings: Settings = app.server.config["MAUZO_SETTINGS"]
    if settings.require_signed_embeds:
        require_real_key(settings, "MAUZO_REQUIRE_SIGNED_EMBEDS=1")
    if settings.auth:
        require_real_key(settings, f"MAUZO_AUTH={settings.auth}")
    app.renderer = RENDERER
    app.server.extensions[DASH_EXTENSION] = app
    _callback_map()
    app.server.before_request(enforce_embeds)
