"""The Dash app factory: one Flask server carrying the dashboard pages and the REST API.

Each concern hooks in through one call here, owned by its own module:
``init_observability`` (request ids, logs), ``init_cache`` (result cache), ``register_api``
(REST blueprint) and ``build_layout`` (the shell around the pages).
"""

from __future__ import annotations

import importlib
import threading

from dash import Dash

from app.config import REPO_ROOT, Settings

PAGE_MODULES: tuple[str, ...] = (
    "pages.overview", "pages.salespeople", "pages.products", "pages.branches", "pages.customers", "pages.diagnostics",
)


def _engine_for(settings: Settings):  # type: ignore[no-untyped-def]
    from data.engines.duckdb_engine import DuckDBEngine
    from data.service import make_engine

    if settings.engine == "duckdb":
        return DuckDBEngine(settings.data_dir)
    return make_engine()


def create_app(settings: Settings | None = None) -> Dash:
    """Build the app. Importing page modules registers them (no folder scanning, so the page list
    is explicit). Engine connections open lazily, after gunicorn forks."""
    from app.api import register_api
    from app.cache import init_cache
    from app.observability import init_observability
    from app.shell import build_layout
    from data import service

    settings = settings or Settings.from_env()
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(REPO_ROOT / "assets"),
        title=settings.title,
        suppress_callback_exceptions=True,
        use_async=False,
        update_title=None,
    )
    server = app.server
    server.config["SECRET_KEY"] = settings.secret_key
    server.config["MAUZO_SETTINGS"] = settings

    init_observability(server)
    cache = init_cache(server, settings)
    service.configure(_engine_for(settings), cache)
    register_api(server)

    for module in PAGE_MODULES:
        importlib.import_module(module)
    app.layout = build_layout
    _register_dash_resources_on_first_request(app)
    return app


def _register_dash_resources_on_first_request(app: Dash) -> None:
    """Dash records which of its JS/CSS files may be served only while rendering the index page, so
    a gunicorn worker whose first request is a script (the index came from another worker) would
    answer 500. Render the index once per process, on its first request, before anything else."""
    lock = threading.Lock()
    done = False

    @app.server.before_request
    def _warm() -> None:
        nonlocal done
        if done:
            return
        with lock:
            if not done:
                app.index()
                done = True
