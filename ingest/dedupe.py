"""Lines already in the store: found by a natural key when appending, then refused or skipped.

The sha256 check only catches a byte-identical file. The same export saved again with another
delimiter, encoding or line ends has other bytes but the same lines, and would be counted twice.

**The key** of a line is its invoice id plus what identifies the line within the invoice:
``sale_date, invoice_id, branch, item_name, salesperson, customer, quantity`` and the money
columns exactly as stored (revenue and cost, at storage precision). ``product_line`` and
``item_group`` are left out on purpose: they describe the item, and a category renamed between two
exports (or supplied by a mapping constant once and by a column the next time) must not make the
same sale look new. A line without an invoice id is matched on the same key with the id empty:
that is weaker (two identical cash sales on one day at one branch by one salesperson look alike),
which the counting rule below handles.

**Counting, not just matching.** A file may hold the same line twice on purpose (the same item
scanned twice on one invoice), so identical lines within one file are kept. Lines are compared
as multisets: if the store holds a key ``n`` times and the file ``m`` times, the first
``min(n, m)`` of the file's lines (in file order) are "already in the store" and the rest are new.
So loading an overlapping export again adds exactly the lines the store lacks.

The check runs once before writing (for the report and ``--dry-run``) and again under the
store's ingest lock, against the data the new snapshot is built on, so two concurrent appends of
the same lines cannot both pass. The second run reuses the first when the data version has not
changed (snapshots are immutable).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import polars as pl

from data.schema import SALES_TABLE
from data.store import Manifest, SnapshotStore
from ingest.report import MAX_EXAMPLES, Problem, truncate
from ingest.storage import to_storage

if TYPE_CHECKING:
    from data.store import IngestRecord

DEDUPE_MODES = ("refuse", "skip")
KEY_COLUMNS: tuple[str, ...] = ("sale_date", "invoice_id", "branch", "item_name", "salesperson", "customer",
                                "quantity")
MONEY_PREFIXES = ("revenue_", "cost_")
CHECK = "duplicate_lines"


class DuplicateLines(Exception):
    """Append refused: some lines are already in the current data (``--dedupe refuse``)."""

    def __init__(self, check: LineCheck) -> None:
        super().__init__(f"{check.match.count if check.match else 0} lines already in the store")
        self.check = check


class NothingNew(Exception):
    """``--dedupe skip`` and every line is already in the store: there is nothing to write."""

    def __init__(self, check: LineCheck) -> None:
        super().__init__("every line is already in the store")
        self.check = check


@dataclass(frozen=True)
class Match:
    """Which incoming lines (positions, ascending) are already in the data of ``version``."""

    version: str | None
    positions: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    batches: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    key: tuple[str, ...] = ()
    batch_files: dict[int, str] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return int(self.positions.size)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _shown(column: str) -> str:
    """``revenue_e4`` -> ``revenue``: the key as a person reads it."""
    for prefix in MONEY_PREFIXES:
        if column.startswith(prefix):
            return prefix.rstrip("_")
    return column


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def match_key(stored: list[str], incoming: list[str]) -> tuple[str, ...]:
    """The key columns both sides have: the fixed ones, plus whatever money columns storage uses
    (``revenue_cents``/``cost_cents`` or ``revenue_e4``/``cost_e4``), found by name so a change of
    money unit needs no edit here. If the two sides store money differently, money is left out."""
    money = sorted((c for c in incoming if c.startswith(MONEY_PREFIXES) and c in stored),
                   key=lambda c: (MONEY_PREFIXES.index(_shown(c) + "_"), c))
    return tuple(c for c in KEY_COLUMNS if c in stored and c in incoming) + tuple(money)


def find_existing(store: SnapshotStore, manifest: Manifest | None, rows: pl.DataFrame) -> Match:
    """Lines of ``rows`` (storage schema, file order) already in ``manifest``'s snapshot."""
    version = manifest.version if manifest else None
    if manifest is None or manifest.rows == 0 or rows.height == 0:
        return Match(version)
    con = duckdb.connect(str(store.snapshot_path(manifest)), read_only=True)
    try:
        con.execute("SET enable_progress_bar = false")  # never draw DuckDB's bar over the ingest's output
        stored = [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [SALES_TABLE]).fetchall()]
        key = match_key(stored, rows.columns)
        view = f"incoming_{secrets.token_hex(4)}"
        con.register(view, rows.select(key).with_row_index("pos"))
        cols = ", ".join(_quote(c) for c in key)
        on = " AND ".join(f"i.{_quote(c)} IS NOT DISTINCT FROM s.{_quote(c)}" for c in key)
        first, last = rows["sale_date"].min(), rows["sale_date"].max()
        found = con.execute(
            f"""
            WITH i AS (
                SELECT pos, {cols}, row_number() OVER (PARTITION BY {cols} ORDER BY pos) AS occurrence
                FROM {view}),
            s AS (
                SELECT {cols}, count(*) AS n, min(batch_id) AS batch_id FROM {_quote(SALES_TABLE)}
                WHERE sale_date BETWEEN ? AND ? GROUP BY ALL)
            SELECT i.pos, s.batch_id FROM i JOIN s ON {on}
            WHERE i.occurrence <= s.n ORDER BY i.pos
            """,
            [first, last],
        ).fetchnumpy()
        con.unregister(view)
    finally:
        con.close()
    files = {int(b["batch_id"]): str(b.get("file_name")) for b in manifest.batches if "batch_id" in b}
    return Match(version, np.asarray(found["pos"], dtype=np.int64), np.asarray(found["batch_id"], dtype=np.int64),
                 key, files)


def repeated_within(frame: pl.DataFrame) -> int:
    """Lines of the file that repeat an earlier line of the same file on every key column (they are kept)."""
    key = [c for c in (*KEY_COLUMNS, "revenue", "cost") if c in frame.columns]
    if frame.height == 0:
        return 0
    # Equal lines have equal row hashes. Sorted hashes cost 16 bytes a line (a struct hash or a
    # hash table over the lines cost ten times that), and usually show no two equal: done. Else
    # only lines whose hash occurs again can repeat one, and those few are compared exactly.
    hashes = frame.select(key).hash_rows()
    ordered = hashes.sort()
    if not (ordered.slice(1) == ordered.slice(0, len(ordered) - 1)).any():
        return 0
    candidates = frame.filter(hashes.is_duplicated()).select(key)
    return candidates.height - candidates.unique().height


@dataclass
class LineCheck:
    """The dedupe decision for one append: run before writing, then again under the ingest lock."""

    mode: str  # refuse | skip
    frame: pl.DataFrame  # canonical lines, file order (for the report)
    lines: pl.Series  # file line (or row) of each
    unit: str = "line"
    match: Match | None = None
    skipped: int = 0

    def __post_init__(self) -> None:
        if self.mode not in DEDUPE_MODES:
            raise ValueError(f"dedupe must be one of {DEDUPE_MODES}, not {self.mode!r}")

    def run(self, store: SnapshotStore, rows: pl.DataFrame | None = None) -> Match:
        """Compare with the current data; reuses the last result while the data version is the same."""
        manifest = store.manifest()
        version = manifest.version if manifest else None
        if self.match is not None and self.match.version == version:
            return self.match
        if rows is None and manifest is not None and manifest.rows:
            rows = to_storage(self.frame)
        try:
            self.match = find_existing(store, manifest, rows if rows is not None else self.frame.head(0))
        except duckdb.IOException:
            # Outside the lock the snapshot can be collected between reading the manifest and opening
            # it (after several newer ingests); the newest manifest names a snapshot that exists.
            manifest = store.manifest()
            self.match = find_existing(store, manifest, rows if rows is not None else to_storage(self.frame))
        return self.match

    @property
    def total(self) -> int:
        return self.frame.height

    def keep_new(self, store: SnapshotStore, rows: pl.DataFrame, record: IngestRecord) -> pl.DataFrame:
        """Called by ``commit_lines`` under the ingest lock: ``rows`` (storage schema) without the lines
        already in the store (``skip``), or raise ``DuplicateLines`` (``refuse``) / ``NothingNew``."""
        match = self.run(store, rows)
        if match.count == 0:
            return rows
        if self.mode == "refuse":
            raise DuplicateLines(self)
        if match.count == rows.height:
            raise NothingNew(self)
        keep = np.ones(rows.height, dtype=bool)
        keep[match.positions] = False
        self.skipped = match.count
        record.rows = int(keep.sum())
        record.extra["duplicate_rows_skipped"] = match.count
        return rows.filter(pl.Series(keep))

    def examples(self) -> list[tuple[int, str]]:
        match = self.match
        if match is None:
            return []
        out = []
        for position, batch in zip(match.positions[:MAX_EXAMPLES], match.batches[:MAX_EXAMPLES], strict=True):
            row: dict[str, Any] = self.frame.row(int(position), named=True)
            line = " · ".join([
                truncate(row["invoice_id"] or "(no invoice id)", 40), str(row["sale_date"]),
                truncate(row["branch"], 40), truncate(row["item_name"], 60),
                f"qty {_number(row['quantity'])}", f"KSh {row['revenue']:,.2f}",
            ])
            where = match.batch_files.get(int(batch))
            out.append((int(self.lines[int(position)]),
                        f"{line} (already in batch {int(batch)}{f', {where}' if where else ''})"))
        return out

    def problem(self) -> Problem:
        """The rejection (``refuse``): how many lines, how to proceed, and the first few."""
        count = self.match.count if self.match else 0
        new = self.total - count
        key = ", ".join(_shown(c) for c in (self.match.key if self.match and self.match.key else KEY_COLUMNS))
        if new == 0:
            message = (f"all {self.total:,} lines are already in the current data (same {key}): the same export "
                       "saved again? Nothing to add; --force loads them a second time")
        else:
            message = (f"{count:,} of {self.total:,} lines are already in the current data (same {key}); "
                       f"--dedupe skip loads only the {new:,} new line{'s' if new != 1 else ''}, --force loads "
                       "every line again")
        return Problem(None, CHECK, message, count, self.examples(), self.unit)

    def note(self) -> str:
        count = self.match.count if self.match else 0
        return (f"--dedupe skip: {count:,} of {self.total:,} lines are already in the current data and were "
                "not loaded again")
