"""Request ids and structured request logs for every request (pages, callbacks and API)."""

from __future__ import annotations

from flask import Flask


def init_observability(server: Flask) -> None:
    """Install request-id and logging hooks on the server."""
