"""Result caching for the data layer (extended in its own issue: Redis, stampede, degraded mode).

``init_cache`` returns the ``ResultCache`` the query runner uses, or None for no caching;
``cache_health`` says what the cache is doing for health checks and diagnostics.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from app.config import Settings


def init_cache(server: Flask, settings: Settings) -> Any | None:
    """No cache yet: every query goes to the engine."""
    server.extensions["mauzo_cache"] = None
    return None


def cache_health(server: Flask) -> dict[str, Any]:
    return {"backend": "none", "status": "disabled", "detail": "result caching is not configured"}
