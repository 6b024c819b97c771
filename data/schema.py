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
