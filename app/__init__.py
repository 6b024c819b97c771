"""The Dash app factory: one Flask server carrying the dashboard pages and the REST API.

Each concern hooks in through one call here, owned by its own module:
``init_observability`` (request ids, logs), ``init_cache`` (result cache), ``register_api``
(REST blueprint) and ``build_layout`` (the shell around the pages).
"""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING

from app.config import REPO_ROOT, Settings

if TYPE_CHECKING:
    from dash import Dash

PAGE_MODULES: tuple[str, ...] = (
    "pages.overview", "pages.salespeople", "pages.products", "pages.branches", "pages.customers", "pages.pipeline",
    "pages.diagnostics", "pages.data",
)


def create_app(settings: Settings | None = None) -> Dash:
    """Build the app. Importing page modules registers them (no folder scanning, so the page list
    is explicit). Engine connections open lazily, after gunicorn forks.

    The query runner (engine + result cache) belongs to this app: it is kept in
    ``server.extensions`` and found through ``current_app`` by ``data.service.get_runner``."""
    from dash import Dash

    from app.access import init_access
    from app.access_login import init_login
    from app.api import register_api
    from app.cache import init_cache
    from app.compression import init_compression
    from app.embed import init_embed
    from app.observability import init_observability
    from app.security import init_security_headers
    from app.shell import build_layout, register_not_found
    from app.static_cache import init_static_cache
    from app.uploads import register_uploads
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
    init_access(server)
    init_login(server)
    init_security_headers(server)
    init_compression(server)
    cache = init_cache(server, settings)
    server.extensions[service.RUNNER_EXTENSION] = service.make_runner(settings, cache)
    register_api(server)
    register_uploads(server)

    for module in PAGE_MODULES:
        importlib.import_module(module)
    app.layout = build_layout
    register_not_found(server)
    init_embed(app)
    init_static_cache(app)
    _remember_page_callbacks()
    _register_dash_resources_on_first_request(app)
    return app


# Every callback the page modules registered with ``dash.callback`` (map, list, inline scripts).
_PAGE_CALLBACKS: tuple[dict, list, list] = ({}, [], [])
_PAGE_CALLBACKS_LOCK = threading.Lock()


def _remember_page_callbacks() -> None:
    """Dash hands the callbacks registered with ``dash.callback`` to the first app of the process
    that serves a request and empties its global lists, so a second app built in the same process
    (the benchmark, the tests, an embedding WSGI host) would answer "Callback function not found".
    Keep every registration seen, so each app can take all of them (``_give_page_callbacks``)."""
    from dash import _callback

    known, listed, scripts = _PAGE_CALLBACKS
    with _PAGE_CALLBACKS_LOCK:
        known.update(_callback.GLOBAL_CALLBACK_MAP)
        outputs = {entry["output"] for entry in _callback.GLOBAL_CALLBACK_LIST}
        listed[:] = [e for e in listed if e["output"] not in outputs] + list(_callback.GLOBAL_CALLBACK_LIST)
        scripts.extend(s for s in _callback.GLOBAL_INLINE_SCRIPTS if s not in scripts)


def _give_page_callbacks() -> None:
    """Put every remembered callback back into Dash's global lists just before an app takes them."""
    from dash import _callback

    known, listed, scripts = _PAGE_CALLBACKS
    _callback.GLOBAL_CALLBACK_MAP.update(known)
    _callback.GLOBAL_CALLBACK_LIST[:] = list(listed)
    _callback.GLOBAL_INLINE_SCRIPTS[:] = list(scripts)


def _register_dash_resources_on_first_request(app: Dash) -> None:
    """Dash records which of its JS/CSS files may be served only while rendering the index page, so
    a gunicorn worker whose first request is a script (the index came from another worker) would
    answer 500. Render the index once per process, on its first request, before anything else.

    Dash's own first-request setup (``_setup_server``) marks itself done before it has copied the
    callbacks, so a worker whose first requests are several callbacks at once (a returning visitor
    fetches no scripts) answered 500 "Callback function not found" to all but one. Running it here,
    first and under the lock, makes the other threads wait for it."""
    lock = threading.Lock()
    done = False

    def _warm() -> None:
        nonlocal done
        if done:
            return
        with lock:
            if not done:
                with _PAGE_CALLBACKS_LOCK:
                    _give_page_callbacks()
                    app._setup_server()
                app.index()
                done = True

    app.server.before_request_funcs.setdefault(None, []).insert(0, _warm)
