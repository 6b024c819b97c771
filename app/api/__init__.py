"""The REST API blueprint (``/api``): figures, health checks and the OpenAPI document."""

from __future__ import annotations

from flask import Flask


def register_api(server: Flask) -> None:
    """Attach the ``/api`` blueprint, its tokens and the router-level error envelopes."""
    from app.api import graphql, health, pipeline_routes, routes  # noqa: F401  (importing registers the views)
    from app.api.auth import init_tokens
    from app.api.blueprint import api
    from app.api.errors import install_app_handlers

    init_tokens(server)
    install_app_handlers(server)
    server.register_blueprint(api)
