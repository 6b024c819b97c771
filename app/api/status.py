"""What the health routes and the diagnostics page report, gathered in one place.

Why shared: an operator comparing ``/api/health/db`` with the ``/diagnostics`` page must see the
same facts, so both read them from here.
"""

from __future__ import annotations

import platform
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import polars as pl
from flask import Flask, current_app

from app.api.envelope import jsonable
from app.cache import cache_health
from app.config import Settings
from data.engines.base import StoreInfo
from data.service import get_runner

HEALTHY_CACHE_STATES = frozenset({"ok", "disabled"})
UNREACHABLE_DETAIL = "the store cannot be read or holds no data yet"


@cache
def app_version() -> str:
    try:
        return version("mauzo")
    except PackageNotFoundError:  # running from a checkout that was never pip-installed
        return "unknown"


def app_info() -> dict[str, Any]:
    return {"name": "mauzo", "version": app_version(), "python": platform.python_version()}


def cache_status(server: Flask) -> dict[str, Any]:
    """The cache owner's report, camelCased; ``healthy`` says whether it is working as configured."""
    report = jsonable(dict(cache_health(server)))
    report["healthy"] = str(report.get("status", "")).lower() in HEALTHY_CACHE_STATES
    return report


def _store_report(info: StoreInfo, show_detail: bool) -> dict[str, Any]:
    return {
        "engine": info.engine,
        "configured": True,
        "status": "ok" if info.reachable else "unreachable",
        "reachable": info.reachable,
        "rows": info.rows,
        "dataVersion": info.data_version,
        "lastIngest": jsonable(info.last_ingest) if info.last_ingest else None,
        "detail": info.detail if (info.reachable or show_detail) else UNREACHABLE_DETAIL,
    }


def store_status(show_detail: bool = False) -> dict[str, Any]:
    """Engine, reachability, rows, data version and last ingest of the configured store.

    An unreachable store's own detail names filesystem paths, so the public API gets a fixed text
    unless ``show_detail``."""
    return _store_report(get_runner().engine.info(), show_detail)


def druid_configured() -> bool:
    settings = current_app.config.get("MAUZO_SETTINGS") or Settings.from_env()
    return settings.engine == "druid" or bool(settings.druid_url)


def druid_status(show_detail: bool = False) -> dict[str, Any]:
    """Druid's health when it is the engine in use; otherwise say why it is not checked."""
    engine = get_runner().engine
    if engine.name == "druid":
        return _store_report(engine.info(), show_detail)
    configured = druid_configured()
    return {
        "engine": "druid",
        "configured": configured,
        "status": "not in use" if configured else "not configured",
        "reachable": None,
        "rows": None,
        "dataVersion": None,
        "lastIngest": None,
        "detail": (f"DRUID_URL is set but the app runs on {engine.name}" if configured
                   else "set MAUZO_ENGINE=druid and DRUID_URL to use Druid"),
    }


def ingest_history(limit: int = 10) -> pl.DataFrame:
    """The most recent ingests, newest first (empty frame when the store is empty)."""
    return get_runner().engine.ingest_history(limit)
