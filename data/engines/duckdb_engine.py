"""The embedded DuckDB engine: the snapshot the manifest names, attached read-only.

Each process keeps one in-memory DuckDB instance and attaches every snapshot file it reads to it
(``ATTACH ... (READ_ONLY)``), and every query runs on a cursor of its own (a DuckDB connection
refuses concurrent calls from several threads; cursors don't) whose default database is that
snapshot. Attaching a 10M-line snapshot took 1-2 ms where opening a new instance on it took 16-26,
and the first view after an ingest paid that. Cursors are kept for reuse, so choosing the snapshot
(``USE``, 0.3 ms) is paid once per cursor, not per query. Snapshot files are immutable and uniquely
named, so a new ingest is seen by the next query in every process.

Snapshots are reference-counted: when a newer one appears, older ones are retired and detached
only once no query is still reading them, and a query never moves back to an older snapshot than
the newest one this process has attached.

``execute_spec`` answers a sales query from the snapshot's rollups when ``data.rollup_plan`` can do
so exactly (read with the snapshot, so plan and data always belong together), and casts the result
to the schema the lines' query has: callers cannot tell the two paths apart except by speed.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from data.context import current_request_id
from data.engines.base import CompiledQuery, StoreInfo
from data.engines.duckdb_dialect import DUCKDB_DIALECT
from data.errors import EngineUnavailable, QueryFailed
from data.rollup_plan import plan
from data.rollups import Catalog, read_catalog
from data.schema import SALES_TABLE, STORAGE_FORMAT
from data.scope import Scope
from data.sql import QuerySpec
from data.store import MANIFEST, Manifest, SnapshotStore

LINES = "lines"  # the source of a query answered from the sales lines themselves


# Idle cursors kept per snapshot: as many as queries that ran at once, up to this.
IDLE_CURSORS = 16


@dataclass
class _Snapshot:
    manifest: Manifest
    alias: str  # the name it is attached under
    catalog: Catalog | None = None  # its rollups (None: answer everything from the lines)
    users: int = 0
    retired: bool = False
    idle: list[duckdb.DuckDBPyConnection] = field(default_factory=list)  # cursors already on it


class DuckDBEngine:
    """Runs compiled queries against the current snapshot of a ``SnapshotStore``."""

    name = "duckdb"
    dialect = DUCKDB_DIALECT

    def __init__(self, data_dir: Path | str | None = None, threads: int | None = None, rollups: bool = True) -> None:
        self.store = SnapshotStore(data_dir)
        self._threads = threads
        self.rollups = rollups  # False: every query reads the lines (the unoptimised path, for comparisons)
        self._schemas: OrderedDict[str, pl.Schema] = OrderedDict()
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._manifest_stamp: tuple[int, int, int] | None = None
        self._manifest: Manifest | None = None
        self._instance: duckdb.DuckDBPyConnection | None = None  # in memory; snapshots are attached to it
        self._attached = 0  # attaches so far (aliases are never reused)
        self._current: _Snapshot | None = None
        self._retired: list[_Snapshot] = []
        self._detaching: list[threading.Thread] = []

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
    def _base(self) -> duckdb.DuckDBPyConnection:
        """This process's DuckDB instance (call with the lock held)."""
        if self._instance is None:
            config: dict[str, Any] = {"threads": self._threads} if self._threads else {}
            self._instance = duckdb.connect(":memory:", config=config)
        return self._instance

    def _attach(self, manifest: Manifest) -> _Snapshot:
        """Attach the manifest's snapshot and read its catalog (call with the lock held)."""
        path = self.store.snapshot_path(manifest)
        self._attached += 1
        snapshot = _Snapshot(manifest, f"snapshot_{self._attached}")
        try:
            self._base().execute(f"ATTACH {_literal(str(path))} AS {snapshot.alias} (READ_ONLY)")
        except duckdb.Error as exc:
            raise EngineUnavailable(f"cannot open snapshot {path.name}: {exc}") from exc
        try:
            cursor = self._cursor(snapshot)
        except duckdb.Error as exc:
            raise EngineUnavailable(f"cannot read snapshot {path.name}: {exc}") from exc
        snapshot.catalog = self._read_catalog(cursor)
        snapshot.idle.append(cursor)
        return snapshot

    def _cursor(self, snapshot: _Snapshot) -> duckdb.DuckDBPyConnection:
        """An idle cursor on ``snapshot``, or a new one (call with the lock held)."""
        if snapshot.idle:
            return snapshot.idle.pop()
        cursor = self._base().cursor()
        try:
            cursor.execute(f"USE {snapshot.alias}")
        except duckdb.Error:
            cursor.close()
            raise
        return cursor

    def _checkout(self, manifest: Manifest) -> tuple[_Snapshot, duckdb.DuckDBPyConnection]:
        """A cursor on the newest snapshot this process knows, counted as in use."""
        with self._lock:
            if os.getpid() != self._pid:  # forked: never share a parent's handles
                self._instance, self._current, self._retired, self._pid = None, None, [], os.getpid()
                self._detaching = []
            current = self._current
            # Snapshot names start with a zero-padded batch number, so they sort by age.
            if current is None or manifest.snapshot > current.manifest.snapshot:
                fresh = self._attach(manifest)
                if current is not None:
                    current.retired = True
                    self._retired.append(current)
                self._current = current = fresh
                self._close_idle_retired()
            try:
                cursor = self._cursor(current)
            except duckdb.Error as exc:
                raise EngineUnavailable(f"cannot read snapshot: {exc}") from exc
            current.users += 1
            return current, cursor

    @staticmethod
    def _read_catalog(cursor: duckdb.DuckDBPyConnection) -> Catalog | None:
        try:
            return read_catalog(cursor)
        except duckdb.Error:
            return None  # unreadable rollups are no rollups: the lines still answer everything

    def _release(self, snapshot: _Snapshot, cursor: duckdb.DuckDBPyConnection) -> None:
        with self._lock:
            snapshot.users -= 1
            if snapshot.retired or len(snapshot.idle) >= IDLE_CURSORS or os.getpid() != self._pid:
                cursor.close()
            else:
                snapshot.idle.append(cursor)
            self._close_idle_retired()

    def _close_idle_retired(self) -> None:
        """Detach retired snapshots nobody reads any more (call with the lock held).

        On a thread of their own: freeing a snapshot's buffers took 38-46 ms on the 10M demo,
        which the first request after an ingest would otherwise wait for."""
        idle = [s for s in self._retired if s.users <= 0]
        if not idle or self._instance is None:
            return
        self._retired = [s for s in self._retired if s.users > 0]
        cursors = [c for s in idle for c in s.idle]
        for snapshot in idle:
            snapshot.idle = []
        detach = threading.Thread(target=_detach_all, args=(self._instance.cursor(), [s.alias for s in idle], cursors),
                                  name="mauzo-close-snapshot", daemon=True)
        detach.start()
        self._detaching = [t for t in self._detaching if t.is_alive()] + [detach]

    # -- Engine protocol -------------------------------------------------------------------
    def data_version(self) -> str:
        return self._current_manifest().version

    def execute(self, query: CompiledQuery) -> pl.DataFrame:
        snapshot, cursor = self._checkout(self._current_manifest())
        try:
            return self._run(cursor, query)
        finally:
            self._release(snapshot, cursor)

    def execute_spec(self, spec: QuerySpec, query: CompiledQuery, scope: Scope) -> tuple[pl.DataFrame, str]:
        """Run ``query`` (compiled from ``spec`` under ``scope``), from the rollups when they answer
        it exactly; returns the frame and where it came from (a rollup query's name, or "lines")."""
        snapshot, cursor = self._checkout(self._current_manifest())
        try:
            routed = plan(spec, scope, snapshot.catalog, self.dialect) if self.rollups and snapshot.catalog else None
            if routed is None:
                return self._run(cursor, query), LINES
            frame = self._run(cursor, routed)
            return frame.cast(self._schema(cursor, query)), _sources(routed)
        finally:
            self._release(snapshot, cursor)

    def _run(self, cursor: duckdb.DuckDBPyConnection, query: CompiledQuery) -> pl.DataFrame:
        request_id = current_request_id()
        tag = f"/* mauzo query={query.name}" + (f" request_id={request_id}" if request_id else "") + " */ "
        try:
            return cursor.sql(tag + query.sql, params=list(query.params)).pl()
        except duckdb.Error as exc:
            raise QueryFailed(f"query {query.name} failed: {exc}") from exc

    def _schema(self, cursor: duckdb.DuckDBPyConnection, query: CompiledQuery) -> pl.Schema:
        """The result schema of the lines' query (types depend on the SQL text, not on the values)."""
        with self._lock:
            known = self._schemas.get(query.sql)
        if known is not None:
            return known
        empty = CompiledQuery(query.name, f"SELECT * FROM ({query.sql}) AS q LIMIT 0", query.params)
        schema = self._run(cursor, empty).schema
        with self._lock:
            self._schemas[query.sql] = schema
            while len(self._schemas) > 2048:
                self._schemas.popitem(last=False)
        return schema

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
            for detach in self._detaching:  # the instance refuses to close while one of its cursors runs
                detach.join()
            self._detaching = []
            for snapshot in [*([self._current] if self._current else []), *self._retired]:
                for cursor in snapshot.idle:
                    cursor.close()
                snapshot.idle = []
            if self._instance is not None and os.getpid() == self._pid:
                self._instance.close()
            self._instance, self._current, self._retired = None, None, []


def _literal(text: str) -> str:
    """A SQL string literal (ATTACH takes no bound parameters)."""
    return "'" + text.replace("'", "''") + "'"


def _detach_all(base: duckdb.DuckDBPyConnection, aliases: list[str], cursors: list[duckdb.DuckDBPyConnection]) -> None:
    for cursor in cursors:
        cursor.close()
    try:
        for alias in aliases:
            base.execute(f"DETACH {alias}")
    except duckdb.Error:
        pass  # the instance was closed meanwhile: nothing is left to free
    finally:
        base.close()


def _sources(query: CompiledQuery) -> str:
    """The relations a routed query reads, for statistics ("rollup_item_month+rollup_account_month")."""
    found = re.findall(rf"FROM (rollup_[a-z_]+|{SALES_TABLE})\b", query.sql)
    return "+".join(dict.fromkeys(LINES if name == SALES_TABLE else name for name in found))
