"""The canonical sales line, defined once as a Pandera model on Polars.

Files are parsed into this shape (dates parsed, money as KSh floats) before validation; storage
conversion to integer cents happens only after the whole file is valid.
"""

from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl

CANONICAL_COLUMNS: tuple[str, ...] = (
    "sale_date",
    "invoice_id",
    "branch",
    "product_line",
    "item_group",
    "item_name",
    "salesperson",
    "customer",
    "quantity",
    "revenue",
    "cost",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("sale_date", "branch", "product_line", "quantity", "revenue")
MONEY_LIMIT = 1e12  # KSh per line; anything larger is a parsing accident, not a sale


def today() -> dt.date:
    """Today's date (one place, so tests and the future-date check agree)."""
    return dt.date.today()


class SalesLine(pa.DataFrameModel):
    """One invoice line. Returns carry negative quantity, revenue and cost."""

    sale_date: dt.date = pa.Field(nullable=False)
    invoice_id: str = pa.Field(nullable=True)
    branch: str = pa.Field(nullable=False, str_length={"min_value": 1, "max_value": 200})
    product_line: str = pa.Field(nullable=False, str_length={"min_value": 1, "max_value": 200})
    item_group: str = pa.Field(nullable=False, str_length={"min_value": 1, "max_value": 200})
    item_name: str = pa.Field(nullable=False, str_length={"min_value": 1, "max_value": 300})
    salesperson: str = pa.Field(nullable=False, str_length={"min_value": 1, "max_value": 200})
    customer: str = pa.Field(nullable=False, str_length={"min_value": 1, "max_value": 300})
    quantity: float = pa.Field(nullable=False, in_range={"min_value": -1e9, "max_value": 1e9})
    revenue: float = pa.Field(nullable=False, in_range={"min_value": -MONEY_LIMIT, "max_value": MONEY_LIMIT})
    cost: float = pa.Field(nullable=False, in_range={"min_value": -MONEY_LIMIT, "max_value": MONEY_LIMIT})

    class Config:
        strict = True
        coerce = False

    @pa.check("sale_date", name="not_in_future")
    def not_in_future(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col(data.key) <= pl.lit(today()))

    @pa.check("sale_date", name="not_before_1990")
    def plausible_year(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col(data.key) >= pl.date(1990, 1, 1))


CANONICAL_SCHEMA: dict[str, pl.DataType] = {
    "sale_date": pl.Date(),
    "invoice_id": pl.String(),
    "branch": pl.String(),
    "product_line": pl.String(),
    "item_group": pl.String(),
    "item_name": pl.String(),
    "salesperson": pl.String(),
    "customer": pl.String(),
    "quantity": pl.Float64(),
    "revenue": pl.Float64(),
    "cost": pl.Float64(),
}
