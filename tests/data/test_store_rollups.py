"""The rollups live in the snapshot beside the lines they aggregate: they commit (or not) with them,
travel with them when another dataset is replaced, and are rebuilt when they no longer fit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

from data import rollups
from data.engines.duckdb_engine import LINES, DuckDBEngine
from data.filters import Filters
from data.rollups import META_TABLE, ROLLUPS, read_catalog
from data.scope import UNRESTRICTED
from data.sql import QuerySpec, compile_query
from data.store import MANIFEST, IngestRecord, SnapshotStore
from ingest.storage import to_storage
from tests.conftest import REPO_ROOT, build_store


def _catalog(store: Path) -> rollups.Catalog | None:
    snapshot = SnapshotStore(store)
    con = duckdb.connect(str(snapshot.snapshot_path(snapshot.manifest())), read_only=True)
    try:
        return read_catalog(con)
    finally:
        con.close()


def _answered_from(store: Path, spec: QuerySpec) -> str:
    engine = DuckDBEngine(store)
    try:
        return engine.execute_spec(spec, compile_query(spec, engine.dialect), UNRESTRICTED)[1]
    finally:
        engine.close()


def test_every_ingest_commits_rollups_that_count_every_line(tmp_path: Path, demo_frame: pl.DataFrame) -> None:
    build_store(tmp_path, demo_frame.head(5_000), name="a")
    build_store(tmp_path, demo_frame.slice(5_000, 1_000), mode="append", name="b")
    catalog = _catalog(tmp_path)
    assert catalog is not None and catalog.lines == 6_000
    assert set(catalog.rows) == {r.table for r in ROLLUPS} and all(catalog.rows.values())
    assert _answered_from(tmp_path, QuerySpec("s", dimensions=("salesperson",))).startswith("rollup_")


def test_replacing_another_dataset_keeps_the_sales_rollups(tmp_path: Path, demo_frame: pl.DataFrame) -> None:
    """The rollups are copied with the sales lines (and their catalog is still readable and current)."""
    from data.schema import OPPORTUNITIES_TABLE

    build_store(tmp_path, demo_frame.head(3_000), name="sales")
    before = _catalog(tmp_path)
    store = SnapshotStore(tmp_path)
    with store.write(IngestRecord(file_name="crm", sha256="crm", mode="replace", table=OPPORTUNITIES_TABLE)):
        pass
    assert _catalog(tmp_path) == before
    assert _answered_from(tmp_path, QuerySpec("s", dimensions=("branch",))).startswith("rollup_")


def test_rollups_from_other_declarations_are_rebuilt_on_the_next_append(tmp_path: Path,
                                                                         demo_frame: pl.DataFrame) -> None:
    build_store(tmp_path, demo_frame.head(2_000), name="a")
    snapshot = SnapshotStore(tmp_path)
    path = snapshot.snapshot_path(snapshot.manifest())
    con = duckdb.connect(str(path))
    try:  # as if the partials had been computed from another definition of revenue
        raw = con.execute(f"SELECT value FROM {META_TABLE}").fetchall()[0][0]
        con.execute(f"UPDATE {META_TABLE} SET value = ?", [raw.replace('"revenue": "', '"revenue": "x')])
    finally:
        con.close()
    spec = QuerySpec("s", dimensions=("salesperson",))
    assert _answered_from(tmp_path, spec) == LINES  # a stale partial is never used
    build_store(tmp_path, demo_frame.slice(2_000, 500), mode="append", name="b")
    catalog = _catalog(tmp_path)
    assert catalog is not None and catalog.signatures == rollups.current_signatures() and catalog.lines == 2_500
    assert _answered_from(tmp_path, spec).startswith("rollup_")


def test_a_failure_while_building_rollups_leaves_the_old_data(tmp_path: Path, demo_frame: pl.DataFrame,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    build_store(tmp_path, demo_frame.head(1_000), name="a")
    manifest = (tmp_path / MANIFEST).read_bytes()

    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("rollups failed")

    monkeypatch.setattr("data.rollup_build._apply", boom)
    with pytest.raises(RuntimeError, match="rollups failed"):
        with SnapshotStore(tmp_path).write(IngestRecord(file_name="b", sha256="b", mode="append")) as writer:
            writer.append_frame(to_storage(demo_frame.slice(1_000, 10)))
    assert (tmp_path / MANIFEST).read_bytes() == manifest
    assert _catalog(tmp_path).lines == 1_000  # type: ignore[union-attr]


KILL_DURING_ROLLUPS = """
import sys, time
from pathlib import Path
import data.rollup_build as build
from ingest.demo import generate
from ingest.storage import commit_lines
real = build._apply
def slow(*args, **kwargs):
    Path(sys.argv[2]).write_text("building")
    time.sleep(60)
    return real(*args, **kwargs)
build._apply = slow
commit_lines(generate(rows=500, seed=3), data_dir=sys.argv[1], file_name="late", sha256="late", mode="append")
"""


def test_kill_9_while_rollups_are_built_leaves_the_old_data(tmp_path: Path, demo_frame: pl.DataFrame) -> None:
    """SIGKILL the writer while it aggregates (lines already inserted into its private copy): the
    manifest, the snapshot it names and its rollups are exactly as before; the next ingest works."""
    store = tmp_path / "store"
    build_store(store, demo_frame.head(2_000), name="a")
    manifest = (store / MANIFEST).read_bytes()
    marker = tmp_path / "marker"
    proc = subprocess.Popen([sys.executable, "-c", KILL_DURING_ROLLUPS, str(store), str(marker)], cwd=REPO_ROOT)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "the writer never reached the rollups"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert (store / MANIFEST).read_bytes() == manifest
    assert _catalog(store).lines == 2_000  # type: ignore[union-attr]
    build_store(store, demo_frame.slice(2_000, 100), mode="append", name="after")
    assert _catalog(store).lines == 2_100  # type: ignore[union-attr]
    spec = QuerySpec("s", filters=Filters(), dimensions=("product_line",))
    engine = DuckDBEngine(store)
    try:
        query = compile_query(spec, engine.dialect)
        routed, source = engine.execute_spec(spec, query, UNRESTRICTED)
        assert source.startswith("rollup_") and routed.equals(engine.execute(query))
    finally:
        engine.close()
