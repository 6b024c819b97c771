"""Customer value figures equal an independent Polars computation on the raw demo lines."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from data.customers import (
    TIERS,
    account_profiles,
    assign_tiers,
    customer_table,
    ideal_profile,
    non_account_summary,
    pareto_curve,
    pareto_point,
    preferences,
    tier_summary,
)
from data.filters import Filters
from data.insights import NON_ACCOUNT_CUSTOMERS

PERIOD = Filters.create(start="2025-01-01", end="2025-06-30")
NOTHING = Filters.create(branch=["Atlantis"])


def _lines(frame: pl.DataFrame, accounts_only: bool = True) -> pl.DataFrame:
    rows = frame.filter(pl.col("sale_date").is_between(PERIOD.start, PERIOD.end)).with_columns(
        (pl.col("revenue") * 100).round(0).cast(pl.Int64).alias("r"),
        (pl.col("cost") * 100).round(0).cast(pl.Int64).alias("c"),
    )
    if accounts_only:
        rows = rows.filter(~pl.col("customer").is_in(list(NON_ACCOUNT_CUSTOMERS)))
    return rows


def _customers(frame: pl.DataFrame) -> pl.DataFrame:
    """Per account customer: revenue, GP, transactions, last sale; biggest GP first."""
    return _lines(frame).group_by("customer").agg(
        (pl.col("r").sum() / 100).alias("revenue"),
        ((pl.col("r").sum() - pl.col("c").sum()) / 100).alias("gp"),
        (pl.col("invoice_id").n_unique() - pl.col("invoice_id").is_null().any().cast(pl.Int64)
         + pl.col("invoice_id").is_null().sum()).alias("transactions"),
        pl.col("sale_date").max().alias("last_sale"),
    ).sort(["gp", "customer"], descending=[True, False])


def test_profiles_rank_account_customers_only(demo_engine, demo_frame):
    got = account_profiles(PERIOD)
    want = _customers(demo_frame)
    assert got.height == want.height > 50
    assert not set(got["customer"]) & NON_ACCOUNT_CUSTOMERS
    assert got["customer"].head(10).to_list() == want["customer"].head(10).to_list()
    assert got["gross_profit"].sum() == pytest.approx(want["gp"].sum(), abs=0.05)
    assert got["gp_rank"].to_list() == list(range(1, got.height + 1))


def test_non_account_summary_matches_walk_in_lines(demo_engine, demo_frame):
    walk_in = _lines(demo_frame, accounts_only=False).filter(pl.col("customer").is_in(list(NON_ACCOUNT_CUSTOMERS)))
    everyone = _lines(demo_frame, accounts_only=False)
    got = non_account_summary(PERIOD)
    assert got is not None
    assert got["revenue"] == pytest.approx(walk_in["r"].sum() / 100, abs=0.01)
    assert got["revenue_share_pct"] == pytest.approx(walk_in["r"].sum() / everyone["r"].sum() * 100, rel=1e-9)
    assert non_account_summary(NOTHING) is None


def test_pareto_curve_ends_at_100_and_finds_the_80_percent_point(demo_engine, demo_frame):
    curve = pareto_curve(account_profiles(PERIOD))
    want = _customers(demo_frame)
    assert curve.row(0, named=True)["cum_gp_share_pct"] == 0.0
    assert curve["customer_share_pct"][-1] == pytest.approx(100.0)
    assert curve["cum_gp_share_pct"][-1] == pytest.approx(100.0, abs=1e-9)
    assert curve["customer_share_pct"].is_sorted()
    cumulative = (want["gp"].cum_sum() / want["gp"].sum() * 100).to_list()
    needed = next(i + 1 for i, share in enumerate(cumulative) if share >= 80.0)
    point = pareto_point(curve)
    assert point is not None
    assert point["customers"] == needed
    assert point["customer_share_pct"] == pytest.approx(needed / want.height * 100)
    assert point["cum_gp_share_pct"] >= 80.0
    assert pareto_curve(account_profiles(NOTHING)).is_empty()


def test_tiers_partition_the_customers(demo_engine, demo_frame):
    profiles = account_profiles(PERIOD)
    tiered = assign_tiers(profiles)
    n = profiles.height
    assert tiered.height == n and tiered["customer"].n_unique() == n
    counts = dict(tiered.group_by("tier").len().iter_rows())
    assert counts == {"A": round(n * 0.2), "B": round(n * 0.5) - round(n * 0.2), "C": n - round(n * 0.5)}
    assert tiered["tier"].to_list() == sorted(tiered["tier"].to_list())  # A, then B, then C, by GP rank
    summary = tier_summary(PERIOD)
    assert summary["tier"].to_list() == [t for t, _, _ in TIERS]
    assert summary["customers"].sum() == n
    assert summary["gross_profit_share_pct"].sum() == pytest.approx(100.0)
    top_gp = _customers(demo_frame)["gp"].head(counts["A"]).sum()
    assert summary.filter(pl.col("tier") == "A")["gross_profit"][0] == pytest.approx(top_gp, abs=0.05)


@pytest.mark.parametrize(("n", "tiers"), [(1, ["A"]), (2, ["A", "C"]), (4, ["A", "B", "C", "C"])])
def test_small_views_still_have_a_top_tier(demo_engine, n, tiers):
    assert assign_tiers(account_profiles(PERIOD).head(n))["tier"].to_list() == tiers


def test_ideal_profile_averages_match_polars(demo_engine, demo_frame):
    want = _customers(demo_frame)
    n_top = round(want.height * 0.2)
    top, rest = want.head(n_top), want.tail(want.height - n_top)
    got = {r["group"]: r for r in ideal_profile(PERIOD).iter_rows(named=True)}
    months = ((PERIOD.end - PERIOD.start).days + 1) / (365.25 / 12)
    for group, rows in (("Top tier", top), ("Other customers", rest)):
        row = got[group]
        assert row["customers"] == rows.height
        assert row["avg_transaction_value"] == pytest.approx(rows["revenue"].sum() / rows["transactions"].sum(),
                                                             rel=1e-9)
        assert row["margin_pct"] == pytest.approx(rows["gp"].sum() / rows["revenue"].sum() * 100, rel=1e-9)
        assert row["transactions_per_customer_month"] == pytest.approx(
            rows["transactions"].sum() / rows.height / months, rel=1e-9)
        recency = rows.select((pl.lit(PERIOD.end) - pl.col("last_sale")).dt.total_days().mean()).item()
        assert row["avg_recency_days"] == pytest.approx(recency, rel=1e-9)
    assert got["Top tier"]["gross_profit_share_pct"] + got["Other customers"]["gross_profit_share_pct"] == \
        pytest.approx(100.0)
    assert ideal_profile(NOTHING).is_empty()


def test_preferences_are_each_groups_spend_per_product_line(demo_engine, demo_frame):
    want = _customers(demo_frame)
    top = want.head(round(want.height * 0.2))["customer"].to_list()
    lines = _lines(demo_frame).filter(pl.col("customer").is_in(top))
    shares = lines.group_by("product_line").agg(pl.col("r").sum()).with_columns(
        (pl.col("r") / pl.col("r").sum() * 100).alias("share"))
    got = preferences(PERIOD, "product_line")
    for group in ("Top tier", "Other customers"):
        assert got.filter(pl.col("group") == group)["group_revenue_share_pct"].sum() == pytest.approx(100.0)
    top_got = {r["product_line"]: r["group_revenue_share_pct"]
               for r in got.filter(pl.col("group") == "Top tier").iter_rows(named=True)}
    for row in shares.iter_rows(named=True):
        assert top_got[row["product_line"]] == pytest.approx(row["share"], rel=1e-9)


@pytest.mark.parametrize("text", ["kakamega", "  TRADERS ", "co.", "ltd"])
def test_search_returns_only_and_all_matching_customers(demo_engine, demo_frame, text):
    got = customer_table(PERIOD, text)
    needle = text.strip().lower()
    want = {c for c in _customers(demo_frame)["customer"] if needle in c.lower()}
    assert set(got["customer"]) == want and want
    everyone = customer_table(PERIOD)
    ranks = dict(zip(everyone["customer"], everyone["gp_rank"], strict=True))
    assert all(ranks[c] == r for c, r in zip(got["customer"], got["gp_rank"], strict=True))  # not renumbered


def test_search_is_literal_and_can_match_nothing(demo_engine):
    assert customer_table(PERIOD, ".*").is_empty()
    assert customer_table(PERIOD, "zzz-no-such-customer").is_empty()
    assert customer_table(PERIOD, "").height == account_profiles(PERIOD).height


def test_period_with_one_day_still_profiles(demo_engine):
    one_day = Filters.create(start=dt.date(2025, 6, 30), end=dt.date(2025, 6, 30))
    profile = ideal_profile(one_day)
    assert profile.height in (1, 2)
