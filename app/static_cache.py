"""Static files a browser keeps: a second visit fetches no JavaScript or CSS at all.

Dash names its bundles with a fingerprint (``dash_renderer.v4_4_1m1796084786.min.js``: package
version and file time) and links ``assets/`` files with ``?m=<file time>``, so a URL's bytes never
change; those answers get a year of freshness (``immutable``: no revalidation on reload either).

What Dash loads lazily has no fingerprint: dcc's chunks for graphs, dropdowns and date pickers,
AG Grid's community chunk, and plotly.js itself, which dcc.Graph fetches only once a chart's figure
has arrived (after the callbacks) — a serial step of 4.8 MB on every first view, and a revalidation
round trip for each of them on every later one. The pages use all of them, so they are linked as
ordinary page scripts (``app.scripts``, the public Dash API): fingerprinted, cached like the rest,
fetched in parallel with the other bundles. A webpack chunk that is already on the page is used
as it is, and dcc.Graph uses ``window.Plotly`` when it is there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dash.fingerprint import check_fingerprint
from flask import Response, request

if TYPE_CHECKING:
    from dash import Dash

YEAR = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={YEAR}, immutable"
# (namespace, path in the package) of each lazily loaded file that Mauzo's pages use.
PAGE_SCRIPTS = (
    ("dash", "dcc/async-dropdown.js"),
    ("dash", "dcc/async-datepicker.js"),
    ("dash", "dcc/async-graph.js"),
    ("dash_ag_grid", "async-community.js"),
    ("plotly", "package_data/plotly.min.js"),
)


def init_static_cache(app: Dash) -> None:
    """Link the lazy chunks as page scripts and mark fingerprinted answers immutable."""
    for namespace, path in PAGE_SCRIPTS:
        app.scripts.append_script({"relative_package_path": path, "namespace": namespace})
    suites = app.config.routes_pathname_prefix + "_dash-component-suites/"
    assets = app.config.routes_pathname_prefix + app.config.assets_url_path.strip("/") + "/"

    @app.server.after_request
    def _cache_headers(response: Response) -> Response:
        if response.status_code != 200 or request.method not in ("GET", "HEAD"):
            return response
        path = request.path
        fingerprinted = path.startswith(suites) and check_fingerprint(path)[1]
        if fingerprinted or (path.startswith(assets) and request.args.get("m")):
            response.headers["Cache-Control"] = IMMUTABLE
        return response
