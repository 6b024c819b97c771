"""Branch comparison: growth equals an independent Polars computation over both periods."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from data.branches import branch_comparison
from data.filters import Filters

PERIOD = Filters.create(start="2025-01-01", end="2025-06-30", compare="previous")
PREVIOUS = (dt.date(2024, 7, 4), dt.date(2024, 12, 31))  # 181 days ending the day before


def _per_branch(frame: pl.DataFrame, start: dt.date, end: dt.date) -> dict[str, dict[str, float]]:
    """Revenue and GP per branch from raw lines, summed in cents like the store does."""
    rows = frame.filter(pl.col("sale_date").is_between(start, end)).with_columns(
        (pl.col("revenue") * 100).round(0).cast(pl.Int64).alias("r"),
        (pl.col("cost") * 100).round(0).cast(pl.Int64).alias("c"),
    )
    sums = rows.group_by("branch").agg(pl.col("r").sum(), pl.col("c").sum())
    return {r["branch"]: {"revenue": r["r"] / 100, "gp": (r["r"] - r["c"]) / 100} for r in sums.iter_rows(named=True)}


def test_growth_matches_polars_over_both_periods(demo_engine, demo_frame):
    got = branch_comparison(PERIOD)
    now = _per_branch(demo_frame, PERIOD.start, PERIOD.end)
    before = _per_branch(demo_frame, *PREVIOUS)
    assert sorted(got["branch"].to_list()) == sorted(now)
    for row in got.iter_rows(named=True):
        cur, prev = now[row["branch"]], before[row["branch"]]
        assert row["prev_gross_profit"] == pytest.approx(prev["gp"], abs=0.01)
        assert row["gp_growth_pct"] == pytest.approx((cur["gp"] - prev["gp"]) / abs(prev["gp"]) * 100, rel=1e-9)
        assert row["revenue_growth_pct"] == pytest.approx(
            (cur["revenue"] - prev["revenue"]) / abs(prev["revenue"]) * 100, rel=1e-9)
        margin_now, margin_before = cur["gp"] / cur["revenue"] * 100, prev["gp"] / prev["revenue"] * 100
        assert row["margin_change_pp"] == pytest.approx(margin_now - margin_before, abs=1e-6)
    assert got["gp_rank"].to_list() == list(range(1, got.height + 1))
    assert any(g > 0 for g in got["gp_growth_pct"]) and any(g < 0 for g in got["gp_growth_pct"])


def test_no_previous_sales_means_no_growth_not_infinity(demo_engine, demo_frame):
    first = demo_frame["sale_date"].min()
    got = branch_comparison(Filters.create(start=first, end=first + dt.timedelta(days=30)))
    assert got.height > 0
    assert got["prev_gross_profit"].is_null().all()
    assert got["gp_growth_pct"].is_null().all() and got["margin_change_pp"].is_null().all()


def test_branch_selection_and_empty_view(demo_engine):
    one = branch_comparison(PERIOD.with_selection(branch=["Mombasa"]))
    assert one["branch"].to_list() == ["Mombasa"]
    assert branch_comparison(Filters.create(branch=["Atlantis"])).is_empty()


def test_year_to_date_compares_with_the_same_dates_last_year(demo_engine, demo_frame):
    """A to-date range (here 1 Jan - 30 Jun) defaults to the same dates a year earlier, not to
    the 181 days before it; ``compare=previous`` still gives the period of equal length."""
    auto = Filters.create(start="2025-01-01", end="2025-06-30")
    got = branch_comparison(auto)
    before = _per_branch(demo_frame, dt.date(2024, 1, 1), dt.date(2024, 6, 30))
    for row in got.iter_rows(named=True):
        assert row["prev_gross_profit"] == pytest.approx(before[row["branch"]]["gp"], abs=0.01)
    assert branch_comparison(auto.with_compare("previous"))["prev_gross_profit"].to_list() == \
        branch_comparison(PERIOD)["prev_gross_profit"].to_list()
