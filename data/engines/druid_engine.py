"""The Apache Druid engine: compiled queries over HTTP, typed frames back.

- ``execute`` sends the compiled SQL with its values as typed dynamic parameters
  (``druid_client``) and turns the typed ``arrayLines`` answer into a Polars frame: BIGINT as
  Int64 (money is LONG ten-thousandths of a shilling, so sums are exact), DOUBLE as Float64,
  VARCHAR as String, and TIMESTAMP/DATE as Date (the only time column Mauzo stores is the sale
  day, at midnight UTC, so every time value it reads back is a day).
- ``data_version`` comes from Druid itself, so every app host agrees and an ingest by any host
  invalidates every host's cache: the newest segment version of the datasource in
  ``sys.segments``, with the counts of used and available segments (an append into an existing
  month adds partitions under the same version; segments becoming queryable also count, so a
  result cached while new segments were still loading is not served once they are).
  Each host re-reads it at most every ``version_ttl_s`` seconds.
- ``ingest_history`` reads the ``<datasource>_ingests`` datasource that ``druid_ingest`` appends
  to after every successful ingest, so every host sees the same history.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from typing import Any

import polars as pl

from data.engines.base import CompiledQuery, StoreInfo
from data.engines.druid_client import DruidClient, DruidSettings, SqlResult
from data.engines.druid_dialect import DRUID_DIALECT
from data.errors import DataLayerError, EngineUnavailable, QueryFailed

_INTEGER_TYPES = frozenset({"BIGINT", "INTEGER", "SMALLINT", "TINYINT"})
_FLOAT_TYPES = frozenset({"DOUBLE", "FLOAT", "REAL", "DECIMAL"})
_TEXT_TYPES = frozenset({"VARCHAR", "CHAR"})
_TIME_TYPES = frozenset({"TIMESTAMP", "DATE"})

# The logical table of the sales dataset; ``table_name`` maps it to the configured datasource.
LOGICAL_TABLE = "sales"

HISTORY_COLUMNS: tuple[str, ...] = ("batch_id", "file_name", "sha256", "rows", "mode", "data_version",
                                    "total_rows", "duration_s", "task_id", "extra")


def quote_identifier(name: str) -> str:
    """A double-quoted SQL identifier (Druid's quoting; ``"`` doubled)."""
    return '"' + name.replace('"', '""') + '"'


def _day(value: Any, column: str) -> dt.date | None:
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise QueryFailed(f"Druid returned an unreadable time in column {column}") from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.date()


def _integer(value: Any, column: str) -> int | None:
    if value is None or isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise QueryFailed(f"Druid returned a non-integer in BIGINT column {column}")


def _series(name: str, sql_type: str, values: list[Any]) -> pl.Series:
    kind = sql_type.upper()
    if kind in _INTEGER_TYPES:
        return pl.Series(name, [_integer(v, name) for v in values], dtype=pl.Int64)
    if kind in _FLOAT_TYPES:
        return pl.Series(name, [None if v is None else float(v) for v in values], dtype=pl.Float64)
    if kind in _TEXT_TYPES:
        return pl.Series(name, [None if v is None else str(v) for v in values], dtype=pl.String)
    if kind in _TIME_TYPES:
        return pl.Series(name, [_day(v, name) for v in values], dtype=pl.Date)
    if kind == "BOOLEAN":
        return pl.Series(name, [None if v is None else bool(v) for v in values], dtype=pl.Boolean)
    return pl.Series(name, values, strict=False)  # ARRAY / OTHER: as Polars reads them


def to_frame(result: SqlResult) -> pl.DataFrame:
    """A frame with dtypes from Druid's SQL types header (also when there are no rows)."""
    columns = list(zip(*result.rows, strict=True)) if result.rows else [() for _ in result.columns]
    return pl.DataFrame([_series(name, sql_type, list(values))
                         for name, sql_type, values in zip(result.columns, result.sql_types, columns, strict=True)])


class DruidEngine:
    """Runs compiled queries on a Druid cluster through its Router."""

    name = "druid"
    dialect = DRUID_DIALECT

    def __init__(self, settings: DruidSettings, client: DruidClient | None = None) -> None:
        self.settings = settings
        self.client = client or DruidClient(settings)
        self.table = quote_identifier(settings.datasource)
        self.history_table = quote_identifier(settings.history_datasource)
        self._lock = threading.Lock()
        self._version: tuple[float, str] | None = None  # (monotonic time read, version)

    # -- Engine protocol -------------------------------------------------------------------
    def table_name(self, table: str) -> str:
        """Druid's (quoted) datasource for a dataset's logical table: the sales table is the
        configured datasource; any other table keeps its own name."""
        return self.table if table == LOGICAL_TABLE else quote_identifier(table)

    def execute(self, query: CompiledQuery) -> pl.DataFrame:
        return to_frame(self.client.sql(query.sql, query.params, name=query.name))

    def data_version(self) -> str:
        with self._lock:
            cached = self._version
        if cached is not None and time.monotonic() - cached[0] < self.settings.version_ttl_s:
            return cached[1]
        version = self.read_data_version()
        with self._lock:
            self._version = (time.monotonic(), version)
        return version

    def read_data_version(self) -> str:
        """The version from ``sys.segments`` right now (no per-host reuse)."""
        frame = to_frame(self.client.sql(
            'SELECT COUNT(*) AS "used", SUM("is_available") AS "available", MAX("version") AS "newest" '
            'FROM sys.segments WHERE "datasource" = ? AND "is_published" = 1 AND "is_overshadowed" = 0',
            [self.settings.datasource], name="data_version"))
        used = frame["used"][0] if frame.height else 0
        if not used:
            raise EngineUnavailable(f"Druid datasource {self.settings.datasource} holds no data yet: "
                                    "load it with `mauzo ingest FILE --engine druid`")
        return f"{frame['newest'][0]}.{used}.{frame['available'][0] or 0}"

    def info(self) -> StoreInfo:
        """Router health, Druid version, datasource presence, row count and last ingest."""
        try:
            healthy = self.client.health()
            druid_version = self.client.status().get("version", "unknown")
        except DataLayerError as exc:
            return StoreInfo(self.name, False, None, None, None, f"Druid router at {self.settings.url}: {exc}")
        where = f"Druid {druid_version} at {self.settings.url}, router {'healthy' if healthy else 'NOT healthy'}"
        try:
            if not self.datasource_exists(self.settings.datasource):
                return StoreInfo(self.name, False, None, None, None,
                                 f"{where}; datasource {self.settings.datasource} is missing (nothing ingested yet)")
            rows = to_frame(self.client.sql(f'SELECT COUNT(*) AS "n" FROM {self.table}', name="health"))["n"][0]
            version = self.read_data_version()
        except DataLayerError as exc:
            return StoreInfo(self.name, False, None, None, None, f"{where}; datasource check failed: {exc}")
        last = self._last_ingest()
        return StoreInfo(self.name, healthy, int(rows), version, last,
                         f"{where}; datasource {self.settings.datasource} present")

    def ingest_history(self, limit: int = 20) -> pl.DataFrame:
        """The newest ingests first, with the same keys as the DuckDB store's history entries."""
        if not self.datasource_exists(self.settings.history_datasource):
            return pl.DataFrame()
        columns = ", ".join(quote_identifier(c) for c in HISTORY_COLUMNS)
        result = self.client.sql(
            f"SELECT TIME_FORMAT(__time, 'yyyy-MM-dd''T''HH:mm:ssZZ') AS \"ingested_at\", {columns} "
            f"FROM {self.history_table} ORDER BY __time DESC LIMIT ?", [int(limit)], name="ingest_history")
        frame = to_frame(result)
        if frame.is_empty():
            return pl.DataFrame()
        entries = []
        for row in frame.iter_rows(named=True):
            extra = row.pop("extra", None)
            try:
                row.update(json.loads(extra) if extra else {})
            except ValueError:
                pass  # a hand-edited history row: keep its known columns
            entries.append(row)
        return pl.DataFrame(entries, infer_schema_length=None)

    # -- helpers ---------------------------------------------------------------------------
    def datasource_exists(self, datasource: str) -> bool:
        frame = to_frame(self.client.sql(
            "SELECT COUNT(*) AS \"n\" FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'druid' AND TABLE_NAME = ?",
            [datasource], name="datasource_exists"))
        return bool(frame["n"][0])

    def _last_ingest(self) -> dict[str, Any] | None:
        try:
            history = self.ingest_history(1)
        except DataLayerError:
            return None
        return history.row(0, named=True) if history.height else None

    def close(self) -> None:
        """Nothing to release: HTTP sessions close with their threads."""
