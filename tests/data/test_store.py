"""The snapshot store: atomic commits, history, and a data version that moves only on success."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import polars as pl
import pytest

from data.store import MANIFEST, SNAPSHOT_DIR, IngestRecord, SnapshotStore
from ingest.storage import DuplicateFile, commit_lines, to_storage


def _lines(n: int, day: dt.date = dt.date(2024, 5, 1), revenue: float = 100.0) -> pl.DataFrame:
    return pl.DataFrame({
        "sale_date": [day] * n,
        "invoice_id": [f"INV-{i}" for i in range(n)],
        "branch": ["Nairobi"] * n,
        "product_line": ["Cement"] * n,
        "item_group": ["Bags"] * n,
        "item_name": ["Bamburi 50kg"] * n,
        "salesperson": ["Jane"] * n,
        "customer": ["Acme"] * n,
        "quantity": [1.0] * n,
        "revenue": [revenue] * n,
        "cost": [revenue * 0.8] * n,
    })


def _rows(store: SnapshotStore) -> int:
    manifest = store.manifest()
    con = duckdb.connect(str(store.snapshot_path(manifest)), read_only=True)
    try:
        return con.sql("SELECT count(*) FROM sales").fetchall()[0][0]
    finally:
        con.close()


def test_every_successful_commit_changes_the_version_and_records_history(tmp_path):
    store = SnapshotStore(tmp_path)
    assert store.manifest() is None and store.is_empty()
    versions = []
    for index, mode in enumerate(["replace", "append", "append", "replace"]):
        entry = commit_lines(_lines(index + 1), data_dir=tmp_path, file_name=f"f{index}.csv", sha256=f"s{index}",
                             mode=mode)
        versions.append(entry["data_version"])
        assert store.manifest().version == entry["data_version"]
    assert len(set(versions)) == 4
    manifest = store.manifest()
    assert [h["file_name"] for h in manifest.history] == ["f3.csv", "f2.csv", "f1.csv", "f0.csv"]
    assert [h["mode"] for h in manifest.history] == ["replace", "append", "append", "replace"]
    assert [h["total_rows"] for h in manifest.history] == [4, 6, 3, 1]
    assert all(h["ingested_at"] and h["sha256"] for h in manifest.history)
    assert [b["sha256"] for b in manifest.batches] == ["s3"]  # a replace drops earlier batches
    assert manifest.rows == _rows(store) == 4


def test_failure_inside_the_write_leaves_version_rows_and_files(tmp_path):
    store = SnapshotStore(tmp_path)
    commit_lines(_lines(3), data_dir=tmp_path, file_name="a", sha256="a", mode="replace")
    before_manifest = (tmp_path / MANIFEST).read_bytes()
    before_files = sorted(p.name for p in (tmp_path / SNAPSHOT_DIR).iterdir())
    with pytest.raises(RuntimeError, match="boom"):
        with store.write(IngestRecord(file_name="b", sha256="b", mode="append")) as writer:
            writer.append_frame(to_storage(_lines(5)))
            raise RuntimeError("boom")
    assert (tmp_path / MANIFEST).read_bytes() == before_manifest
    assert sorted(p.name for p in (tmp_path / SNAPSHOT_DIR).iterdir()) == before_files
    assert _rows(store) == 3


def test_duplicate_refused_under_the_lock_and_nothing_written(tmp_path):
    commit_lines(_lines(2), data_dir=tmp_path, file_name="a", sha256="same", mode="replace")
    before = (tmp_path / MANIFEST).read_bytes()
    with pytest.raises(DuplicateFile, match="batch 1"):
        commit_lines(_lines(2), data_dir=tmp_path, file_name="a", sha256="same", mode="append",
                     refuse_duplicate=True)
    assert (tmp_path / MANIFEST).read_bytes() == before
    commit_lines(_lines(2), data_dir=tmp_path, file_name="a", sha256="same", mode="replace", refuse_duplicate=True)
    assert SnapshotStore(tmp_path).manifest().rows == 2


def test_reader_holding_an_old_snapshot_keeps_reading_it(tmp_path):
    store = SnapshotStore(tmp_path)
    commit_lines(_lines(2), data_dir=tmp_path, file_name="a", sha256="a", mode="replace")
    old = duckdb.connect(str(store.snapshot_path(store.manifest())), read_only=True)
    try:
        for index in range(5):  # more commits than KEEP_SNAPSHOTS: the old file gets unlinked
            commit_lines(_lines(7), data_dir=tmp_path, file_name=f"n{index}", sha256=f"n{index}", mode="replace")
        assert old.sql("SELECT count(*) FROM sales").fetchall()[0][0] == 2
    finally:
        old.close()
    assert _rows(store) == 7
    assert len(list((tmp_path / SNAPSHOT_DIR).glob("*.duckdb"))) <= 3


def test_manifest_is_valid_json_naming_an_existing_snapshot(tmp_path):
    commit_lines(_lines(1), data_dir=tmp_path, file_name="a", sha256="a", mode="replace")
    raw = json.loads((tmp_path / MANIFEST).read_text(encoding="utf-8"))
    assert (tmp_path / raw["snapshot"]).is_file()
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize(
    ("value", "units"),
    [(1.005, 10050), (0.285, 2850), (1.0005, 10005), (-1.0005, -10005), (0.00005, 1), (-0.00015, -2),
     (12.3456, 123456), (-850.0, -8500000), (1234567.8912, 12345678912), (99_999_999_999.9999, 999_999_999_999_999)],
)
def test_money_is_stored_exactly_to_the_fourth_decimal(value, units):
    """Four decimals survive exactly (binary noise removed first); a fifth rounds half away from zero."""
    assert to_storage(_lines(1, revenue=value))["revenue_e4"][0] == units


def test_what_a_killed_write_left_behind_is_removed_by_the_next(tmp_path):
    """A half-built file and DuckDB's spill directory of a write that died (kill -9): the next
    write, under the ingest lock, removes both."""
    commit_lines(_lines(3), data_dir=tmp_path, file_name="a.csv", sha256="a", mode="replace")
    snapshots = tmp_path / SNAPSHOT_DIR
    (snapshots / ".000009-dead.duckdb.building").write_bytes(b"half")
    spill = snapshots / ".000009-dead.duckdb.building.tmp"
    spill.mkdir()
    (spill / "duckdb_temp_storage-0.tmp").write_bytes(b"x" * 1024)
    commit_lines(_lines(2, revenue=5.0), data_dir=tmp_path, file_name="b.csv", sha256="b", mode="append")
    assert _rows(SnapshotStore(tmp_path)) == 5
    assert list(snapshots.glob(".*")) == []


def test_a_snapshot_is_built_within_the_write_memory_limit(tmp_path, monkeypatch):
    """The building connection carries DuckDB's memory limit (and spills beside the file)."""
    import data.store as store_module

    seen = {}
    real_connect = duckdb.connect

    def connect(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        con = real_connect(path, *args, **kwargs)
        if str(path).endswith(".building"):
            seen["limit"] = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
            seen["temp"] = con.execute("SELECT current_setting('temp_directory')").fetchone()[0]
        return con

    monkeypatch.setattr(store_module.duckdb, "connect", connect)
    commit_lines(_lines(3), data_dir=tmp_path, file_name="a.csv", sha256="a", mode="replace")
    assert seen["limit"] in ("953.6 MiB", "1.0 GiB", "1000.0 MB", "1.0 GB"), seen
    assert seen["temp"].endswith(".duckdb.building.tmp")
