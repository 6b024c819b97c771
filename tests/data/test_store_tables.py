"""A snapshot holds one table per dataset: writing one dataset never touches another's rows,
batches or duplicate checks."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from data.schema import OPPORTUNITIES_TABLE, OPPORTUNITY_COLUMNS, SALES_TABLE
from data.store import IngestRecord, SnapshotStore
from ingest.storage import commit_lines
from tests.data.test_store import _lines


def _deals(n: int) -> pl.DataFrame:
    columns = {name: [None] * n for name in OPPORTUNITY_COLUMNS if name != "batch_id"}
    columns.update(opportunity_id=[f"D{i}" for i in range(n)], outcome=["won"] * n, stage=["Won"] * n,
                   close_date=[dt.date(2025, 1, 2)] * n, activity_date=[dt.date(2025, 1, 2)] * n,
                   value_e4=[10_000] * n)
    schema = {"close_date": pl.Date, "activity_date": pl.Date, "engage_date": pl.Date, "value_e4": pl.Int64,
              "cycle_days": pl.Int32}
    return pl.DataFrame(columns, schema_overrides=schema).with_columns(
        pl.col(c).cast(pl.String) for c in columns if c not in schema)


def _write_deals(store: SnapshotStore, n: int, mode: str, sha: str) -> None:
    with store.write(IngestRecord(file_name=f"{sha}.csv", sha256=sha, mode=mode, rows=n,
                                  table=OPPORTUNITIES_TABLE)) as writer:
        writer.append_frame(_deals(n), table=OPPORTUNITIES_TABLE)


def _count(store: SnapshotStore, table: str) -> int:
    con = duckdb.connect(str(store.snapshot_path(store.manifest())), read_only=True)
    try:
        return con.execute(f"SELECT COUNT(*) FROM {table}").fetchall()[0][0]
    finally:
        con.close()


def test_replacing_one_dataset_keeps_the_other(tmp_path):
    store = SnapshotStore(tmp_path)
    commit_lines(_lines(5), data_dir=tmp_path, file_name="sales.csv", sha256="s1", mode="replace")
    _write_deals(store, 3, "replace", "p1")
    _write_deals(store, 2, "append", "p2")
    assert (_count(store, SALES_TABLE), _count(store, OPPORTUNITIES_TABLE)) == (5, 5)
    _write_deals(store, 4, "replace", "p3")
    assert (_count(store, SALES_TABLE), _count(store, OPPORTUNITIES_TABLE)) == (5, 4)
    commit_lines(_lines(7), data_dir=tmp_path, file_name="sales2.csv", sha256="s2", mode="replace")
    manifest = store.manifest()
    assert (_count(store, SALES_TABLE), _count(store, OPPORTUNITIES_TABLE)) == (7, 4)
    assert manifest.rows == 7 and manifest.tables == {SALES_TABLE: 7, OPPORTUNITIES_TABLE: 4}
    assert sorted((b["table"], b["sha256"]) for b in manifest.batches) == [(OPPORTUNITIES_TABLE, "p3"),
                                                                          (SALES_TABLE, "s2")]
    assert manifest.history[0]["table"] == SALES_TABLE and manifest.history[1]["table"] == OPPORTUNITIES_TABLE


def test_duplicate_files_are_checked_per_dataset(tmp_path):
    store = SnapshotStore(tmp_path)
    _write_deals(store, 1, "replace", "same")
    assert store.sha_in_current_data("same", OPPORTUNITIES_TABLE) is not None
    assert store.sha_in_current_data("same") is None  # the sales table has no such file


def test_every_snapshot_has_every_table(tmp_path):
    store = SnapshotStore(tmp_path)
    commit_lines(_lines(2), data_dir=tmp_path, file_name="s.csv", sha256="s", mode="replace")
    assert _count(store, OPPORTUNITIES_TABLE) == 0 and store.manifest().rows_of(OPPORTUNITIES_TABLE) == 0
