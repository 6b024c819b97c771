"""The embedded DuckDB engine: read-only connections to the snapshot the manifest names.

Each process keeps one read-only connection per snapshot file and gives every query its own
cursor (a DuckDB connection refuses concurrent calls from several threads; cursors don't).
Snapshot files are immutable and uniquely named, so a new ingest is seen by the next query in
every process without any of DuckDB's same-path instance caching getting in the way.

Connections are reference-counted: when a newer snapshot appears, older connections are retired
and closed only once no query is still reading through them, and a query never moves back to an
older snapshot than the newest one this process has opened.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from data.context import current_request_id
from data.engines.base import CompiledQuery, StoreInfo
from data.engines.duckdb_dialect import DUCKDB_DIALECT
from data.errors import EngineUnavailable, QueryFailed
from data.schema import SALES_TABLE, STORAGE_FORMAT
from data.store import MANIFEST, Manifest, SnapshotStore


@dataclass
class _Snapshot:
    manifest: Manifest
    con: duckdb.DuckDBPyConnection
    users: int = 0
    retired: bool = False


class DuckDBEngine:
    """Runs compiled queries against the current snapshot of a ``SnapshotStore``."""

    name = "duckdb"
    dialect = DUCKDB_DIALECT

    def __init__(self, data_dir: Path | str | None = None, threads: int | None = None) -> None:
        self.store = SnapshotStore(data_dir)
        self._threads = threads
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._manifest_stamp: tuple[int, int, int] | None = None
        self._manifest: Manifest | None = None
        self._current: _Snapshot | None = None
        self._retired: list[_Snapshot] = []

    # -- manifest --------------------------------------------------------------------------
    def _current_manifest(self) -> Manifest:
        path = self.store.data_dir / MANIFEST
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise EngineUnavailable(
                f"the store at {self.store.data_dir} is empty: run `mauzo demo` or `mauzo ingest FILE`"
            ) from None
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        with self._lock:
            if stamp != self._manifest_stamp or self._manifest is None:
                manifest = self.store.manifest()
                if manifest is None:
                    raise EngineUnavailable(f"the store at {self.store.data_dir} is empty")
                self._manifest, self._manifest_stamp = manifest, stamp
            manifest = self._manifest
        if manifest.storage_format < STORAGE_FORMAT:
            # A store written before exact money: upgrade it once (any process may; the ingest lock
            # serializes), then read the upgraded snapshot.
            try:
                self.store.upgrade()
            except (OSError, duckdb.Error) as exc:
                raise EngineUnavailable(f"the store needs an upgrade that failed: {exc}; "
                                        "run `mauzo upgrade` with write access") from exc
            return self._current_manifest()
        return manifest

    # -- connections -----------------------------------------------------------------------
    def _open(self, manifest: Manifest) -> duckdb.DuckDBPyConnection:
        path = self.store.snapshot_path(manifest)
        config: dict[str, Any] = {"access_mode": "READ_ONLY"}
        if self._threads:
            config["threads"] = self._threads
        try:
            return duckdb.connect(str(path), read_only=True, config=config)
        except duckdb.Error as exc:
            raise EngineUnavailable(f"cannot open snapshot {path.name}: {exc}") from exc

    def _checkout(self, manifest: Manifest) -> tuple[_Snapshot, duckdb.DuckDBPyConnection]:
        """A cursor on the newest snapshot this process knows, counted as in use."""
        with self._lock:
            if os.getpid() != self._pid:  # forked: never share a parent's handles
                self._current, self._retired, self._pid = None, [], os.getpid()
            current = self._current
            # Snapshot names start with a zero-padded batch number, so they sort by age.
            if current is None or manifest.snapshot > current.manifest.snapshot:
                fresh = _Snapshot(manifest, self._open(manifest))
                if current is not None:
                    current.retired = True
                    self._retired.append(current)
                self._current = current = fresh
                self._close_idle_retired()
            current.users += 1
            try:
                return current, current.con.cursor()
            except duckdb.Error as exc:
                current.users -= 1
                raise EngineUnavailable(f"cannot read snapshot: {exc}") from exc

    def _release(self, snapshot: _Snapshot) -> None:
        with self._lock:
            snapshot.users -= 1
            self._close_idle_retired()

    def _close_idle_retired(self) -> None:
        """Close retired connections nobody reads through any more (call with the lock held)."""
        still_used = []
        for snapshot in self._retired:
            if snapshot.users > 0:
                still_used.append(snapshot)
            else:
                snapshot.con.close()
        self._retired = still_used

    # -- Engine protocol -------------------------------------------------------------------
    def data_version(self) -> str:
        return self._current_manifest().version

    def execute(self, query: CompiledQuery) -> pl.DataFrame:
        snapshot, cursor = self._checkout(self._current_manifest())
        request_id = current_request_id()
        tag = f"/* mauzo query={query.name}" + (f" request_id={request_id}" if request_id else "") + " */ "
        try:
            return cursor.sql(tag + query.sql, params=list(query.params)).pl()
        except duckdb.Error as exc:
            raise QueryFailed(f"query {query.name} failed: {exc}") from exc
        finally:
            cursor.close()
            self._release(snapshot)

    def table_name(self, table: str) -> str:
        return table

    def info(self) -> StoreInfo:
        try:
            manifest = self._current_manifest()
            self.execute(CompiledQuery("health", f"SELECT COUNT(*) AS n FROM {SALES_TABLE}"))
        except (EngineUnavailable, QueryFailed) as exc:
            return StoreInfo(self.name, False, None, None, None, str(exc))
        last = manifest.history[0] if manifest.history else None
        return StoreInfo(self.name, True, manifest.rows, manifest.version, last,
                         f"snapshot {manifest.snapshot}")

    def ingest_history(self, limit: int = 20) -> pl.DataFrame:
        manifest = self.store.manifest()
        rows = manifest.history[:limit] if manifest else []
        return pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()

    def close(self) -> None:
        with self._lock:
            for snapshot in [*([self._current] if self._current else []), *self._retired]:
                snapshot.con.close()
            self._current, self._retired = None, []
