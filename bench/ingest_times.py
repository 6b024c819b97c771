"""Ingest of a demo CSV with full validation (``mauzo ingest``, a child process: wall time, rows/s,
peak RSS) and appends of a 10,000-line file to the resulting store."""

from __future__ import annotations

import datetime as dt
import statistics
from pathlib import Path
from typing import Any

import polars as pl

from bench.proc import measured
from data.store import SnapshotStore
from ingest.demo import generate

DEMO_END = dt.date(2025, 6, 30)
APPEND_ROWS = 10_000


def write_demo_csv(path: Path, rows: int, seed: int = 7) -> None:
    generate(rows=rows, seed=seed, end=DEMO_END).write_csv(path)


def write_append_csv(path: Path, index: int) -> None:
    """One day's export after the store's last day: 10,000 lines with invoice numbers of their own."""
    day = DEMO_END + dt.timedelta(days=index)
    frame = generate(rows=APPEND_ROWS, seed=100 + index, end=DEMO_END).with_columns(
        pl.lit(day).alias("sale_date"), (pl.lit(f"D{index}-") + pl.col("invoice_id")).alias("invoice_id"))
    frame.write_csv(path)


def _snapshot_mb(store: Path) -> float:
    manifest = SnapshotStore(store).manifest()
    return SnapshotStore(store).snapshot_path(manifest).stat().st_size / 1e6 if manifest else 0.0


def measure_ingest(work: Path, store: Path, rows: int, rounds: int, append_rounds: int) -> dict[str, Any]:
    csv = work / f"demo-{rows}.csv"
    write_demo_csv(csv, rows)
    runs = []
    for index in range(rounds):
        target = store if index == rounds - 1 else work / f"ingest-{index}"
        run = measured(["ingest.cli", "--data-dir", str(target), "ingest", str(csv)], log=work / f"ingest-{index}.log")
        if run.returncode != 0:
            raise RuntimeError(f"ingest failed: {run.output}")
        runs.append(run)
    csv_mb = csv.stat().st_size / 1e6
    csv.unlink()
    store_mb = _snapshot_mb(store)
    appends = []
    for index in range(1, append_rounds + 1):
        path = work / f"append-{index}.csv"
        write_append_csv(path, index)
        run = measured(["ingest.cli", "--data-dir", str(store), "ingest", str(path), "--mode", "append"],
                       log=work / f"append-{index}.log")
        if run.returncode != 0:
            raise RuntimeError(f"append failed: {run.output}")
        appends.append(run)
    seconds = statistics.median(r.seconds for r in runs)
    return {
        "rows": rows, "csv_mb": csv_mb, "rounds": rounds, "ingest_s": seconds, "rows_per_s": rows / seconds,
        "ingest_peak_rss_mb": max(r.peak_rss_mb for r in runs), "snapshot_mb": store_mb,
        "append_rows": APPEND_ROWS, "append_rounds": append_rounds,
        "append_s": statistics.median(r.seconds for r in appends),
        "append_peak_rss_mb": max(r.peak_rss_mb for r in appends), "snapshot_after_mb": _snapshot_mb(store),
    }
