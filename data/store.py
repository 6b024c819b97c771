"""The embedded store: immutable DuckDB snapshot files plus an atomically replaced manifest.

Why this shape: DuckDB lets one process write a file and forbids readers in other processes while
it does. So an ingest never writes a file anyone reads. It builds a new snapshot file beside the
live one (a copy of it for ``append``, an empty one for ``replace``), closes and fsyncs it, and
only then swaps ``manifest.json`` with ``os.replace``. Readers open whichever snapshot the manifest
names, read-only, and a reader still holding the old file keeps reading the old inode. A failure or
``kill -9`` at any moment leaves the old manifest, hence the old data, exactly as it was.

The manifest also carries the ingest history and the batches that make up the current data, so the
record of ingests changes atomically with the data it describes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from data import rollup_build
from data.rollups import ROLLUP_TABLES, current_signatures, read_catalog
from data.schema import MONEY_SCALE, SALES_TABLE, STORAGE_COLUMNS, STORAGE_FORMAT, TABLES

MANIFEST = "manifest.json"
SNAPSHOT_DIR = "snapshots"
LOCK_FILE = ".ingest.lock"
HISTORY_LIMIT = 500
KEEP_SNAPSHOTS = 3
# DuckDB's own memory while a snapshot is built (its default is 80% of the machine). Rollup
# aggregation beyond it spills to a temporary directory beside the file instead: at ten million
# lines this took the ingest's peak from 7.2 to 6.6 GB with the same wall time.
WRITE_MEMORY_LIMIT = "1GB"


def default_data_dir() -> Path:
    from app.config import Settings

    return Settings.from_env().data_dir


@dataclass(frozen=True)
class Manifest:
    """The committed state of the store."""

    version: str
    snapshot: str  # path relative to the data dir
    rows: int
    created_at: str
    batches: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    # How the snapshot stores data (data.schema.STORAGE_FORMAT); manifests from before exact money
    # have no such field and are format 1 (money in cents).
    storage_format: int = 1
    # Rows per table (``rows`` stays the sales table's count, as before there were several tables).
    tables: dict[str, int] = field(default_factory=dict)

    def rows_of(self, table: str) -> int:
        return int(self.tables.get(table, self.rows if table == SALES_TABLE else 0))

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        raw = json.loads(text)
        return cls(**{k: raw[k] for k in cls.__dataclass_fields__ if k in raw})


def read_manifest(data_dir: Path) -> Manifest | None:
    path = data_dir / MANIFEST
    try:
        return Manifest.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_path(path.parent)


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Every table a snapshot holds (``data.schema.TABLES``), empty where missing."""
    for table, spec in TABLES.items():
        columns = ", ".join(f"{name} {kind}" for name, kind in spec.items())
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")


def upgrade_storage(con: duckdb.DuckDBPyConnection, from_format: int) -> None:
    """Rewrite a copied snapshot's table in the current storage format, losing nothing.

    Format 1 -> 2: money from cents to MONEY_SCALE units (x100, exact in integers)."""
    if from_format >= STORAGE_FORMAT:
        return
    has_sales = con.execute("SELECT COUNT(*) FROM duckdb_tables() WHERE table_name = ? AND database_name = "
                            "current_database()", [SALES_TABLE]).fetchall()[0][0]
    if not has_sales:
        return
    if from_format == 1:
        factor = MONEY_SCALE // 100
        select = ", ".join(
            f"CAST({name[:-3]}_cents AS BIGINT) * {factor} AS {name}" if name.endswith("_e4") else name
            for name in STORAGE_COLUMNS
        )
        con.execute("BEGIN")
        con.execute(f"CREATE TABLE {SALES_TABLE}_upgraded AS SELECT {select} FROM {SALES_TABLE}")
        con.execute(f"DROP TABLE {SALES_TABLE}")
        con.execute(f"ALTER TABLE {SALES_TABLE}_upgraded RENAME TO {SALES_TABLE}")
        con.execute("COMMIT")
        return
    raise ValueError(f"cannot upgrade storage format {from_format}")


def _copy_other_tables(con: duckdb.DuckDBPyConnection, previous: Path, previous_format: int, keep_out: str) -> None:
    """Copy every table but ``keep_out`` from the previous snapshot into a new one (a replace of one
    dataset must not touch the others); an older format is upgraded on the way."""
    quoted = str(previous).replace("'", "''")  # our own snapshot path, never user input
    con.execute(f"ATTACH '{quoted}' AS prev (READ_ONLY)")
    try:
        present = {r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'prev'").fetchall()}
        # The sales rollups travel with the sales lines they aggregate.
        kept = [t for t in TABLES if t != keep_out] + (sorted(ROLLUP_TABLES) if keep_out != SALES_TABLE else [])
        for table in kept:
            if table in present:
                con.execute(f"CREATE TABLE {table} AS SELECT * FROM prev.{table}")
    finally:
        con.execute("DETACH prev")
    if keep_out != SALES_TABLE:
        upgrade_storage(con, previous_format)


@dataclass
class IngestRecord:
    """What an ingest adds to the history (the committed figures are filled in on commit)."""

    file_name: str
    sha256: str
    mode: str  # append | replace | upgrade
    rows: int = 0
    table: str = SALES_TABLE  # the table this ingest writes (each dataset has its own)
    source_rows: int = 0
    duration_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


class SnapshotWriter:
    """An open, private snapshot being built. Only ``SnapshotStore.write`` creates one."""

    def __init__(self, con: duckdb.DuckDBPyConnection, batch_id: int) -> None:
        self.con = con
        self.batch_id = batch_id
        self.frames: dict[str, list[Any]] = {}  # what this write inserted, per table (for the rollups)
        # The history entry this write committed (set on a clean exit of ``SnapshotStore.write``).
        self.committed: dict[str, Any] | None = None

    def append_frame(self, frame: Any, table: str = SALES_TABLE) -> int:
        """Insert a Polars frame already in ``table``'s storage schema (minus ``batch_id``); returns rows.

        Sales lines are stored in date order (stable, so a file's order is kept within a day): DuckDB
        keeps each row group's min and max date, and a date filter then skips whole row groups."""
        if table == SALES_TABLE and not frame["sale_date"].is_sorted():  # exports usually are (10M: 2.3 s)
            frame = frame.sort("sale_date", maintain_order=True)
        self.frames.setdefault(table, []).append(frame)
        view = f"incoming_{secrets.token_hex(4)}"
        self.con.register(view, frame)
        try:
            names = [c for c in TABLES[table] if c != "batch_id"]
            cols = ", ".join(names)
            self.con.execute(
                f"INSERT INTO {table} ({cols}, batch_id) SELECT {cols}, ? FROM {view}",
                [self.batch_id],
            )
        finally:
            self.con.unregister(view)
        return frame.height


class SnapshotStore:
    """Reads and commits snapshots under one data directory."""

    def __init__(self, data_dir: Path | str | None = None) -> None:
        self.data_dir = Path(data_dir).resolve() if data_dir else default_data_dir()

    # -- reading ---------------------------------------------------------------------------
    def manifest(self) -> Manifest | None:
        return read_manifest(self.data_dir)

    def snapshot_path(self, manifest: Manifest) -> Path:
        return self.data_dir / manifest.snapshot

    def is_empty(self) -> bool:
        manifest = self.manifest()
        return manifest is None or manifest.rows == 0

    def sha_in_current_data(self, sha256: str, table: str = SALES_TABLE) -> dict[str, Any] | None:
        manifest = self.manifest()
        if manifest is None:
            return None
        return next((b for b in manifest.batches
                     if b.get("sha256") == sha256 and b.get("table", SALES_TABLE) == table), None)

    # -- writing ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / LOCK_FILE, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def write(self, record: IngestRecord) -> Iterator[SnapshotWriter]:
        """Build a new snapshot and commit it when the block exits cleanly.

        Ingests are serialized by a file lock. If the block raises (or the process dies), the
        half-built file is discarded and the manifest, hence the live data, is untouched."""
        started = time.perf_counter()
        with self._lock():
            snap_dir = self.data_dir / SNAPSHOT_DIR
            snap_dir.mkdir(parents=True, exist_ok=True)
            self._remove_stale_temp_files(snap_dir)
            previous = self.manifest()
            batch_id = 1 + max((h.get("batch_id", 0) for h in previous.history), default=0) if previous else 1
            version = f"{batch_id:06d}-{secrets.token_hex(4)}"
            final = snap_dir / f"{version}.duckdb"
            building = snap_dir / f".{version}.duckdb.building"
            carry_over = record.mode in ("append", "upgrade") and previous is not None
            if carry_over:
                shutil.copyfile(self.snapshot_path(previous), building)
            con = duckdb.connect(str(building), config={"memory_limit": WRITE_MEMORY_LIMIT,
                                                        "temp_directory": f"{building}.tmp"})
            try:
                if carry_over:
                    upgrade_storage(con, previous.storage_format)
                elif previous is not None:
                    # Replacing one dataset keeps every other table as it is.
                    _copy_other_tables(con, self.snapshot_path(previous), previous.storage_format, record.table)
                create_tables(con)
                writer = SnapshotWriter(con, batch_id)
                yield writer
                rollup_build.maintain(con, writer.frames.get(SALES_TABLE, []), batch_id)
                counts = {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchall()[0][0] for t in TABLES}
                total_rows = counts[SALES_TABLE]
                con.execute("CHECKPOINT")
            except BaseException:
                con.close()
                building.unlink(missing_ok=True)
                raise
            con.close()
            _fsync_path(building)
            os.replace(building, final)
            _fsync_path(snap_dir)

            now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            record.duration_s = round(time.perf_counter() - started, 3)
            entry = {
                "batch_id": batch_id,
                "ingested_at": now,
                "file_name": record.file_name,
                "sha256": record.sha256,
                "rows": record.rows,
                "mode": record.mode,
                "table": record.table,
                "data_version": version,
                "total_rows": total_rows,
                "duration_s": record.duration_s,
                **record.extra,
            }
            if previous is None:
                kept_batches = []
            elif carry_over:
                kept_batches = previous.batches
            else:  # replace: the batches of the other tables stay
                kept_batches = [b for b in previous.batches if b.get("table", SALES_TABLE) != record.table]
            added = [] if record.mode == "upgrade" else [
                {k: entry[k] for k in ("batch_id", "file_name", "sha256", "rows", "table")}]
            history = ([entry] + (previous.history if previous else []))[:HISTORY_LIMIT]
            manifest = Manifest(
                version=version,
                snapshot=str(final.relative_to(self.data_dir)),
                rows=int(total_rows),
                created_at=now,
                batches=kept_batches + added,
                history=history,
                storage_format=STORAGE_FORMAT,
                tables={t: int(n) for t, n in counts.items()},
            )
            _write_atomically(self.data_dir / MANIFEST, manifest.to_json())
            writer.committed = entry
            self._collect_garbage(snap_dir, keep=manifest.snapshot)

    def upgrade(self) -> bool:
        """Bring the live snapshot to the current storage format, and its rollups to this Mauzo's (a
        new snapshot, committed like an ingest, so readers switch atomically). Returns whether
        anything was rewritten. Two processes
        racing here are serialized by the ingest lock; the second finds the copy already upgraded
        and commits it unchanged."""
        manifest = self.manifest()
        if manifest is None:
            return False
        if manifest.storage_format >= STORAGE_FORMAT and not self.rollups_stale(manifest):
            return False
        what = (f"storage upgrade from format {manifest.storage_format}" if manifest.storage_format < STORAGE_FORMAT
                else "rollups rebuilt for this Mauzo")
        record = IngestRecord(file_name=f"({what})", sha256="", mode="upgrade")
        with self.write(record):
            pass
        return True

    def rollups_stale(self, manifest: Manifest) -> bool:
        """Whether the snapshot has sales lines but no rollups this Mauzo can read (written by a
        version with another rollup layout or metric declarations): its queries then read the
        lines until an ingest, or ``upgrade``, rebuilds them."""
        con = duckdb.connect(str(self.snapshot_path(manifest)), read_only=True)
        try:
            has_lines = con.execute("SELECT COUNT(*) FROM duckdb_tables() WHERE table_name = ? AND database_name = "
                                    "current_database()", [SALES_TABLE]).fetchall()[0][0]
            if not has_lines or not con.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM {SALES_TABLE} LIMIT 1)"
                                                ).fetchall()[0][0]:
                return False
            catalog = read_catalog(con)
            return catalog is None or catalog.signatures != current_signatures()
        finally:
            con.close()

    @staticmethod
    def _remove_stale_temp_files(snap_dir: Path) -> None:
        # Only ever called under the ingest lock, so no other writer owns these.
        for leftover in snap_dir.glob(".*.building*"):  # a half-built file, or its spill directory
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)

    def _collect_garbage(self, snap_dir: Path, keep: str) -> None:
        """Delete all but the newest few snapshots. Readers holding an old file open keep
        reading it (POSIX unlink semantics); new readers follow the manifest."""
        snapshots = sorted(snap_dir.glob("*.duckdb"), key=lambda p: p.name, reverse=True)
        for old in snapshots[KEEP_SNAPSHOTS:]:
            if str(old.relative_to(self.data_dir)) != keep:
                old.unlink(missing_ok=True)
