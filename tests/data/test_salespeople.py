"""Salespeople figures equal an independent Polars computation on the demo lines."""

from __future__ import annotations

import polars as pl
import pytest

from data.filters import Filters
from data.salespeople import leaderboard, margin_drivers, person_mix, product_mix

PERIOD = Filters.create(start="2025-01-01", end="2025-06-30")
NOTHING = Filters.create(branch=["Atlantis"])


def _lines(demo_frame: pl.DataFrame, filters: Filters = PERIOD) -> pl.DataFrame:
    """The demo lines in the period, in cents as the store keeps them."""
    return demo_frame.filter(pl.col("sale_date").is_between(filters.start, filters.end)).with_columns(
        (pl.col("revenue") * 100).round(0).cast(pl.Int64).alias("rev_c"),
        (pl.col("cost") * 100).round(0).cast(pl.Int64).alias("cost_c"),
    )


def _by(lines: pl.DataFrame, *keys: str) -> pl.DataFrame:
    return lines.group_by(*keys).agg(
        (pl.col("rev_c").sum() / 100).alias("rev"), ((pl.col("rev_c") - pl.col("cost_c")).sum() / 100).alias("gp")
    )


def test_leaderboard_is_ranked_by_gross_profit_like_polars(demo_engine, demo_frame):
    want = _by(_lines(demo_frame), "salesperson").sort("gp", descending=True)
    got = leaderboard(PERIOD)
    assert got["salesperson"][0] == want["salesperson"][0]
    assert got["gross_profit"][0] == pytest.approx(want["gp"][0], abs=0.01)
    assert got.height == want.height
    assert got["gp_rank"].to_list() == list(range(1, got.height + 1))


def test_rank_gap_is_revenue_rank_minus_gp_rank(demo_engine, demo_frame):
    people = _by(_lines(demo_frame), "salesperson")
    revenue_rank = {name: i + 1 for i, name in enumerate(people.sort("rev", descending=True)["salesperson"])}
    got = leaderboard(PERIOD)
    for row in got.iter_rows(named=True):
        assert row["revenue_rank"] == revenue_rank[row["salesperson"]]
        assert row["rank_gap"] == row["revenue_rank"] - row["gp_rank"]
    assert got["rank_gap"].sum() == 0  # two permutations of the same people


def test_product_mix_rows_sum_to_100_in_gp_rank_order(demo_engine):
    mix = product_mix(PERIOD)
    sums = mix.group_by("salesperson").agg(pl.col("row_gp_share_pct").sum(), pl.col("gp_rank").first())
    assert sums.height == leaderboard(PERIOD).height
    for total in sums["row_gp_share_pct"]:
        assert total == pytest.approx(100.0, abs=1e-6)
    assert mix["gp_rank"].is_sorted()


def test_mix_margin_weights_company_line_margins_by_each_persons_revenue(demo_engine, demo_frame):
    lines = _lines(demo_frame)
    line_margin = _by(lines, "product_line").select("product_line", (pl.col("gp") / pl.col("rev") * 100).alias("m"))
    cells = _by(lines, "salesperson", "product_line").join(line_margin, on="product_line")
    want = cells.group_by("salesperson").agg(((pl.col("rev") * pl.col("m")).sum() / pl.col("rev").sum()).alias("mix"))
    got = margin_drivers(PERIOD).join(want, on="salesperson")
    assert got.height == want.height
    for row in got.iter_rows(named=True):
        assert row["mix_margin_pct"] == pytest.approx(row["mix"], abs=1e-6)
        assert row["pricing_pp"] == pytest.approx(row["margin_pct"] - row["mix"], abs=1e-6)


def test_person_mix_compares_one_person_with_the_team(demo_engine, demo_frame):
    name = leaderboard(PERIOD)["salesperson"][0]
    mix = person_mix(PERIOD, name)
    mine = _by(_lines(demo_frame).filter(pl.col("salesperson") == name), "product_line")
    assert set(mix["product_line"]) >= set(mine["product_line"])
    assert mix["gross_profit_share_pct"].sum() == pytest.approx(100.0, abs=1e-6)
    assert mix["team_gp_share_pct"].sum() == pytest.approx(100.0, abs=1e-6)
    top = mine.sort("gp", descending=True).row(0, named=True)
    assert mix["product_line"][0] == top["product_line"]
    assert mix["gross_profit"][0] == pytest.approx(top["gp"], abs=0.01)


def test_unknown_people_and_empty_filters_give_empty_frames(demo_engine):
    assert person_mix(PERIOD, "Nobody Atall").is_empty()
    for build in (leaderboard, product_mix, margin_drivers):
        assert build(NOTHING).is_empty()
