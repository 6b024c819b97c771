"""What every engine provides, and the per-engine SQL dialect as data.

Dialect differences (time bucketing, how the time column and date parameters are written) live
in one ``Dialect`` value per engine; the SQL compiler reads them and never branches on engine names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import polars as pl


class TimeGrain(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


@dataclass(frozen=True)
class Dialect:
    """SQL spelling of one engine. Templates use ``{col}`` for the time column."""

    name: str
    grain_templates: dict[TimeGrain, str]
    # The engine's own time column (Druid: ``__time``); None: each dataset's declared time column.
    time_column: str | None = None
    # How a bound date parameter is compared with the time column, e.g. "?" or "TIME_PARSE(?)".
    date_param: str = "?"
    # Expression giving a plain DATE from the time column (for recency/first/last sale).
    date_expr: str = "{col}"

    def bucket(self, grain: TimeGrain | str, column: str) -> str:
        """The expression for the start of ``grain`` periods of ``column`` (raises for a grain
        the engine lacks rather than silently falling back)."""
        try:
            template = self.grain_templates[TimeGrain(grain)]
        except (KeyError, ValueError):
            raise NotImplementedError(f"{self.name} has no time grain {grain!r}") from None
        return template.format(col=self.time_column or column)


@dataclass(frozen=True)
class CompiledQuery:
    """SQL text with bound parameters, in placeholder order. Values never appear in ``sql``."""

    name: str
    sql: str
    params: tuple[Any, ...] = field(default=())


@dataclass(frozen=True)
class StoreInfo:
    """What health checks and the diagnostics page report about a store."""

    engine: str
    reachable: bool
    rows: int | None
    data_version: str | None
    last_ingest: dict[str, Any] | None
    detail: str = ""


class Engine(Protocol):
    """A backend that runs compiled queries and says which data version it serves."""

    name: str
    dialect: Dialect

    def execute(self, query: CompiledQuery) -> pl.DataFrame:
        """Run the query and return its rows; raise ``EngineUnavailable``/``QueryFailed``."""
        ...

    def data_version(self) -> str:
        """An id that changes on every successful ingest (part of every cache key)."""
        ...

    def info(self) -> StoreInfo:
        ...

    def ingest_history(self, limit: int = 20) -> pl.DataFrame:
        ...

    def table_name(self, table: str) -> str:
        """The engine's name for a dataset's logical table (Druid: a configured datasource)."""
        ...

