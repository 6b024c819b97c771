"""Business metrics, defined once.

Additive aggregates are computed in SQL (engine-neutral expressions over the stored columns);
ratios and money conversions are Polars expressions applied *after* aggregation, so a margin is
always a ratio of sums and never an average of ratios. Pages, the REST API and tests all use
``derive`` and ``METRICS`` from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from data.schema import NON_ACCOUNT_CUSTOMERS

# A line is a return when its quantity or value is negative.
IS_RETURN = "(quantity < 0 OR revenue_cents < 0)"

# name -> SQL aggregate over one group of stored lines.
# Sums are COALESCEd so a view without sales reads 0, not null.
AGGREGATES: dict[str, str] = {
    "revenue_cents": "COALESCE(SUM(revenue_cents), 0)",
    "cost_cents": "COALESCE(SUM(cost_cents), 0)",
    "gross_profit_cents": "COALESCE(SUM(revenue_cents - cost_cents), 0)",
    "units": "COALESCE(SUM(quantity), 0)",
    "lines": "COUNT(*)",
    "gross_sales_cents": f"COALESCE(SUM(CASE WHEN {IS_RETURN} THEN 0 ELSE revenue_cents END), 0)",
    "returns_cents": f"COALESCE(SUM(CASE WHEN {IS_RETURN} THEN -revenue_cents ELSE 0 END), 0)",
    # Distinct invoices per branch (numbering often restarts per branch), plus one per line that
    # carries no invoice id.
    "transactions": "COUNT(DISTINCT branch || '|' || invoice_id) "
                    "+ COALESCE(SUM(CASE WHEN invoice_id IS NULL THEN 1 ELSE 0 END), 0)",
    # Account customers only: walk-in, cash and unassigned sales are not customers.
    "customers": "COUNT(DISTINCT CASE WHEN customer NOT IN ({non_accounts}) THEN customer END)",
}

# Values an aggregate compares with: bound as parameters, in this order, never written into SQL.
AGGREGATE_PARAMS: dict[str, tuple[str, ...]] = {"customers": tuple(sorted(NON_ACCOUNT_CUSTOMERS))}

CORE_AGGREGATES: tuple[str, ...] = (
    "revenue_cents",
    "cost_cents",
    "gross_profit_cents",
    "units",
    "lines",
    "gross_sales_cents",
    "returns_cents",
    "transactions",
    "customers",
)


@dataclass(frozen=True)
class Metric:
    """A metric users see: its label, how to format it, and what it means."""

    name: str
    label: str
    kind: str  # "money" | "pct" | "count" | "number"
    description: str
    higher_is_better: bool = True


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("revenue", "Revenue", "money", "Net sales value after returns (KSh)."),
        Metric("cost", "Cost", "money", "Cost of the goods sold, net of returns (KSh).", False),
        Metric("gross_profit", "Gross profit", "money", "Revenue minus cost (KSh)."),
        Metric("margin_pct", "GP margin", "pct", "Gross profit as a share of revenue (ratio of sums)."),
        Metric("units", "Units", "number", "Quantity sold, net of returns."),
        Metric("transactions", "Transactions", "count",
               "Distinct invoices per branch (lines without an invoice id count once each)."),
        Metric("avg_transaction_value", "Avg transaction value", "money", "Revenue per transaction (KSh)."),
        Metric("avg_gp_per_sale", "Avg GP per sale", "money", "Gross profit per transaction (KSh)."),
        Metric("customers", "Active customers", "count",
               "Distinct account customers with at least one line (walk-in, cash and unassigned sales excluded)."),
        Metric("returns_value", "Returns", "money", "Value of returned goods (KSh).", False),
        Metric("return_rate_pct", "Return rate", "pct", "Returns as a share of gross sales before returns.", False),
        Metric("lines", "Sales lines", "count", "Invoice lines."),
    )
}


def _cents(name: str) -> pl.Expr:
    return (pl.col(name).cast(pl.Float64) / 100.0).round(2)


def _safe_ratio(numerator: pl.Expr, denominator: pl.Expr, scale: float = 1.0) -> pl.Expr:
    return pl.when(denominator != 0).then(numerator.cast(pl.Float64) / denominator.cast(pl.Float64) * scale)


def derive(frame: pl.DataFrame, keep_cents: bool = False) -> pl.DataFrame:
    """Turn aggregated cents into KSh figures and add every ratio the present columns allow.

    Works on any frame of ``AGGREGATES`` columns (one row or one per group). Ratios with a zero
    denominator are null, never infinity."""
    cols = set(frame.columns)
    exprs: list[pl.Expr] = []
    if "revenue_cents" in cols:
        exprs.append(_cents("revenue_cents").alias("revenue"))
    if "cost_cents" in cols:
        exprs.append(_cents("cost_cents").alias("cost"))
    if "gross_profit_cents" in cols:
        gp = pl.col("gross_profit_cents")
        exprs.append(_cents("gross_profit_cents").alias("gross_profit"))
    elif {"revenue_cents", "cost_cents"} <= cols:
        gp = pl.col("revenue_cents") - pl.col("cost_cents")
        exprs.append((gp.cast(pl.Float64) / 100.0).round(2).alias("gross_profit"))
    else:
        gp = None
    if gp is not None and "revenue_cents" in cols:
        # No margin where returns outweigh sales: -20 GP on -100 revenue is not a 20% margin.
        margin = _safe_ratio(gp, pl.col("revenue_cents"), 100.0)
        exprs.append(pl.when(pl.col("revenue_cents") > 0).then(margin).alias("margin_pct"))
    if "returns_cents" in cols:
        exprs.append(_cents("returns_cents").alias("returns_value"))
        if "gross_sales_cents" in cols:
            exprs.append(
                _safe_ratio(pl.col("returns_cents"), pl.col("gross_sales_cents"), 100.0).alias("return_rate_pct")
            )
    if "transactions" in cols:
        if "revenue_cents" in cols:
            exprs.append(
                (_safe_ratio(pl.col("revenue_cents"), pl.col("transactions")) / 100.0).alias("avg_transaction_value")
            )
        if gp is not None:
            exprs.append((_safe_ratio(gp, pl.col("transactions")) / 100.0).alias("avg_gp_per_sale"))
    out = frame.with_columns(exprs)
    for name in ("units",):
        if name in cols:
            out = out.with_columns(pl.col(name).cast(pl.Float64))
    for name in ("lines", "transactions", "customers"):
        if name in cols:
            out = out.with_columns(pl.col(name).cast(pl.Int64))
    if not keep_cents:
        out = out.drop([c for c in out.columns if c.endswith("_cents")])
    return out


def add_shares(frame: pl.DataFrame, columns: tuple[str, ...] = ("revenue", "gross_profit")) -> pl.DataFrame:
    """Add ``<col>_share_pct``: each row's share of the column total (for mix and alignment charts)."""
    exprs = []
    for name in columns:
        if name in frame.columns:
            total = pl.col(name).sum()
            exprs.append(pl.when(total != 0).then(pl.col(name) / total * 100.0).alias(f"{name}_share_pct"))
    return frame.with_columns(exprs) if exprs else frame


def change_pct(current: float | None, previous: float | None) -> float | None:
    """Relative change in percent; None when there is no meaningful base."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / abs(previous) * 100.0
