"""Aggregate tables ("rollups") kept in every snapshot beside the sales lines: what they hold.

Why: a page asks a dozen grouped aggregates of the same lines; at 10 million lines each one scans
every line, and the distinct counts (transactions, customers) hash millions of keys per query. A
rollup is the lines pre-aggregated at a coarser grain (per month, per salesperson, product line,
item...), maintained at ingest, so most queries read thousands of rows instead of millions.

Exactness is the rule, never an approximation (``data.rollup_plan`` answers a query from a rollup
only when the answer is provably the one the lines give, else the lines answer it):

* **Sums, counts, minima and maxima** are decomposable: each rollup row holds the metric's own SQL
  evaluated over its lines (``p_<metric>``), and a query combines the partials (``SUM``, ``MIN``,
  ``MAX``). Which metric is which follows from its declared SQL (``metric_form``); a metric whose
  SQL has another shape is simply not served from rollups.
* **Distinct counts over a column of the grain** (active customers: ``COUNT(DISTINCT customer...)``)
  are counted over rollup rows that keep that column, which is exact because a distinct count over
  rows that carry the column is the distinct count over the lines they came from.
* **Transactions** (distinct branch + invoice) are not additive across product lines, items or
  days, so each line carries integer class weights: a *class* is a transaction restricted to a
  level of the product hierarchy (the whole invoice; its lines of one product line; of one item
  group; of one item), and each of a class's ``n`` lines weighs ``UNIT // n``. Summed over any set
  of whole classes the weights give ``k * UNIT - e`` with ``0 <= e < lines < UNIT``, so
  ``ceil(sum / UNIT)`` is exactly the number ``k`` of classes. A query may use a level when its
  filters select whole classes and each transaction has one class per group (``rollup_plan``).
  This holds for *regular* transactions, whose lines share one date, salesperson and customer and
  arrived in one ingest; the few others (a credit note spread over several days) are kept line by
  line in ``rollup_irregular_lines`` and counted with ``COUNT(DISTINCT ...)``, then added.
* **Active days** of a customer use the same weights over (customer, day) classes.

Each rollup row also carries the ``batch_id`` of the ingest that wrote it: an append adds rows for
its own lines (and correction rows when it turns an earlier transaction irregular), it never
rewrites earlier rows, so appending stays cheap as the store grows.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import duckdb

from data.metrics import SALES_METRICS, Metric
from data.schema import STORAGE_COLUMNS

FORMAT = 2  # bump when the layout below changes: snapshots with another format are rebuilt on the next ingest
UNIT = 1 << 32  # class weight unit; exact for stores of fewer than 2**32 lines
META_TABLE = "rollup_meta"
IRREGULAR_TABLE = "rollup_irregular_lines"
IRREGULAR_COLUMNS: tuple[str, ...] = ("sale_date", "branch", "invoice_id", "product_line", "item_group", "item_name",
                                      "salesperson", "customer", "batch_id")
# Levels of the product hierarchy a transaction class can be restricted to (``t<i>`` columns).
LEVELS: tuple[tuple[str, ...], ...] = (
    (), ("product_line",), ("product_line", "item_group"), ("product_line", "item_group", "item_name"),
)
LINE_LEVEL: frozenset[str] = frozenset(LEVELS[-1])  # columns that vary between the lines of one invoice
# Columns every line of a regular transaction shares (branch is part of its key).
TXN_CONSTANT: tuple[str, ...] = ("sale_date", "salesperson", "customer")
TIME = "sale_date"

# The declared SQL of the two metrics with a special rollup form (``metric_form``). If a declaration
# changes, the metric is no longer recognised and its queries are answered from the lines.
TRANSACTIONS_SQL = ("COUNT(DISTINCT branch || '|' || invoice_id) "
                    "+ COALESCE(SUM(CASE WHEN invoice_id IS NULL THEN 1 ELSE 0 END), 0)")
ACTIVE_DAYS_SQL = "COUNT(DISTINCT {time})"


@dataclass(frozen=True)
class Rollup:
    """One aggregate table: lines grouped by ``dims`` (and by month when ``time`` is "month")."""

    table: str
    time: str | None  # "day", "month" or None (all time in one row per group)
    dims: tuple[str, ...]
    source: str | None = None  # built from this (finer) rollup instead of the lines

    @property
    def levels(self) -> tuple[int, ...]:
        """Transaction levels this rollup keeps weights for (their columns are in its grain)."""
        return tuple(i for i, cols in enumerate(LEVELS) if set(cols) <= set(self.dims))

    @property
    def customer_days(self) -> bool:
        return "customer" in self.dims

    @property
    def grain(self) -> tuple[str, ...]:
        return ((TIME,) if self.time else ()) + self.dims


# Finest first: coarser ones are built from them. Which one answers a query is decided by size.
# Monthly ones answer whole months; the daily one any dates (and active days under any filter).
ROLLUPS: tuple[Rollup, ...] = (
    Rollup("rollup_item_month", "month", ("branch", "salesperson", "product_line", "item_group", "item_name")),
    Rollup("rollup_customer_month", "month", ("branch", "salesperson", "product_line", "customer")),
    Rollup("rollup_customer_item", None,
           ("branch", "salesperson", "product_line", "item_group", "item_name", "customer")),
    # Distinct customers per item over whole months (the Products page's item table): without
    # salesperson it is a quarter of the lines (10M demo: 2.4M rows), and the typical year of two
    # branches counts them in 27-29 ms against 63-71 ms over the lines.
    Rollup("rollup_customer_item_month", "month", ("branch", "product_line", "item_group", "item_name", "customer")),
    Rollup("rollup_customer_day", "day", ("branch", "salesperson", "customer")),
    Rollup("rollup_account_month", "month", ("branch", "salesperson", "customer"), source="rollup_customer_day"),
    # Distinct customers are the costly part of a view's queries (a hash of every customer row), so
    # these keep them without salesperson: for the summary, trend, branch and customer breakdowns
    # (10M demo: 0.40M rows against 0.63M), and per product line (1.25M against 1.79M).
    Rollup("rollup_branch_customer_month", "month", ("branch", "customer"), source="rollup_customer_day"),
    Rollup("rollup_line_customer_month", "month", ("branch", "product_line", "customer"),
           source="rollup_customer_month"),
    Rollup("rollup_customer", None, ("branch", "salesperson", "product_line", "customer"),
           source="rollup_customer_month"),
    Rollup("rollup_line_month", "month", ("branch", "salesperson", "product_line"), source="rollup_item_month"),
)
if any(r.source not in {None, *(b.table for b in ROLLUPS if b.source is None)} for r in ROLLUPS):
    raise ValueError("a rollup is built from the lines or from one that is (rollup_build keeps one level)")
ROLLUP_TABLES: frozenset[str] = frozenset(r.table for r in ROLLUPS) | {META_TABLE, IRREGULAR_TABLE}


# -- metric forms --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Form:
    """How a metric is kept in, and read back from, a rollup."""

    kind: str  # sum | min | max | distinct | transactions | active_days
    columns: frozenset[str] = frozenset()  # stored columns a distinct count reads (must be in the grain)

    @property
    def partial(self) -> bool:
        """Kept as a per-row partial ``p_<metric>`` (decomposable)."""
        return self.kind in ("sum", "min", "max")


def _closing(text: str, opening: int) -> int:
    """Index of the parenthesis closing the one at ``opening`` (-1 when unbalanced)."""
    depth = 0
    quoted = False
    for index in range(opening, len(text)):
        char = text[index]
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
            if depth == 0:
                return index
    return -1


def _wraps(sql: str, head: str, tail: str = ")") -> str | None:
    """The inner text when ``sql`` is exactly ``head`` + inner + ``tail`` and the parenthesis that
    ends ``head`` closes where ``tail`` starts (so ``MIN(a) + MAX(b)`` is not taken for ``MIN(...)``)."""
    if not (head.endswith("(") and sql.startswith(head) and sql.endswith(tail)):
        return None
    close = _closing(sql, len(head) - 1)
    return sql[len(head):close] if close == len(sql) - len(tail) else None


_COLUMN = re.compile(r"\b(" + "|".join(sorted(STORAGE_COLUMNS, key=len, reverse=True)) + r")\b")


def metric_form(metric: Metric) -> Form | None:
    """The rollup form of an additive metric, read off its declared SQL (None: not rollup-able)."""
    sql = metric.sql
    if sql is None:
        return None
    if sql == TRANSACTIONS_SQL:
        return Form("transactions")
    if sql == ACTIVE_DAYS_SQL:
        return Form("active_days")
    if sql == "COUNT(*)":
        return Form("sum")
    inner = _wraps(sql, "COALESCE(SUM(", "), 0)")
    if inner is not None and "{time}" not in inner:
        return Form("sum")
    for kind in ("MIN", "MAX"):
        inner = _wraps(sql, f"{kind}(")
        if inner is not None:
            return Form(kind.lower())
    inner = _wraps(sql, "COUNT(")
    if inner is not None and inner.startswith("DISTINCT ") and "{time}" not in inner:
        return Form("distinct", frozenset(_COLUMN.findall(inner)))
    return None


def signature(metric: Metric) -> str:
    """What a stored partial was computed from: a declaration change makes it unusable."""
    payload = json.dumps([metric.sql, [str(p) for p in metric.params]])
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def partial_metrics(metrics: dict[str, Metric] = SALES_METRICS) -> dict[str, Metric]:
    """The metrics stored as per-row partials, in declaration order."""
    return {name: m for name, m in metrics.items() if (form := metric_form(m)) is not None and form.partial}


def metric_sql(metric: Metric) -> tuple[str, list[object]]:
    """The metric's aggregate over stored columns, with its bound values (dates are ``sale_date``)."""
    text = metric.sql.format(time=TIME, params=", ".join("?" for _ in metric.params))  # type: ignore[union-attr]
    return text, list(metric.params)


# -- the catalog (what the snapshot holds) -------------------------------------------------------
@dataclass(frozen=True)
class Catalog:
    """Read from ``rollup_meta`` when a snapshot is opened; everything the planner needs."""

    format: int
    unit: int
    first_sale: Any  # dt.date | None
    last_sale: Any
    lines: int
    irregular_lines: int
    rows: dict[str, int]  # rollup table -> rows
    signatures: dict[str, str]  # metric -> signature of its stored partial

    def usable(self, metric: Metric) -> bool:
        """Is the stored partial of ``metric`` computed from its current declaration?"""
        return self.signatures.get(metric.name) == signature(metric)

    def to_json(self) -> str:
        raw = dict(self.__dict__)
        raw["first_sale"] = self.first_sale.isoformat() if self.first_sale else None
        raw["last_sale"] = self.last_sale.isoformat() if self.last_sale else None
        return json.dumps(raw, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Catalog:
        import datetime as dt

        raw = json.loads(text)
        for key in ("first_sale", "last_sale"):
            raw[key] = dt.date.fromisoformat(raw[key]) if raw.get(key) else None
        return cls(**{k: raw[k] for k in cls.__dataclass_fields__})


def current_signatures() -> dict[str, str]:
    return {name: signature(m) for name, m in partial_metrics().items()}


def read_catalog(con: duckdb.DuckDBPyConnection) -> Catalog | None:
    """The snapshot's catalog, or None when it has no rollups (or ones in another format)."""
    present = con.execute("SELECT COUNT(*) FROM duckdb_tables() WHERE table_name = ? AND database_name = "
                          "current_database()", [META_TABLE]).fetchall()[0][0]
    if not present:
        return None
    row = con.execute(f"SELECT value FROM {META_TABLE} WHERE key = 'catalog'").fetchall()
    if not row:
        return None
    catalog = Catalog.from_json(row[0][0])
    if catalog.format != FORMAT or set(catalog.rows) != {r.table for r in ROLLUPS}:
        return None
    return catalog


def write_catalog(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> None:
    con.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key VARCHAR PRIMARY KEY, value VARCHAR)")
    # DELETE + INSERT, not INSERT OR REPLACE: a copied snapshot's table (CREATE TABLE AS, when another
    # dataset is replaced) has no primary key to resolve a conflict on.
    con.execute(f"DELETE FROM {META_TABLE} WHERE key = 'catalog'")
    con.execute(f"INSERT INTO {META_TABLE} VALUES ('catalog', ?)", [catalog.to_json()])
