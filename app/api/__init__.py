"""The REST API blueprint (``/api``)."""

from __future__ import annotations

from flask import Flask


def register_api(server: Flask) -> None:
    """Attach the ``/api`` blueprint to the Dash app's Flask server."""
    from app.api.routes import blueprint

    server.register_blueprint(blueprint)
