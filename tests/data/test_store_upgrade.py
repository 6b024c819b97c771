"""Stores written before exact money (money in cents, no ``storage_format`` in the manifest) are
upgraded without losing data: when the app opens them, on the next ingest, or by ``mauzo upgrade``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from data import service
from data.engines.duckdb_engine import DuckDBEngine
from data.filters import Filters
from data.queries import breakdown, summary
from data.schema import STORAGE_FORMAT
from data.store import MANIFEST, SnapshotStore
from ingest.cli import main
from ingest.storage import commit_lines

OLD_COLUMNS = ("sale_date DATE, invoice_id VARCHAR, branch VARCHAR, product_line VARCHAR, item_group VARCHAR, "
               "item_name VARCHAR, salesperson VARCHAR, customer VARCHAR, quantity DOUBLE, revenue_cents BIGINT, "
               "cost_cents BIGINT, batch_id INTEGER")
OLD_ROWS = [
    ("2025-01-02", "A1", "Mombasa", "Cement", "Bags", "Bamburi", "Jane", "Acme", 2.0, 123_457, 100_001, 1),
    ("2025-01-03", "A2", "Kisumu", "Paint", "Tins", "Crown", "Ali", "Beta", 1.0, 99_999, 80_000, 1),
    ("2025-01-03", None, "Kisumu", "Paint", "Tins", "Crown", "Ali", "Walk-in Customer", -1.0, -5_005, -4_000, 1),
]


def _old_store(data_dir: Path) -> Path:
    """A store exactly as Mauzo wrote it before exact money."""
    snapshot = data_dir / "snapshots" / "000001-0ld0ld00.duckdb"
    snapshot.parent.mkdir(parents=True)
    con = duckdb.connect(str(snapshot))
    con.execute(f"CREATE TABLE sales ({OLD_COLUMNS})")
    con.executemany("INSERT INTO sales VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", OLD_ROWS)
    con.close()
    entry = {"batch_id": 1, "file_name": "old.csv", "sha256": "abc", "rows": 3, "mode": "replace",
             "data_version": "000001-0ld0ld00", "total_rows": 3}
    (data_dir / MANIFEST).write_text(json.dumps({
        "version": "000001-0ld0ld00", "snapshot": "snapshots/000001-0ld0ld00.duckdb", "rows": 3,
        "created_at": "2025-01-04T00:00:00+00:00",
        "batches": [{k: entry[k] for k in ("batch_id", "file_name", "sha256", "rows")}], "history": [entry],
    }), encoding="utf-8")
    return data_dir


def _expected_revenue() -> float:
    return sum(r[9] for r in OLD_ROWS) / 100


def test_the_app_upgrades_an_old_store_on_open_and_the_figures_are_unchanged(tmp_path):
    store = SnapshotStore(_old_store(tmp_path))
    engine = DuckDBEngine(tmp_path)
    service.configure(engine)
    try:
        row = summary(Filters()).row(0, named=True)
        by_branch = {r["branch"]: r["gross_profit"] for r in breakdown(Filters(), "branch").iter_rows(named=True)}
    finally:
        engine.close()
    assert row["revenue"] == pytest.approx(_expected_revenue(), abs=1e-9) and row["lines"] == 3
    assert by_branch == {"Mombasa": 234.56, "Kisumu": 189.94}
    manifest = store.manifest()
    assert manifest.storage_format == STORAGE_FORMAT and manifest.rows == 3
    assert manifest.history[0]["mode"] == "upgrade" and manifest.history[1]["file_name"] == "old.csv"
    assert manifest.batches == [{"batch_id": 1, "file_name": "old.csv", "sha256": "abc", "rows": 3}]


def test_an_append_to_an_old_store_upgrades_it_first(tmp_path):
    _old_store(tmp_path)
    new = pl.DataFrame({
        "sale_date": [dt.date(2025, 1, 5)], "invoice_id": ["B1"], "branch": ["Mombasa"], "product_line": ["Cement"],
        "item_group": ["Bags"], "item_name": ["Bamburi"], "salesperson": ["Jane"], "customer": ["Acme"],
        "quantity": [1.0], "revenue": [10.1234], "cost": [5.0001],
    })
    commit_lines(new, data_dir=tmp_path, file_name="new.csv", sha256="def", mode="append")
    store = SnapshotStore(tmp_path)
    con = duckdb.connect(str(store.snapshot_path(store.manifest())), read_only=True)
    try:
        columns = [c[0] for c in con.execute("DESCRIBE sales").fetchall()]
        total = con.execute("SELECT SUM(revenue_e4) FROM sales").fetchall()[0][0]
    finally:
        con.close()
    assert "revenue_cents" not in columns and "revenue_e4" in columns
    assert total == sum(r[9] for r in OLD_ROWS) * 100 + 101_234
    assert store.manifest().storage_format == STORAGE_FORMAT and store.manifest().rows == 4


def test_mauzo_upgrade_command(tmp_path, capsys):
    _old_store(tmp_path)
    assert main(["--data-dir", str(tmp_path), "upgrade"]) == 0
    assert "from storage format 1 to 2: 3 rows" in capsys.readouterr().out
    assert main(["--data-dir", str(tmp_path), "upgrade"]) == 0
    assert "nothing to upgrade" in capsys.readouterr().out


def test_mauzo_upgrade_rebuilds_rollups_written_by_another_layout(tmp_path, demo_frame, capsys):
    """A store whose rollups an older Mauzo wrote (another rollup format) answers from the lines;
    ``mauzo upgrade`` rebuilds them without an ingest, and then has nothing left to do."""
    from data.engines.duckdb_engine import LINES
    from data.rollups import FORMAT, META_TABLE
    from data.scope import UNRESTRICTED
    from data.sql import QuerySpec, compile_query
    from tests.conftest import build_store

    build_store(tmp_path, demo_frame.head(2_000), name="lines")
    store = SnapshotStore(tmp_path)
    con = duckdb.connect(str(store.snapshot_path(store.manifest())))
    try:
        raw = json.loads(con.execute(f"SELECT value FROM {META_TABLE} WHERE key = 'catalog'").fetchall()[0][0])
        older = json.dumps({**raw, "format": FORMAT - 1})
        con.execute(f"UPDATE {META_TABLE} SET value = ? WHERE key = 'catalog'", [older])
    finally:
        con.close()
    spec = QuerySpec("s", dimensions=("salesperson",))

    def source() -> str:
        engine = DuckDBEngine(tmp_path)
        try:
            return engine.execute_spec(spec, compile_query(spec, engine.dialect), UNRESTRICTED)[1]
        finally:
            engine.close()

    assert store.rollups_stale(store.manifest()) and source() == LINES
    assert main(["--data-dir", str(tmp_path), "upgrade"]) == 0
    assert "(rollups rebuilt): 2,000 rows" in capsys.readouterr().out
    assert not store.rollups_stale(store.manifest()) and source().startswith("rollup_")
    assert main(["--data-dir", str(tmp_path), "upgrade"]) == 0
    assert "nothing to upgrade" in capsys.readouterr().out
