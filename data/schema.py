"""The stored sales table: column names and the whitelist of groupable dimensions.

Storage keeps money as integer cents (``revenue_cents``, ``cost_cents``) so sums are exact to the
cent on every engine (Druid has no DECIMAL type; LONG sums are exact).
"""

from __future__ import annotations

SALES_TABLE = "sales"

# Canonical (ingest-facing) columns, in storage order.
DIMENSIONS: tuple[str, ...] = (
    "branch",
    "product_line",
    "item_group",
    "item_name",
    "salesperson",
    "customer",
)
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
    "revenue_cents": "BIGINT",
    "cost_cents": "BIGINT",
    "batch_id": "INTEGER",
}


def check_dimension(name: str) -> str:
    """Return ``name`` if it is a groupable dimension, else raise: the only way a column name
    reaches SQL text."""
    from data.errors import InvalidFilter

    if name not in DIMENSIONS:
        raise InvalidFilter(f"unknown dimension {name!r}", {"dimension": f"must be one of {DIMENSIONS}"})
    return name
