"""Convert validated canonical lines to storage rows and commit them as a new snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from data.schema import MONEY_SCALE
from data.store import IngestRecord, SnapshotStore

if TYPE_CHECKING:
    from ingest.dedupe import LineCheck


class DuplicateFile(Exception):
    """This file's sha256 is already part of the current data (append without ``force``)."""

    def __init__(self, batch: dict) -> None:
        super().__init__(f"already ingested as batch {batch.get('batch_id')} ({batch.get('file_name')})")
        self.batch = batch


def to_storage(frame: pl.DataFrame) -> pl.DataFrame:
    """Canonical KSh floats -> integers in ``MONEY_SCALE`` units (1/10,000 KSh), rounded half away
    from zero at the fourth decimal.

    A KSh float parsed from text with up to four decimals lands within 1e-6 of the true unit count
    for any amount up to ``MONEY_LIMIT``, so the intermediate ``round(6)`` removes binary noise
    (1.0005 * 10000 is 10004.999999999998) and the integer is the source value exactly. Cost and
    gross profit are converted independently, so a file's own gross profit (revenue - cost, both
    exact) is kept to the last decimal."""
    def fixed(name: str) -> pl.Expr:
        value = (pl.col(name) * float(MONEY_SCALE)).round(6)
        return value.round(0, mode="half_away_from_zero").cast(pl.Int64).alias(f"{name}_e4")

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
        fixed("revenue"),
        fixed("cost"),
    )


def commit_lines(
    frame: pl.DataFrame,
    *,
    data_dir: Path | str | None,
    file_name: str,
    sha256: str,
    mode: str,
    extra: dict | None = None,
    refuse_duplicate: bool = False,
    lines: LineCheck | None = None,
) -> dict:
    """Write validated canonical lines as a new snapshot; returns the history entry.

    ``refuse_duplicate`` checks the sha256 under the ingest lock, so two concurrent appends of the
    same file cannot both succeed; it raises ``DuplicateFile`` and nothing is written. ``lines``
    (append only) checks, under the same lock, which lines are already in the store (see
    ``ingest.dedupe``): it raises ``DuplicateLines``/``NothingNew`` or drops them."""
    if mode not in ("append", "replace"):
        raise ValueError(f"mode must be append or replace, not {mode!r}")
    store = SnapshotStore(data_dir)
    record = IngestRecord(file_name=file_name, sha256=sha256, mode=mode, rows=frame.height, extra=extra or {})
    with store.write(record) as writer:
        if refuse_duplicate and mode == "append":
            batch = store.sha_in_current_data(sha256)
            if batch is not None:
                raise DuplicateFile(batch)
        rows = to_storage(frame)
        if lines is not None and mode == "append":
            rows = lines.keep_new(store, rows, record)
        writer.append_frame(rows)
    assert writer.committed is not None
    return writer.committed  # this ingest's entry, even if another ingest committed right after
