"""Branch comparison: each branch's figures now and over the previous period of equal length.

Growth is what a regional manager asks first ("which branch is slipping?"), so both periods come
from the same ``breakdown`` query and the changes use ``data.metrics.change_pct`` (percent for
money and counts, percentage points for the margin), like the Overview KPIs.
"""

from __future__ import annotations

import polars as pl

from data.filters import Filters
from data.metrics import change_pct
from data.queries import breakdown, previous_period

# Columns carried over from the previous period, renamed ``prev_<name>``.
COMPARED: tuple[str, ...] = ("revenue", "gross_profit", "margin_pct", "transactions", "avg_transaction_value")


def _growth(current: str, previous: str) -> pl.Expr:
    """Percent change per row, through the one ``change_pct`` definition (None without a base)."""
    return pl.struct(current, previous).map_elements(
        lambda row: change_pct(row[current], row[previous]), return_dtype=pl.Float64
    )


def branch_comparison(filters: Filters) -> pl.DataFrame:
    """Every branch in the view ranked by GP, with previous-period values and growth.

    A branch with no sales in the previous period keeps null growth (not +100% or infinity)."""
    now = breakdown(filters, "branch")
    if now.is_empty():
        return now
    before_filters = previous_period(filters)
    before = breakdown(before_filters, "branch") if before_filters else pl.DataFrame()
    prev_cols = [pl.col(c).alias(f"prev_{c}") for c in COMPARED]
    if before.is_empty():
        before = pl.DataFrame(schema={"branch": pl.String, **{f"prev_{c}": pl.Float64 for c in COMPARED}})
    else:
        before = before.select("branch", *prev_cols)
    joined = now.join(before, on="branch", how="left")
    return joined.with_columns(
        _growth("revenue", "prev_revenue").alias("revenue_growth_pct"),
        _growth("gross_profit", "prev_gross_profit").alias("gp_growth_pct"),
        _growth("transactions", "prev_transactions").alias("transactions_growth_pct"),
        (pl.col("margin_pct") - pl.col("prev_margin_pct")).alias("margin_change_pp"),
    ).sort("gp_rank")
