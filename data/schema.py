"""The stored sales table: its columns, the money unit and the pseudo-customers.

Money is stored as integers in ten-thousandths of a shilling (``revenue_e4``, ``cost_e4``):
source files carry amounts with up to four decimals (computed discounts, unit price x quantity),
and integers sum exactly on every engine (Druid has no DECIMAL type; LONG sums are exact). Only
the final figure is rounded, to the cent, for people (``data.metrics.derive``).
"""

from __future__ import annotations

SALES_TABLE = "sales"
MONEY_SCALE = 10_000  # stored money unit: 1/10,000 KSh
# Storage format of a snapshot, recorded in the manifest. 1: money in cents (before exact money);
# 2: money in MONEY_SCALE units. Older snapshots are upgraded on open (see data.store).
STORAGE_FORMAT = 2

UNASSIGNED = "Unassigned"
# Pseudo-customers that are not accounts: never ranked as customers nor counted as active ones.
NON_ACCOUNT_CUSTOMERS = frozenset({UNASSIGNED, "Walk-in Customer", "Walk-in", "Cash Customer", "Cash Sale"})

# Storage schema: column -> DuckDB type.
STORAGE_COLUMNS: dict[str, str] = {
    "sale_date": "DATE",
    "invoice_id": "VARCHAR",
    "branch": "VARCHAR",
    "product_line": "VARCHAR",
    "item_group": "VARCHAR",
    "item_name": "VARCHAR",
    "salesperson": "VARCHAR",
    "customer": "VARCHAR",
    "quantity": "DOUBLE",
    "revenue_e4": "BIGINT",
    "cost_e4": "BIGINT",
    "batch_id": "INTEGER",
}
MONEY_COLUMNS: tuple[str, ...] = ("revenue_e4", "cost_e4")

# CRM opportunities (Phase 2): one row per deal, won, lost or still open.
OPPORTUNITIES_TABLE = "opportunities"
OUTCOMES: tuple[str, ...] = ("won", "lost", "open")
OPPORTUNITY_COLUMNS: dict[str, str] = {
    "opportunity_id": "VARCHAR",
    "salesperson": "VARCHAR",
    "manager": "VARCHAR",
    "branch": "VARCHAR",  # the regional office, for CRMs organised by region
    "product": "VARCHAR",
    "product_line": "VARCHAR",
    "customer": "VARCHAR",  # the account; Unassigned when the CRM has none
    "sector": "VARCHAR",
    "lead_source": "VARCHAR",
    "stage": "VARCHAR",  # the CRM's own stage name (Prospecting, Engaging, Won, Lost...)
    "outcome": "VARCHAR",  # won | lost | open
    "engage_date": "DATE",  # when work on the deal began (null: not engaged yet)
    "close_date": "DATE",  # when it was won or lost (null: open)
    # The date a view's date range applies to: the close date of a closed deal, the engage date of
    # an open one (null for an open deal never engaged: it counts only in views with no date range).
    "activity_date": "DATE",
    "cycle_days": "INTEGER",  # close_date - engage_date, closed deals only
    "value_e4": "BIGINT",  # deal value in MONEY_SCALE units (null when unknown)
    "batch_id": "INTEGER",
}

# Every table a snapshot holds, with its columns: each write creates the missing ones, empty.
TABLES: dict[str, dict[str, str]] = {SALES_TABLE: STORAGE_COLUMNS, OPPORTUNITIES_TABLE: OPPORTUNITY_COLUMNS}
