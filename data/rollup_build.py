"""Keeping the rollups of a snapshot in step with its sales lines, at write time.

Called by ``SnapshotStore.write`` on the private snapshot being built, before it is checkpointed
and committed, so rollups and lines always change together (a crash leaves both as they were).

* A fresh table (``replace``, a first ingest) is aggregated from the lines just inserted.
* An ``append`` aggregates only its own lines and adds their rows; a transaction that already had
  lines in the store becomes irregular (its earlier weights are taken back by correction rows and
  all its lines are counted exactly from ``rollup_irregular_lines``). Cost: one scan of two key
  columns to find such transactions, plus work proportional to the appended lines.
* Anything else (rollups missing, built from other metric declarations or in another format, a
  storage upgrade) rebuilds them from every line.

Class sizes are computed by sorting: each line's transaction gets an exact integer code (branch
and invoice as categorical codes), and the lines are sorted once by one integer that packs that
code with the product hierarchy's codes, so every class is a run of equal keys (10M lines: 8.7 s,
against 13.9 s sorting by a hash of the key text and four more keys). The rollups are
aggregated from the lines with each dimension as an integer code (``_encode``), the text joined
back onto the far fewer rollup rows: the widest rollup (six dimensions) took about half the time
grouped by codes (3.4 s against 6.3 s over 1M lines on a loaded 2-core machine).

Each batch's rows are written in date (then branch) order, and sums are stored as BIGINT whenever
the batch's absolute values add up to less than 2^63 (an append that needs more widens the column
to HUGEINT first). On the 10M demo the data-layer queries of a typical Overview went from 192-216
to 162-174 ms; ingest time did not change measurably (40 s both ways on a quiet machine).
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager

import duckdb
import numpy as np
import polars as pl

from data.rollups import (
    FORMAT,
    IRREGULAR_COLUMNS,
    IRREGULAR_TABLE,
    LEVELS,
    META_TABLE,
    ROLLUPS,
    TIME,
    TXN_CONSTANT,
    UNIT,
    Catalog,
    Rollup,
    current_signatures,
    metric_form,
    metric_sql,
    partial_metrics,
    read_catalog,
    write_catalog,
)
from data.schema import SALES_TABLE

LINE_COLUMNS: tuple[str, ...] = ("sale_date", "invoice_id", "branch", "product_line", "item_group", "item_name",
                                 "salesperson", "customer", "quantity", "revenue_e4", "cost_e4")
WEIGHTS: tuple[str, ...] = tuple(f"w{i}" for i in range(len(LEVELS)))
CUSTOMER_DAY_WEIGHT = "wcd"


# -- class weights ---------------------------------------------------------------------------------
def _runs(starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run id of each sorted position and each run's length, from run-start flags."""
    run = np.cumsum(starts) - 1
    return run, np.bincount(run)


def _steps(values: np.ndarray) -> np.ndarray:
    """True where a sorted integer array differs from the previous value (True at 0)."""
    out = np.empty(values.shape[0], dtype=bool)
    if values.shape[0]:
        out[0] = True
        np.not_equal(values[1:], values[:-1], out=out[1:])
    return out


def _codes(series: pl.Series) -> np.ndarray:
    """Integer codes that are equal exactly when the values are (nulls share one code). A column
    ``_encode`` already coded is taken as it is."""
    if series.dtype == pl.Date:
        return series.cast(pl.Int64).fill_null(-(2**40)).to_numpy()
    if series.dtype.is_integer():
        return series.cast(pl.Int64).fill_null(-1).to_numpy()
    return series.cast(pl.String).cast(pl.Categorical).to_physical().cast(pl.Int64).fill_null(-1).to_numpy()


def transaction_keys(lines: pl.DataFrame) -> pl.Series:
    """The key the transactions metric counts: ``branch || '|' || invoice_id`` (null if either is)."""
    return lines.select(pl.concat_str([pl.col("branch"), pl.lit("|"), pl.col("invoice_id")]).alias("txn"))["txn"]


def _compact(column: np.ndarray) -> np.ndarray:
    """The column's values replaced by their rank among its distinct values (0, 1, ...): the same
    order in as few bits as it can take. Dictionary codes are not dense (Polars numbers the strings
    of every categorical column in one space), and packing them as they are overflowed 62 bits at
    10M lines, which sent every ingest to a multi-key sort four times slower."""
    if not column.size:
        return column
    low = int(column.min())
    span = int(column.max()) - low + 1
    if span > 8 * column.size + (1 << 20):  # sparse: a sort is cheaper than a table of the span
        return np.unique(column, return_inverse=True)[1].reshape(-1).astype(np.int64)
    present = np.zeros(span, dtype=bool)
    present[column - low] = True
    rank = np.cumsum(present, dtype=np.int32 if span < 2**31 else np.int64) - 1
    return rank[column - low].astype(np.int64)


def _mixed_radix(columns: Sequence[np.ndarray]) -> np.ndarray | None:
    """One non-negative integer per row that orders the rows as the columns do, first column first
    (codes of -1, i.e. null, included); None when it would not fit in 62 bits. Columns are made
    dense (``_compact``) narrowest first, only as far as needed to fit."""
    columns = [c - int(c.min()) if c.size else c for c in columns]
    sizes = [int(c.max()) + 1 if c.size else 1 for c in columns]
    for index in sorted(range(len(columns)), key=sizes.__getitem__):
        if math.prod(sizes) < 2**62:
            break
        columns[index] = _compact(columns[index])
        sizes[index] = int(columns[index].max()) + 1 if columns[index].size else 1
    if math.prod(sizes) >= 2**62:
        return None
    packed = np.zeros(columns[0].shape[0] if columns else 0, dtype=np.int64)
    for column, size in zip(columns, sizes, strict=True):
        packed = packed * size + column
    return packed


def _transaction_codes(source: pl.DataFrame) -> np.ndarray:
    """Per line, an integer equal exactly when the transaction keys (branch, invoice) are; -1 where
    either is null (the metric's key is then null). Exact codes (Polars groups by the values, so no
    collisions), numbered in no particular order: a hash group-by on both cores, where coding the
    invoices as a categorical took twice as long (10M lines: 1.7 s against 3.5 s)."""
    groups = source.select("branch", "invoice_id").with_row_index("row").group_by("branch", "invoice_id").agg("row")
    codes = np.empty(source.height, dtype=np.int64)
    codes[groups["row"].explode().to_numpy()] = np.repeat(np.arange(groups.height, dtype=np.int64),
                                                          groups["row"].list.len().to_numpy())
    keyed = source.select(pl.col("branch").is_not_null() & pl.col("invoice_id").is_not_null()).to_series()
    return np.where(keyed.to_numpy(), codes, -1)


def _transaction_order(txn: np.ndarray, levels: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Keyed lines sorted so each transaction's lines are adjacent, and within it each class's; and
    the run starts of transactions. One integer sort when transaction and classes pack into 62 bits
    (any real store: a few bits of branch and of class, 32 of invoice), a multi-key sort otherwise."""
    keyed = np.flatnonzero(txn >= 0)
    packed = _mixed_radix([txn[keyed], *(level[keyed] for level in levels)])
    if packed is not None:  # Polars sorts on both cores: 10M lines 0.5 s, NumPy 1.3 s
        order = keyed[pl.Series(packed).arg_sort().to_numpy()]
    else:
        order = keyed[np.lexsort((*(level[keyed] for level in reversed(levels)), txn[keyed]))]
    return order, _steps(txn[order])


def transaction_weights(lines: pl.DataFrame, irregular_keys: Sequence[str] = (),
                        coded: pl.DataFrame | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per line, the weight of its class at each level (n x levels) and whether its transaction is
    irregular (lines disagree on date, salesperson or customer, or the key is in ``irregular_keys``).
    ``coded``: the same lines as ``_encode`` gives them, to reuse its codes.

    Lines without an invoice count one transaction each at every level (weight ``UNIT``); lines of an
    irregular transaction, or with an invoice but no branch (the metric's key is then null), weigh 0."""
    n = lines.height
    # Level by level, as _with_weights reads them: each level's weights are contiguous in memory.
    weights = np.zeros((len(LEVELS), n), dtype=np.int64).T
    irregular = np.zeros(n, dtype=bool)
    weights[lines["invoice_id"].is_null().to_numpy()] = UNIT
    source = lines if coded is None else coded
    txn = _transaction_codes(source)
    if not (txn >= 0).any():
        return weights, irregular
    levels = [_codes(source[column]) for column in LEVELS[-1]]
    order, starts = _transaction_order(txn, levels)
    run, _ = _runs(starts)
    differs = np.zeros(order.shape[0], dtype=bool)
    for column in TXN_CONSTANT:
        differs |= _steps(_codes(source[column])[order])
    differs &= ~starts
    bad_runs = np.bincount(run, weights=differs) > 0
    if irregular_keys:
        forced = transaction_keys(lines).gather(order).is_in(list(irregular_keys)).to_numpy()
        bad_runs |= np.bincount(run, weights=forced) > 0
    bad = bad_runs[run]
    level_starts = starts
    for level, columns in enumerate(LEVELS):
        if columns:
            level_starts = level_starts | _steps(levels[len(columns) - 1][order])
        level_run, sizes = _runs(level_starts)
        weights[order, level] = np.where(bad, 0, UNIT // sizes[level_run])
    irregular[order] = bad
    return weights, irregular


def customer_day_weights(lines: pl.DataFrame, known: pl.DataFrame | None = None,
                         coded: pl.DataFrame | None = None) -> np.ndarray:
    """Per line, the weight of its (customer, day) class; 0 for a class that already has lines in the
    store (``known``: its earlier lines already count it once). ``coded`` as for ``transaction_weights``."""
    n = lines.height
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    days, customers = _codes(lines["sale_date"]), _codes((lines if coded is None else coded)["customer"])
    order = np.lexsort((customers, days))
    starts = _steps(days[order]) | _steps(customers[order])
    run, sizes = _runs(starts)
    out = np.empty(n, dtype=np.int64)
    out[order] = UNIT // sizes[run]
    if known is not None and known.height:
        seen = lines.select("sale_date", "customer").join(
            known.select("sale_date", "customer").unique().with_columns(pl.lit(True).alias("_seen")),
            on=["sale_date", "customer"], how="left", nulls_equal=True, maintain_order="left",
        )["_seen"].fill_null(False).to_numpy()
        out[seen] = 0
    return out


# -- SQL pieces -------------------------------------------------------------------------------------
@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> Iterator[str]:
    name = f"rollup_src_{secrets.token_hex(4)}"
    con.register(name, frame)
    try:
        yield name
    finally:
        con.unregister(name)


def _time_expr(rollup: Rollup, source_is_lines: bool) -> list[str]:
    if rollup.time is None:
        return []
    if rollup.time == "month" and source_is_lines:
        return [f"CAST(date_trunc('month', {TIME}) AS DATE) AS {TIME}"]
    return [TIME]


def _columns(rollup: Rollup) -> list[str]:
    """A rollup table's columns, in order."""
    names = ([TIME] if rollup.time else []) + list(rollup.dims) + [f"p_{name}" for name in partial_metrics()]
    names += [f"t{i}" for i in rollup.levels] + (["w_cd"] if rollup.customer_days else [])
    return names + ["batch_id"]


def _decoded(rollup: Rollup, coded: str, dictionaries: dict[str, str]) -> str:
    """Rows of a query grouped by ``_encode``'s codes, with each code replaced by its value
    (``dictionaries``: dimension -> a view of ``code, value``)."""
    outer = [f"d{rollup.dims.index(n)}.value AS {n}" if n in rollup.dims else f"a.{n}" for n in _columns(rollup)]
    joins = " ".join(f"LEFT JOIN {dictionaries[dim]} d{i} ON a.{dim} = d{i}.code" for i, dim in enumerate(rollup.dims))
    return f"SELECT {', '.join(outer)} FROM ({coded}) a {joins}"


def _from_lines(rollup: Rollup, view: str, batch_id: int,
                dictionaries: dict[str, str] | None = None) -> tuple[str, list[object]]:
    """Aggregate a view of lines (with weight columns) to the rollup's grain. With ``dictionaries``
    the view's dimension columns hold ``_encode``'s codes: the lines are grouped by the codes and
    the rollup rows get the values back by code."""
    select = _time_expr(rollup, True) + list(rollup.dims)
    params: list[object] = []
    for name, metric in partial_metrics().items():
        text, values = metric_sql(metric)
        select.append(f"{text} AS p_{name}")
        params.extend(values)
    select += [f"COALESCE(SUM({WEIGHTS[i]}), 0) AS t{i}" for i in rollup.levels]
    if rollup.customer_days:
        select.append(f"COALESCE(SUM({CUSTOMER_DAY_WEIGHT}), 0) AS w_cd")
    select.append(f"CAST({int(batch_id)} AS INTEGER) AS batch_id")
    groups = ", ".join(str(i + 1) for i in range(len(rollup.grain)))
    grouped = f"SELECT {', '.join(select)} FROM {view} GROUP BY {groups}"
    return (_decoded(rollup, grouped, dictionaries) if dictionaries else grouped), params


CODED: tuple[str, ...] = tuple(sorted({dim for r in ROLLUPS for dim in r.dims}))


def _encode(lines: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    """``lines`` with every rollup dimension replaced by an integer code, equal exactly when the
    values are (null stays null), and each dimension's dictionary (``code, value``)."""
    codes: list[pl.Series] = []
    dictionaries: dict[str, pl.DataFrame] = {}
    for name in CODED:
        categorical = lines[name].cast(pl.Categorical)
        codes.append(categorical.to_physical().cast(pl.UInt32).alias(name))
        # The distinct values straight from the categorical: hashing a few million codes, not
        # pairing every code with its text (10M lines: 0.3 s against 1.4 s for six dimensions).
        values = categorical.unique().drop_nulls()
        dictionaries[name] = pl.DataFrame({"code": values.to_physical().cast(pl.UInt32),
                                           "value": values.cast(pl.String)})
    return lines.with_columns(codes), dictionaries


def _corrections(rollup: Rollup, view: str, batch_id: int) -> str:
    """Rows taking back the weights of lines whose transaction just became irregular (their money
    and counts stay in the earlier rows; only transaction weights move)."""
    select = _time_expr(rollup, True) + list(rollup.dims)
    for name, metric in partial_metrics().items():
        kind = metric_form(metric).kind  # type: ignore[union-attr]
        select.append(f"{'0' if kind == 'sum' else 'NULL'} AS p_{name}")
    select += [f"-COALESCE(SUM({WEIGHTS[i]}), 0) AS t{i}" for i in rollup.levels]
    if rollup.customer_days:
        select.append("0 AS w_cd")
    select.append(f"CAST({int(batch_id)} AS INTEGER) AS batch_id")
    groups = ", ".join(str(i + 1) for i in range(len(rollup.grain)))
    return f"SELECT {', '.join(select)} FROM {view} GROUP BY {groups}"


def _from_rollup(rollup: Rollup, source: Rollup, batch_id: int, relation: str | None = None) -> str:
    """Aggregate this batch's rows of the source rollup (or of ``relation``, rows of the source's
    shape) to this (coarser) grain."""
    select = _time_expr(rollup, source.time == "day") + list(rollup.dims)
    for name, metric in partial_metrics().items():
        kind = metric_form(metric).kind  # type: ignore[union-attr]
        combine = {"sum": f"COALESCE(SUM(p_{name}), 0)", "min": f"MIN(p_{name})", "max": f"MAX(p_{name})"}[kind]
        select.append(f"{combine} AS p_{name}")
    select += [f"COALESCE(SUM(t{i}), 0) AS t{i}" for i in rollup.levels]
    if rollup.customer_days:
        select.append("COALESCE(SUM(w_cd), 0) AS w_cd")
    select.append(f"CAST({int(batch_id)} AS INTEGER) AS batch_id")
    groups = ", ".join(str(i + 1) for i in range(len(rollup.grain)))
    return (f"SELECT {', '.join(select)} FROM {relation or rollup.source} WHERE batch_id = {int(batch_id)} "
            f"GROUP BY {groups}")


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute("SELECT COUNT(*) FROM duckdb_tables() WHERE table_name = ? AND database_name = "
                            "current_database()", [table]).fetchall()[0][0])


INT64_MAX = 2**63 - 1


def _summed(rollup: Rollup) -> list[str]:
    """The columns of a rollup that hold sums (money, counts, weights)."""
    sums = [f"p_{name}" for name, metric in partial_metrics().items()
            if metric_form(metric).kind == "sum"]  # type: ignore[union-attr]
    return sums + [f"t{i}" for i in rollup.levels] + (["w_cd"] if rollup.customer_days else [])


INTEGERS = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER"})


def _narrow(con: duckdb.DuckDBPyConnection, rollup: Rollup, relation: str, where: str = "") -> frozenset[str]:
    """The integer sum columns of ``relation`` (rows of ``rollup``'s shape or a finer one) whose
    absolute values add up to at most ``INT64_MAX``. Every row and every sum of rows, so every cell
    of a rollup built from them, then fits a BIGINT: stored as BIGINT, not as the HUGEINT that SUM
    returns, they are half as wide and DuckDB reads and adds them faster."""
    summed = set(_summed(rollup))
    columns = [name for name, kind, *_ in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
               if name in summed and kind in INTEGERS]
    if not columns:
        return frozenset()
    totals = con.execute(f"SELECT {', '.join(f'SUM(ABS({c}))' for c in columns)} FROM {relation} {where}").fetchall()[0]
    return frozenset(c for c, total in zip(columns, totals, strict=True) if total is None or total <= INT64_MAX)


def _order(rollup: Rollup) -> str:
    """Rows sorted by time, then branch: the min/max of each row group then bound its dates, so a
    date range (and a branch inside it) skips most of a table (typical filter on the 10M demo:
    8 against 14 ms for a summary of ``rollup_account_month``)."""
    keys = ([TIME] if rollup.time else []) + [d for d in rollup.dims if d == "branch"]
    return f" ORDER BY {', '.join(keys)}" if keys else ""


def _insert(con: duckdb.DuckDBPyConnection, rollup: Rollup, select: str, narrow: frozenset[str]) -> None:
    """Add rows of ``rollup``'s shape, sorted, with the ``narrow`` columns stored as BIGINT (a table
    that has one as BIGINT widens it to HUGEINT first when these rows need it)."""
    table = rollup.table
    narrow = narrow & frozenset(_summed(rollup))
    if _exists(con, table):
        types = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? "
                                 "AND database_name = current_database()", [table]).fetchall())
        wide = [c for c, kind in types.items() if kind == "BIGINT" and c not in narrow]
        for column in wide:
            con.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET DATA TYPE HUGEINT")
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM ({select}){_order(rollup)}")
        return
    casts = ", ".join(f"CAST({c} AS BIGINT) AS {c}" for c in sorted(narrow))
    replace = f" REPLACE ({casts})" if casts else ""
    con.execute(f"CREATE TABLE {table} AS SELECT *{replace} FROM ({select}){_order(rollup)}")


def _drop_tables(con: duckdb.DuckDBPyConnection, tables: dict[str, str]) -> None:
    for table in tables.values():
        con.execute(f"DROP TABLE IF EXISTS {table}")


def drop_all(con: duckdb.DuckDBPyConnection) -> None:
    for table in [r.table for r in ROLLUPS] + [IRREGULAR_TABLE, META_TABLE]:
        con.execute(f"DROP TABLE IF EXISTS {table}")


# -- maintenance --------------------------------------------------------------------------------------
def _touched_lines(con: duckdb.DuckDBPyConnection, batch: pl.DataFrame, batch_id: int) -> pl.DataFrame:
    """Earlier lines of the transactions this batch adds lines to."""
    keys = batch.select("branch", "invoice_id").drop_nulls().unique()
    if keys.is_empty():
        return pl.DataFrame(schema={c: batch.schema[c] for c in IRREGULAR_COLUMNS if c != "batch_id"})
    with _registered(con, keys) as view:
        return con.sql(
            f"SELECT s.{', s.'.join(c for c in IRREGULAR_COLUMNS if c != 'batch_id')}, s.batch_id "
            f"FROM {SALES_TABLE} s SEMI JOIN {view} k ON s.branch = k.branch AND s.invoice_id = k.invoice_id "
            f"WHERE s.batch_id <> ?", params=[batch_id]).pl()


def _irregular_keys(con: duckdb.DuckDBPyConnection, keys: pl.Series) -> set[str]:
    """Which of these transaction keys are already irregular in the store."""
    values = keys.drop_nulls().unique()
    if values.is_empty() or not _exists(con, IRREGULAR_TABLE):
        return set()
    frame = pl.DataFrame({"k": values})
    with _registered(con, frame) as view:
        rows = con.sql(f"SELECT DISTINCT branch || '|' || invoice_id FROM {IRREGULAR_TABLE} "
                       f"WHERE branch || '|' || invoice_id IN (SELECT k FROM {view})").fetchall()
    return {r[0] for r in rows}


def _known_customer_days(con: duckdb.DuckDBPyConnection, batch: pl.DataFrame, batch_id: int) -> pl.DataFrame:
    pairs = batch.select("sale_date", "customer").unique()
    low, high = batch["sale_date"].min(), batch["sale_date"].max()
    with _registered(con, pairs) as view:
        return con.sql(
            f"SELECT DISTINCT s.sale_date, s.customer FROM {SALES_TABLE} s SEMI JOIN {view} k "
            f"ON s.sale_date = k.sale_date AND s.customer IS NOT DISTINCT FROM k.customer "
            f"WHERE s.batch_id <> ? AND s.sale_date BETWEEN ? AND ?", params=[batch_id, low, high]).pl()


def _with_weights(lines: pl.DataFrame, weights: np.ndarray, customer_days: np.ndarray | None) -> pl.DataFrame:
    columns = [pl.Series(name, weights[:, i]) for i, name in enumerate(WEIGHTS)]
    if customer_days is not None:
        columns.append(pl.Series(CUSTOMER_DAY_WEIGHT, customer_days))
    return lines.with_columns(columns)


def _apply(con: duckdb.DuckDBPyConnection, batch: pl.DataFrame, batch_id: int, incremental: bool) -> None:
    """Add one batch of lines (already inserted into the sales table) to every rollup."""
    batch = batch.select(LINE_COLUMNS)
    touched = _touched_lines(con, batch, batch_id) if incremental else None
    forced: set[str] = set()
    newly_irregular = pl.DataFrame()
    if touched is not None and touched.height:
        touched_keys = transaction_keys(touched)
        already = _irregular_keys(con, touched_keys)
        forced = set(touched_keys.drop_nulls().unique().to_list())
        newly_irregular = touched.filter(~touched_keys.is_in(list(already)))
    coded, dictionaries = _encode(batch)
    weights, irregular = transaction_weights(batch, sorted(forced), coded)
    known_days = _known_customer_days(con, batch, batch_id) if incremental else None
    lines = _with_weights(coded, weights, customer_day_weights(batch, known_days, coded))
    irregular_rows = batch.filter(pl.Series(irregular)).select(IRREGULAR_COLUMNS[:-1]).with_columns(
        pl.lit(batch_id, dtype=pl.Int32).alias("batch_id"))
    if newly_irregular.height:
        irregular_rows = pl.concat([irregular_rows, newly_irregular.select(IRREGULAR_COLUMNS[:-1]).with_columns(
            pl.lit(batch_id, dtype=pl.Int32).alias("batch_id"))], how="vertical_relaxed")
    by_table = {r.table: r for r in ROLLUPS}
    with ExitStack() as stack:
        view = stack.enter_context(_registered(con, lines))
        names = {dim: stack.enter_context(_registered(con, frame)) for dim, frame in dictionaries.items()}
        pending: dict[str, str] = {}  # rollup -> a temporary table of its new rows, still coded
        stack.callback(_drop_tables, con, pending)
        children = {table: [r for r in ROLLUPS if r.source == table] for table in by_table}
        for rollup in ROLLUPS:
            if rollup.source is not None:
                continue
            select, params = _from_lines(rollup, view, batch_id)
            pending[rollup.table] = f"coded_{rollup.table}"
            con.execute(f"CREATE OR REPLACE TEMP TABLE {pending[rollup.table]} AS {select}", params)
            fits = _narrow(con, rollup, pending[rollup.table])
            _insert(con, rollup, _decoded(rollup, f"SELECT * FROM {pending[rollup.table]}", names), fits)
            if not newly_irregular.height:
                # The rollups built from this one, from the same rows still coded: grouped by
                # integers, then decoded. Then the rows go: one batch's rows of one rollup at a time
                # (at 10M lines the five together held about 7M rows).
                for child in children[rollup.table]:
                    coarse = _from_rollup(child, rollup, batch_id, pending[rollup.table])
                    _insert(con, child, _decoded(child, coarse, names), fits)
            con.execute(f"DROP TABLE {pending.pop(rollup.table)}")
        if newly_irregular.height:
            # Their earlier weights were computed from exactly these lines (a regular transaction's
            # lines all came in one batch), so recomputing them gives what to take back.
            old_weights, _ = transaction_weights(newly_irregular)
            undo = _with_weights(newly_irregular, old_weights, None)
            with _registered(con, undo) as undo_view:
                for rollup in ROLLUPS:
                    if rollup.source is None:
                        corrections = _corrections(rollup, undo_view, batch_id)
                        _insert(con, rollup, corrections, _narrow(con, rollup, f"({corrections})"))
            for rollup in ROLLUPS:  # from the source's rows of this batch, corrections included
                if rollup.source is not None:
                    source = by_table[rollup.source]
                    fits = _narrow(con, rollup, source.table, f"WHERE batch_id = {int(batch_id)}")
                    _insert(con, rollup, _from_rollup(rollup, source, batch_id), fits)
    with _registered(con, irregular_rows) as view:
        columns = ", ".join(IRREGULAR_COLUMNS)
        if not _exists(con, IRREGULAR_TABLE):
            types = {c: t for c, t in zip(IRREGULAR_COLUMNS,
                                          ["DATE", *["VARCHAR"] * 7, "INTEGER"], strict=True)}
            con.execute(f"CREATE TABLE {IRREGULAR_TABLE} ({', '.join(f'{c} {t}' for c, t in types.items())})")
        con.execute(f"INSERT INTO {IRREGULAR_TABLE} ({columns}) SELECT {columns} FROM {view}")


def _catalog(con: duckdb.DuckDBPyConnection, previous: Catalog | None, batch: pl.DataFrame | None) -> Catalog:
    def bound(pick, old: dt.date | None, new: dt.date | None) -> dt.date | None:  # type: ignore[no-untyped-def]
        values = [v for v in (old, new) if v is not None]
        return pick(values) if values else None

    if previous is None or batch is None:
        query = f"SELECT MIN(sale_date), MAX(sale_date), COUNT(*) FROM {SALES_TABLE}"
        first, last, lines = con.execute(query).fetchall()[0]
    else:
        first = bound(min, previous.first_sale, batch["sale_date"].min())
        last = bound(max, previous.last_sale, batch["sale_date"].max())
        lines = previous.lines + batch.height
    rows = {r.table: con.execute(f"SELECT COUNT(*) FROM {r.table}").fetchall()[0][0] for r in ROLLUPS}
    irregular = con.execute(f"SELECT COUNT(*) FROM {IRREGULAR_TABLE}").fetchall()[0][0]
    return Catalog(format=FORMAT, unit=UNIT, first_sale=first, last_sale=last, lines=int(lines),
                   irregular_lines=int(irregular), rows={k: int(v) for k, v in rows.items()},
                   signatures=current_signatures())


def _all_lines(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return con.sql(f"SELECT {', '.join(LINE_COLUMNS)} FROM {SALES_TABLE}").pl()


def maintain(con: duckdb.DuckDBPyConnection, frames: Sequence[pl.DataFrame], batch_id: int) -> None:
    """Bring the rollups of the snapshot being written up to date with its sales lines.

    ``frames`` are the sales lines this write inserted (storage schema), all under ``batch_id``."""
    catalog = read_catalog(con)
    earlier = con.execute(f"SELECT COUNT(*) FROM {SALES_TABLE} WHERE batch_id IS DISTINCT FROM ?",
                          [batch_id]).fetchall()[0][0]
    batch = pl.concat([f.select(LINE_COLUMNS) for f in frames], how="vertical_relaxed") if frames else None
    fits = catalog is not None and catalog.signatures == current_signatures()
    if fits and batch is None:
        return  # nothing new in the sales table
    if fits and batch is not None and earlier > 0:
        if batch.height:
            _apply(con, batch, batch_id, incremental=True)
        write_catalog(con, _catalog(con, catalog, batch))
        return
    drop_all(con)
    if earlier == 0 and batch is not None:
        lines = batch  # a fresh table holds exactly this batch: no need to read it back
    else:
        lines = _all_lines(con)
    _apply(con, lines, batch_id, incremental=False)
    write_catalog(con, _catalog(con, None, None))
