"""``mauzo ingest --dataset pipeline`` through the real entry point: exit codes, output, and kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

from data.store import SnapshotStore
from tests.ingest.conftest import REPO_ROOT

HEADER = "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value"
GOOD = ["D1,Jane Wanjiku,Cement,Acme Ltd,Won,2024-01-05,2024-02-10,12500", "D2,Ali Hassan,Paint,,Engaging,2024-03-01,,"]


def both_tables(data_dir: Path) -> tuple[str | None, list[tuple], list[tuple]]:
    """Data version, every sales row and every deal, read straight from the snapshot."""
    manifest = SnapshotStore(data_dir).manifest()
    if manifest is None:
        return None, [], []
    con = duckdb.connect(str(data_dir / manifest.snapshot), read_only=True)
    try:
        sales = con.sql("SELECT * FROM sales ORDER BY ALL").fetchall()
        deals = con.sql("SELECT * FROM opportunities ORDER BY ALL").fetchall()
    finally:
        con.close()
    return manifest.version, sales, deals


@pytest.fixture
def store_with_both(base_store: Path, tmp_path: Path, cli) -> Path:
    """``base_store`` (three sales lines) plus two deals."""
    path = tmp_path / "deals.csv"
    path.write_text("\n".join([HEADER, *GOOD]) + "\n", encoding="utf-8")
    done = cli("--data-dir", base_store, "ingest", path, "--dataset", "pipeline")
    assert done.returncode == 0, done.stderr
    return base_store


def test_pipeline_ingest_success_and_rejection(store_with_both, tmp_path, cli):
    before = both_tables(store_with_both)
    assert len(before[1]) == 3 and len(before[2]) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([HEADER, "D3,Ali Hassan,Paint,,Won,2024-03-05,2024-02-10,10"]) + "\n", encoding="utf-8")
    report = tmp_path / "r.json"
    done = cli("--data-dir", store_with_both, "ingest", bad, "--dataset", "pipeline", "--report", report)
    assert done.returncode == 2
    assert 'line 2: engage_date/close_date = "2024-03-05 / 2024-02-10"' in done.stderr
    assert done.stdout.startswith("rejected bad.csv: 1 problem, 0 rows written")
    assert json.loads(report.read_text(encoding="utf-8"))["problems"][0]["check"] == "close_before_engage"
    assert both_tables(store_with_both) == before
    dedupe = cli("--data-dir", store_with_both, "ingest", bad, "--dataset", "pipeline", "--dedupe", "skip")
    assert dedupe.returncode == 2 and "--dedupe applies to sales lines" in dedupe.stderr


@pytest.fixture(scope="module")
def big_deals(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300k closed deals (about 22 MB): the snapshot write takes a while."""
    n = 300_000
    rng = np.random.default_rng(5)
    engage = np.datetime64("2023-01-01") + rng.integers(0, 500, n).astype("timedelta64[D]")
    frame = pl.DataFrame({
        "opportunity_id": [f"B{i:07d}" for i in range(n)],
        "sales_agent": rng.choice(["Jane Wanjiku", "Ali Hassan", "Otieno Ouma"], n),
        "product": rng.choice(["Cement", "Paint", "Roofing"], n),
        "account": rng.choice(["Acme Ltd", "Lakeside Hardware"], n),
        "deal_stage": rng.choice(["Won", "Lost"], n),
        "engage_date": engage,
        "close_date": engage + rng.integers(0, 90, n).astype("timedelta64[D]"),
        "close_value": rng.integers(100, 100_000, n),
    })
    path = tmp_path_factory.mktemp("big-deals") / "big_deals.csv"
    frame.write_csv(path)
    return path


def _building_bytes(snapshots: Path) -> int | None:
    files = list(snapshots.glob(".*.building*"))
    return sum(f.stat().st_size for f in files if f.exists()) if files else None


@pytest.mark.parametrize(("mode", "min_bytes"), [("append", 0), ("replace", 256 * 1024)])
def test_kill_9_mid_write_leaves_both_tables(mode, min_bytes, big_deals, store_with_both, tmp_path, cli):
    """SIGKILL the pipeline ingest while its private snapshot is being written: sales and deals intact."""
    before = both_tables(store_with_both)
    snapshots = store_with_both / "snapshots"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "ingest.cli", "--data-dir", str(store_with_both), "ingest",
                             str(big_deals), "--dataset", "pipeline", "--mode", mode], env=env, cwd=REPO_ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        while (_building_bytes(snapshots) or -1) < min_bytes:
            assert proc.poll() is None, "ingest finished before it was caught writing"
            assert time.monotonic() < deadline, "the snapshot file never appeared"
            time.sleep(0.001)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert both_tables(store_with_both) == before

    after = tmp_path / "after.csv"
    after.write_text("\n".join([HEADER, "D9,Ali Hassan,Paint,,Lost,2024-03-05,2024-04-10,0"]) + "\n", encoding="utf-8")
    done = cli("--data-dir", store_with_both, "ingest", after, "--dataset", "pipeline")
    assert done.returncode == 0, done.stderr
    version, sales, deals = both_tables(store_with_both)
    assert version != before[0] and sales == before[1] and len(deals) == len(before[2]) + 1
    assert not list(snapshots.glob(".*.building")), "the stale half-written snapshot was not cleaned up"
