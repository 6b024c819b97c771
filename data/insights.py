"""Sentences computed from the data for the Overview "Insights" panel.

Each insight is a pure function of frames the data layer already returns, so it is tested on a
real store and never hard-coded. An insight that the data cannot support is left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from data.filters import Filters
from data.queries import breakdown, previous_period
from data.schema import NON_ACCOUNT_CUSTOMERS

__all__ = ["NON_ACCOUNT_CUSTOMERS", "Insight", "account_customers", "insights"]



@dataclass(frozen=True)
class Insight:
    key: str
    text: str


def account_customers(frame: pl.DataFrame) -> pl.DataFrame:
    """Customer rows that are real accounts (not walk-in/cash/unassigned pseudo-customers)."""
    return frame.filter(~pl.col("customer").is_in(list(NON_ACCOUNT_CUSTOMERS)))


def top_customer_share(customers: pl.DataFrame, top_fraction: float = 0.2) -> tuple[float, int] | None:
    """Share of gross profit (percent) earned from the top ``top_fraction`` of account customers."""
    accounts = account_customers(customers).sort("gross_profit", descending=True)
    total = accounts["gross_profit"].sum() if accounts.height else 0
    if accounts.height < 5 or not total or total <= 0:
        return None
    top_n = max(1, round(accounts.height * top_fraction))
    return float(accounts["gross_profit"].head(top_n).sum() / total * 100.0), top_n


def customer_concentration(filters: Filters) -> Insight | None:
    result = top_customer_share(breakdown(filters, "customer"))
    if result is None:
        return None
    share, top_n = result
    return Insight("pareto", f"The top 20% of account customers ({top_n:,}) earned {share:.1f}% of gross profit.")


def margin_mover(filters: Filters) -> Insight | None:
    previous = previous_period(filters)
    if previous is None:
        return None
    now = breakdown(filters, "branch").select("branch", "margin_pct")
    before = breakdown(previous, "branch").select("branch", pl.col("margin_pct").alias("before"))
    joined = now.join(before, on="branch", how="inner").drop_nulls()
    if joined.is_empty():
        return None
    joined = joined.with_columns((pl.col("margin_pct") - pl.col("before")).alias("delta"))
    row = joined.sort(pl.col("delta").abs(), descending=True).row(0, named=True)
    direction = "rose" if row["delta"] > 0 else "fell"
    return Insight(
        "margin_mover",
        f"{row['branch']}'s GP margin {direction} the most vs the previous period: "
        f"{row['before']:.1f}% → {row['margin_pct']:.1f}% ({row['delta']:+.1f} pp).",
    )


def rank_gap(filters: Filters) -> Insight | None:
    people = breakdown(filters, "salesperson")
    if people.height < 3:
        return None
    people = people.with_columns((pl.col("revenue_rank") - pl.col("gp_rank")).alias("gap"))
    row = people.sort(pl.col("gap").abs(), descending=True).row(0, named=True)
    if row["gap"] == 0:
        return None
    verb = "outperforms" if row["gap"] > 0 else "trails"
    return Insight(
        "rank_gap",
        f"{row['salesperson']} is #{row['gp_rank']} by gross profit but #{row['revenue_rank']} by revenue: "
        f"their {row['margin_pct']:.1f}% margin {verb} their sales volume.",
    )


def margin_spread(filters: Filters) -> Insight | None:
    lines = breakdown(filters, "product_line").drop_nulls("margin_pct")
    if lines.height < 2:
        return None
    best = lines.sort("margin_pct", descending=True).row(0, named=True)
    worst = lines.sort("margin_pct").row(0, named=True)
    return Insight(
        "margin_spread",
        f"{worst['product_line']} brings {worst['revenue_share_pct']:.1f}% of revenue but only "
        f"{worst['gross_profit_share_pct']:.1f}% of gross profit ({worst['margin_pct']:.1f}% margin); "
        f"{best['product_line']} earns {best['margin_pct']:.1f}%.",
    )


def insights(filters: Filters) -> list[Insight]:
    """Every insight the current view supports, most useful first."""
    found = [fn(filters) for fn in (customer_concentration, rank_gap, margin_spread, margin_mover)]
    return [item for item in found if item is not None]
