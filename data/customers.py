"""Customer value: ranking, concentration (Pareto), value tiers and the ideal-customer profile.

Walk-in, cash and unassigned sales are not customers anyone can call on, so every ranking here
starts from ``account_customers``; ``non_account_summary`` says how much of the view they carry.
Group figures (a tier's margin, average order value) are recomputed from exactly summed money through
``data.metrics.derive`` so a margin is always a ratio of sums, defined in one place.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from data.filters import Filters
from data.insights import NON_ACCOUNT_CUSTOMERS, account_customers
from data.metrics import add_shares, derive
from data.queries import customer_profiles, matrix, resolve_period

# (tier, label, cumulative share of customers where the tier ends): top 20% / next 30% / rest.
TIERS: tuple[tuple[str, str, float], ...] = (
    ("A", "Top 20%", 0.2),
    ("B", "Next 30%", 0.5),
    ("C", "Remaining 50%", 1.0),
)
TOP_TIER = "A"
PARETO_THRESHOLD = 80.0


def account_profiles(filters: Filters, keep_raw: bool = False) -> pl.DataFrame:
    """One row per account customer (GP order) with GP rank and shares of account revenue/GP.
    ``keep_raw`` keeps fixed-point money (``*_raw``) for exact group totals."""
    frame = customer_profiles(filters, keep_raw=keep_raw)
    if frame.is_empty():
        return frame
    frame = account_customers(frame).sort(["gross_profit", "customer"], descending=[True, False])
    frame = frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("gp_rank"))
    return add_shares(frame, ("revenue", "gross_profit"))


def customer_table(filters: Filters, search: str | None = None) -> pl.DataFrame:
    """Account customers with rank and tier; ``search`` keeps names containing the text
    (case-insensitive and literal, so "a+b" finds "A+B Ltd"). Ranks and tiers are computed on
    every customer first, so a search never renumbers them."""
    profiles = account_profiles(filters)
    if profiles.is_empty():
        return profiles
    table = assign_tiers(profiles)
    text = (search or "").strip().lower()
    if text:
        table = table.filter(pl.col("customer").str.to_lowercase().str.contains(text, literal=True))
    return table.sort("gp_rank")


def non_account_summary(filters: Filters) -> dict[str, float] | None:
    """Revenue and GP (and their shares of the view) from walk-in/cash/unassigned sales."""
    frame = customer_profiles(filters)
    if frame.is_empty():
        return None
    walk_in = frame.filter(pl.col("customer").is_in(list(NON_ACCOUNT_CUSTOMERS)))
    total_rev, total_gp = frame["revenue"].sum(), frame["gross_profit"].sum()
    rev = float(walk_in["revenue"].sum()) if walk_in.height else 0.0
    gp = float(walk_in["gross_profit"].sum()) if walk_in.height else 0.0
    return {
        "revenue": float(rev),
        "gross_profit": float(gp),
        "revenue_share_pct": float(rev / total_rev * 100.0) if total_rev else 0.0,
        "gross_profit_share_pct": float(gp / total_gp * 100.0) if total_gp else 0.0,
    }


def pareto_curve(profiles: pl.DataFrame) -> pl.DataFrame:
    """Cumulative GP share against customer share, biggest GP first, starting at (0, 0).

    Loss-making customers at the tail pull the curve down to exactly 100% at the end, which is
    the point: they give back profit the others earned."""
    ranked = profiles.sort(["gross_profit", "customer"], descending=[True, False])
    n, total = ranked.height, ranked["gross_profit"].sum() if ranked.height else 0.0
    if n == 0 or not total:
        return pl.DataFrame(schema={"rank": pl.Int64, "customer": pl.String, "gross_profit": pl.Float64,
                                    "customer_share_pct": pl.Float64, "cum_gp_share_pct": pl.Float64})
    curve = ranked.select(
        pl.int_range(1, n + 1, dtype=pl.Int64).alias("rank"),
        "customer",
        "gross_profit",
        (pl.int_range(1, n + 1, dtype=pl.Int64) / n * 100.0).alias("customer_share_pct"),
        (pl.col("gross_profit").cum_sum() / total * 100.0).alias("cum_gp_share_pct"),
    )
    start = pl.DataFrame({"rank": [0], "customer": [None], "gross_profit": [0.0], "customer_share_pct": [0.0],
                          "cum_gp_share_pct": [0.0]}, schema=curve.schema)
    return pl.concat([start, curve])


def pareto_point(curve: pl.DataFrame, threshold: float = PARETO_THRESHOLD) -> dict[str, float] | None:
    """The fewest top customers whose GP reaches ``threshold`` percent of the total."""
    reached = curve.filter((pl.col("rank") > 0) & (pl.col("cum_gp_share_pct") >= threshold - 1e-9))
    if reached.is_empty():
        return None
    row = reached.row(0, named=True)
    return {"customers": int(row["rank"]), "customer_share_pct": float(row["customer_share_pct"]),
            "cum_gp_share_pct": float(row["cum_gp_share_pct"]), "total_customers": int(curve["rank"].max())}


def assign_tiers(profiles: pl.DataFrame) -> pl.DataFrame:
    """Add ``tier`` (A/B/C) and ``tier_label`` by GP rank: top 20% / next 30% / remaining 50% of
    customers. Every customer gets exactly one tier; the top tier has at least one customer."""
    ranked = profiles.sort(["gross_profit", "customer"], descending=[True, False])
    n = ranked.height
    bounds = [max(1, round(n * cut)) if cut < 1 else n for _, _, cut in TIERS]
    position = pl.int_range(1, n + 1, dtype=pl.Int64)
    tier = pl.when(position <= bounds[0]).then(pl.lit(TIERS[0][0]))
    label = pl.when(position <= bounds[0]).then(pl.lit(TIERS[0][1]))
    for (key, text, _), bound in zip(TIERS[1:], bounds[1:], strict=True):
        tier = tier.when(position <= bound).then(pl.lit(key))
        label = label.when(position <= bound).then(pl.lit(text))
    return ranked.with_columns(tier.alias("tier"), label.alias("tier_label"))


def _group_figures(frame: pl.DataFrame, by: str) -> pl.DataFrame:
    """Sum per-customer fixed-point money (``*_raw``) exactly and derive group metrics through ``derive``."""
    def total(name: str) -> pl.Expr:
        return pl.col(f"{name}_raw").sum().alias(name)

    summed = frame.group_by(by).agg(
        total("revenue"), total("cost"), total("gross_profit"), total("returns_value"),
        (pl.col("revenue_raw") + pl.col("returns_value_raw")).sum().alias("gross_sales"),
        pl.col("transactions").sum(),
        pl.len().cast(pl.Int64).alias("customers"),
        pl.col("recency_days").mean().alias("avg_recency_days"),
        pl.col("active_days").mean().alias("avg_active_days"),
        (pl.col("transactions").sum() / pl.len()).alias("transactions_per_customer"),
        (pl.col("revenue").sum() / pl.len()).alias("revenue_per_customer"),
        (pl.col("gross_profit").sum() / pl.len()).alias("gp_per_customer"),
    )
    return derive(summed)


def _months(filters: Filters) -> float | None:
    return period_months(*resolve_period(filters))


def tier_summary(filters: Filters) -> pl.DataFrame:
    """One row per tier: customers, revenue, GP, their shares, margin and buying behaviour."""
    profiles = account_profiles(filters, keep_raw=True)
    if profiles.is_empty():
        return profiles
    tiered = assign_tiers(profiles)
    labels = pl.DataFrame([{"tier": k, "tier_label": v} for k, v, _ in TIERS])
    out = _group_figures(tiered, "tier").join(labels, on="tier", how="left")
    out = add_shares(out, ("customers", "revenue", "gross_profit"))
    months = _months(filters)
    out = out.with_columns(
        (pl.col("transactions_per_customer") / months if months else pl.lit(None, pl.Float64))
        .alias("transactions_per_customer_month")
    )
    return out.sort("tier").select("tier", "tier_label", pl.exclude("tier", "tier_label"))


def ideal_profile(filters: Filters) -> pl.DataFrame:
    """Top tier against everyone else, one row each: what the best customers do differently."""
    profiles = account_profiles(filters, keep_raw=True)
    if profiles.is_empty():
        return profiles
    tiered = assign_tiers(profiles).with_columns(
        pl.when(pl.col("tier") == TOP_TIER).then(pl.lit("Top tier")).otherwise(pl.lit("Other customers"))
        .alias("group")
    )
    out = add_shares(_group_figures(tiered, "group"), ("customers", "revenue", "gross_profit"))
    months = _months(filters)
    out = out.with_columns(
        (pl.col("transactions_per_customer") / months if months else pl.lit(None, pl.Float64))
        .alias("transactions_per_customer_month")
    )
    return out.sort("group", descending=True)  # "Top tier" first


def top_tier_customers(filters: Filters) -> list[str]:
    """Names of the top-tier account customers of the view (GP order)."""
    profiles = account_profiles(filters)
    if profiles.is_empty():
        return []
    return assign_tiers(profiles).filter(pl.col("tier") == TOP_TIER)["customer"].to_list()


def preferences(filters: Filters, dimension: str, top: list[str] | None = None) -> pl.DataFrame:
    """Share of each group's revenue and GP spent per ``dimension`` value (product line or branch),
    top tier against the rest, from the customer x dimension matrix. Pass ``top`` (from
    ``top_tier_customers``) when asking for several dimensions, to rank the customers once."""
    top = top_tier_customers(filters) if top is None else top
    if not top:
        return pl.DataFrame()
    cells = matrix(filters, "customer", dimension)
    cells = account_customers(cells).with_columns(
        pl.when(pl.col("customer").is_in(top)).then(pl.lit("Top tier")).otherwise(pl.lit("Other customers"))
        .alias("group")
    )
    summed = cells.group_by("group", dimension).agg(pl.col("revenue").sum(), pl.col("gross_profit").sum())
    group_rev = pl.col("revenue").sum().over("group")
    group_gp = pl.col("gross_profit").sum().over("group")
    return summed.with_columns(
        pl.when(group_rev != 0).then(pl.col("revenue") / group_rev * 100.0).alias("group_revenue_share_pct"),
        pl.when(group_gp != 0).then(pl.col("gross_profit") / group_gp * 100.0).alias("group_gp_share_pct"),
    ).sort(["group", "group_revenue_share_pct"], descending=[True, True])


def period_months(start: dt.date | None, end: dt.date | None) -> float | None:
    """Length of a period in average months (for "transactions per customer per month")."""
    if start is None or end is None:
        return None
    return ((end - start).days + 1) / (365.25 / 12)
