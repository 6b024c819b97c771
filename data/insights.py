"""Sentences computed from the data for the Overview "Insights" panel.

Each insight is a pure function of frames the data layer already returns, so it is tested on a
real store and never hard-coded. An insight that the data cannot support is left out:

- a sample-size floor: a customer share needs ``MIN_ACCOUNTS`` account customers; a product line,
  salesperson or branch is named only with ``MIN_TRANSACTIONS`` transactions in the period (and a
  product line only with ``MIN_REVENUE_SHARE_PCT`` of revenue), so a one-line KSh 100 product line
  is never "the best-margin line";
- a share of a total that losses reduce says so (a top 20% can earn more than 100% of the total
  when the other customers lose money);
- margins beyond ±1000% read "n/a" and are not compared (``components.format.margin``).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from components.format import MARGIN_LIMIT, ksh, margin, pct
from data.filters import Filters
from data.queries import breakdown, previous_period
from data.schema import NON_ACCOUNT_CUSTOMERS

__all__ = ["NON_ACCOUNT_CUSTOMERS", "Insight", "account_customers", "insights"]

MIN_ACCOUNTS = 10
MIN_TRANSACTIONS = 20
MIN_REVENUE_SHARE_PCT = 2.0
TOO_LITTLE_DATA = "Too little data for an insight"
TOO_LITTLE_HINT = (f"Insights need at least {MIN_ACCOUNTS} account customers, or product lines, salespeople "
                   f"and branches with {MIN_TRANSACTIONS}+ transactions each: widen the date range or a filter.")


@dataclass(frozen=True)
class Insight:
    key: str
    text: str


def account_customers(frame: pl.DataFrame) -> pl.DataFrame:
    """Customer rows that are real accounts (not walk-in/cash/unassigned pseudo-customers)."""
    return frame.filter(~pl.col("customer").is_in(list(NON_ACCOUNT_CUSTOMERS)))


def _sampled(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows with enough transactions to be named in a sentence."""
    return frame.filter(pl.col("transactions") >= MIN_TRANSACTIONS)


def _sane(column: str = "margin_pct") -> pl.Expr:
    return pl.col(column).is_not_null() & (pl.col(column).abs() <= MARGIN_LIMIT)


def _losses(frame: pl.DataFrame) -> tuple[float, int]:
    """Total GP of the loss-making rows (negative) and how many there are."""
    losing = frame.filter(pl.col("gross_profit") < 0)
    return float(losing["gross_profit"].sum() or 0.0), losing.height


def top_customer_share(customers: pl.DataFrame, top_fraction: float = 0.2) -> tuple[float, int] | None:
    """Share of gross profit (percent) earned from the top ``top_fraction`` of account customers
    (None below ``MIN_ACCOUNTS`` accounts or when their GP does not add up to a profit)."""
    accounts = account_customers(customers).sort("gross_profit", descending=True)
    total = accounts["gross_profit"].sum() if accounts.height else 0
    if accounts.height < MIN_ACCOUNTS or not total or total <= 0:
        return None
    top_n = max(1, round(accounts.height * top_fraction))
    return float(accounts["gross_profit"].head(top_n).sum() / total * 100.0), top_n


def customer_concentration(filters: Filters) -> Insight | None:
    customers = breakdown(filters, "customer")
    result = top_customer_share(customers)
    if result is None:
        return None
    share, top_n = result
    text = f"The top 20% of account customers ({top_n:,}) earned {pct(share)} of account gross profit"
    lost, losing = _losses(account_customers(customers))
    if losing:
        # The total is net of losses, so the share can pass 100%: say what it is a share of.
        text += (f", a total net of {ksh(-lost)} lost on {losing:,} loss-making "
                 f"customer{'s' if losing > 1 else ''}")
    return Insight("pareto", text + ".")


def margin_mover(filters: Filters) -> Insight | None:
    previous = previous_period(filters)
    if previous is None:
        return None
    now = _sampled(breakdown(filters, "branch")).filter(_sane()).select("branch", "margin_pct")
    before = (_sampled(breakdown(previous, "branch")).filter(_sane())
              .select("branch", pl.col("margin_pct").alias("before")))
    joined = now.join(before, on="branch", how="inner").drop_nulls()
    if joined.is_empty():
        return None
    joined = joined.with_columns((pl.col("margin_pct") - pl.col("before")).alias("delta"))
    row = joined.sort(pl.col("delta").abs(), descending=True).row(0, named=True)
    direction = "rose" if row["delta"] > 0 else "fell"
    return Insight(
        "margin_mover",
        f"{row['branch']}'s GP margin {direction} the most vs the previous period: "
        f"{margin(row['before'])} → {margin(row['margin_pct'])} ({row['delta']:+.1f} pp).",
    )


def rank_gap(filters: Filters) -> Insight | None:
    people = breakdown(filters, "salesperson")
    if people.height < 3:
        return None
    people = _sampled(people.with_columns((pl.col("revenue_rank") - pl.col("gp_rank")).alias("gap")))
    if people.is_empty():
        return None
    row = people.sort(pl.col("gap").abs(), descending=True).row(0, named=True)
    if row["gap"] == 0:
        return None
    verb = "outperforms" if row["gap"] > 0 else "trails"
    return Insight(
        "rank_gap",
        f"{row['salesperson']} is #{row['gp_rank']} by gross profit but #{row['revenue_rank']} by revenue: "
        f"their {margin(row['margin_pct'])} margin {verb} their sales volume.",
    )


def margin_spread(filters: Filters) -> Insight | None:
    """The thinnest-margin product line against the best one, among lines big enough to matter."""
    every = breakdown(filters, "product_line")
    if every.is_empty():
        return None
    lines = _sampled(every).filter(_sane() & (pl.col("revenue_share_pct") >= MIN_REVENUE_SHARE_PCT))
    if lines.height < 2:
        return None
    best = lines.sort(["margin_pct", "product_line"], descending=[True, False]).row(0, named=True)
    worst = lines.sort(["margin_pct", "product_line"]).row(0, named=True)
    if best["product_line"] == worst["product_line"]:
        return None
    text = (f"{worst['product_line']} brings {pct(worst['revenue_share_pct'])} of revenue but only "
            f"{pct(worst['gross_profit_share_pct'])} of gross profit ({margin(worst['margin_pct'])} margin); "
            f"{best['product_line']} earns {margin(best['margin_pct'])}.")
    lost, losing = _losses(every)
    if losing:
        text += (f" GP shares are of a total net of {ksh(-lost)} lost on {losing:,} product "
                 f"line{'s' if losing > 1 else ''}.")
    return Insight("margin_spread", text)


def insights(filters: Filters) -> list[Insight]:
    """Every insight the current view supports, most useful first."""
    found = [fn(filters) for fn in (customer_concentration, rank_gap, margin_spread, margin_mover)]
    return [item for item in found if item is not None]
