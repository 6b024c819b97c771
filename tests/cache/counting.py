"""A real ``DuckDBEngine`` that counts its executions (and can be slowed to widen races)."""

from __future__ import annotations

import threading
import time

import polars as pl

from data.engines.base import CompiledQuery, StoreInfo
from data.engines.duckdb_engine import DuckDBEngine


class CountingEngine:
    """Delegates everything to the wrapped engine; ``executions`` counts ``execute`` calls."""

    def __init__(self, inner: DuckDBEngine, delay: float = 0.0) -> None:
        self.inner = inner
        self.name = inner.name
        self.dialect = inner.dialect
        self.delay = delay
        self.executions = 0
        self._lock = threading.Lock()

    def execute(self, query: CompiledQuery) -> pl.DataFrame:
        with self._lock:
            self.executions += 1
        if self.delay:
            time.sleep(self.delay)
        return self.inner.execute(query)

    def data_version(self) -> str:
        return self.inner.data_version()

    def info(self) -> StoreInfo:
        return self.inner.info()

    def ingest_history(self, limit: int = 20) -> pl.DataFrame:
        return self.inner.ingest_history(limit)

    def table_name(self, table: str) -> str:
        return self.inner.table_name(table)
