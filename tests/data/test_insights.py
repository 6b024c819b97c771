"""Insights are computed from the data; each is checked against an independent Polars figure."""

from __future__ import annotations

import polars as pl
import pytest

from data.filters import Filters
from data.insights import NON_ACCOUNT_CUSTOMERS, customer_concentration, insights, rank_gap


def test_pareto_share_matches_polars(demo_engine, demo_frame):
    accounts = (
        demo_frame.filter(~pl.col("customer").is_in(list(NON_ACCOUNT_CUSTOMERS)))
        .group_by("customer").agg((pl.col("revenue") - pl.col("cost")).sum().alias("gp"))
        .sort("gp", descending=True)
    )
    top_n = round(accounts.height * 0.2)
    share = accounts["gp"].head(top_n).sum() / accounts["gp"].sum() * 100
    insight = customer_concentration(Filters())
    assert insight is not None
    assert f"({top_n:,})" in insight.text and f"{share:.1f}%" in insight.text


def test_rank_gap_names_the_salesperson_with_the_biggest_gap(demo_engine, demo_frame):
    people = (
        demo_frame.group_by("salesperson")
        .agg(pl.col("revenue").sum().alias("rev"), (pl.col("revenue") - pl.col("cost")).sum().alias("gp"))
        .with_columns(pl.col("rev").rank("ordinal", descending=True).alias("rr"),
                      pl.col("gp").rank("ordinal", descending=True).alias("gr"))
        .with_columns((pl.col("rr").cast(pl.Int64) - pl.col("gr").cast(pl.Int64)).abs().alias("gap"))
    )
    biggest = people["gap"].max()
    candidates = people.filter(pl.col("gap") == biggest)["salesperson"].to_list()
    insight = rank_gap(Filters())
    assert insight is not None and any(name in insight.text for name in candidates)


def test_empty_view_has_no_insights(demo_engine):
    assert insights(Filters.create(branch=["No such branch"])) == []


@pytest.mark.parametrize("key", ["pareto", "rank_gap", "margin_spread", "margin_mover"])
def test_each_insight_appears_for_a_normal_period(demo_engine, key):
    found = {i.key for i in insights(Filters.create(start="2025-01-01", end="2025-06-30"))}
    assert key in found
