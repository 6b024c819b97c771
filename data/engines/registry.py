"""The engine registry: a name in ``MAUZO_ENGINE`` -> a factory that builds the engine.

The app factory (and the CLI) choose the engine once, from ``Settings``; nothing else branches on
an engine's name. An engine module registers itself by adding one line to ``_FACTORIES``; its
import happens only when it is chosen, so DuckDB users never import an HTTP client and vice versa.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from data.engines.base import Engine

if TYPE_CHECKING:
    from app.config import Settings


def _duckdb(settings: Settings) -> Engine:
    from data.engines.duckdb_engine import DuckDBEngine

    return DuckDBEngine(settings.data_dir, threads=settings.duckdb_threads)


def _druid(settings: Settings) -> Engine:
    from data.engines.druid_client import DruidSettings
    from data.engines.druid_engine import DruidEngine

    if not settings.druid_url:
        raise ValueError("MAUZO_ENGINE=druid needs DRUID_URL (the Druid router, e.g. http://router:8888)")
    return DruidEngine(DruidSettings.from_mapping(settings.druid_env))


_FACTORIES: dict[str, Callable[[Settings], Engine]] = {
    "duckdb": _duckdb,
    "druid": _druid,
}


def register_engine(name: str, factory: Callable[[Settings], Engine]) -> None:
    _FACTORIES[name] = factory


def engine_names() -> tuple[str, ...]:
    return tuple(sorted(_FACTORIES))


def build_engine(settings: Settings) -> Engine:
    """The engine ``settings.engine`` names; a clear error listing the known ones otherwise."""
    try:
        factory = _FACTORIES[settings.engine]
    except KeyError:
        raise ValueError(f"MAUZO_ENGINE={settings.engine!r} is not supported (known: {', '.join(engine_names())})"
                         ) from None
    return factory(settings)
