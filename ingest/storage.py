"""Convert validated canonical lines to storage rows and commit them as a new snapshot."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from data.store import IngestRecord, SnapshotStore


def to_storage(frame: pl.DataFrame) -> pl.DataFrame:
    """Canonical KSh floats -> integer cents (rounded half away from zero at the cent)."""
    def cents(name: str) -> pl.Expr:
        value = pl.col(name) * 100.0
        return (value.abs().round(0) * value.sign()).cast(pl.Int64).alias(f"{name}_cents")

    return frame.select(
        pl.col("sale_date"),
        pl.col("invoice_id"),
        pl.col("branch"),
        pl.col("product_line"),
        pl.col("item_group"),
        pl.col("item_name"),
        pl.col("salesperson"),
        pl.col("customer"),
        pl.col("quantity").cast(pl.Float64),
        cents("revenue"),
        cents("cost"),
    )


def commit_lines(
    frame: pl.DataFrame,
    *,
    data_dir: Path | str | None,
    file_name: str,
    sha256: str,
    mode: str,
    extra: dict | None = None,
) -> dict:
    """Write validated canonical lines as a new snapshot; returns the history entry."""
    if mode not in ("append", "replace"):
        raise ValueError(f"mode must be append or replace, not {mode!r}")
    store = SnapshotStore(data_dir)
    record = IngestRecord(file_name=file_name, sha256=sha256, mode=mode, rows=frame.height, extra=extra or {})
    with store.write(record) as writer:
        writer.append_frame(to_storage(frame))
    manifest = store.manifest()
    assert manifest is not None
    return manifest.history[0]
