"""Product figures: shares, worst-first ordering, alignment quadrants and the treemap tree."""

from __future__ import annotations

import polars as pl
import pytest

from data.errors import InvalidFilter
from data.products import (
    HIDDEN_GEM,
    QUESTION_MARK,
    STAR,
    VOLUME_TRAP,
    alignment,
    alignment_table,
    bottom_order,
    hierarchy,
    items,
    line_profitability,
    quadrant,
    top_items,
)
from tests.data.test_salespeople import NOTHING, PERIOD, _by, _lines


def test_line_share_gap_is_gp_share_minus_revenue_share(demo_engine, demo_frame):
    got = line_profitability(PERIOD)
    want = _by(_lines(demo_frame), "product_line")
    assert got.height == want.height
    assert got["share_gap_pp"].sum() == pytest.approx(0.0, abs=1e-6)
    for row in got.iter_rows(named=True):
        line = want.filter(pl.col("product_line") == row["product_line"]).row(0, named=True)
        expected = line["gp"] / want["gp"].sum() * 100 - line["rev"] / want["rev"].sum() * 100
        assert row["share_gap_pp"] == pytest.approx(expected, abs=1e-6)


def test_items_carry_their_line_and_group(demo_engine, demo_frame):
    got = items(PERIOD)
    catalogue = demo_frame.select("item_name", "item_group", "product_line").unique()
    joined = got.join(catalogue, on="item_name", suffix="_demo")
    assert joined.height == got.height
    assert (joined["product_line"] == joined["product_line_demo"]).all()
    assert top_items(got, 3)["gross_profit"].to_list() == sorted(got["gross_profit"].to_list(), reverse=True)[:3]


def test_bottom_order_puts_loss_makers_first_then_lowest_margins():
    frame = pl.DataFrame({
        "item_name": ["thin", "loss-small", "healthy", "loss-big", "no-sales"],
        "gross_profit": [10.0, -5.0, 500.0, -90.0, 0.0],
        "margin_pct": [1.0, -50.0, 30.0, -2.0, None],
    })
    order = bottom_order(frame)
    assert order["item_name"].to_list() == ["loss-big", "loss-small", "thin", "healthy", "no-sales"]
    assert order["loss_maker"].to_list() == [True, True, False, False, False]


def test_bottom_order_on_the_store_ranks_by_margin_when_nothing_loses(demo_engine):
    worst = bottom_order(items(PERIOD))
    healthy = worst.filter(~pl.col("loss_maker"))
    assert healthy["margin_pct"].drop_nulls().is_sorted()
    assert worst.filter(pl.col("loss_maker"))["gross_profit"].is_sorted()


@pytest.mark.parametrize(("share", "margin", "expected"), [
    (30.0, 25.0, STAR), (30.0, 5.0, VOLUME_TRAP), (2.0, 25.0, HIDDEN_GEM), (2.0, 5.0, QUESTION_MARK),
    (10.0, 15.0, STAR), (None, 15.0, None),
])
def test_quadrant_boundaries(share, margin, expected):
    assert quadrant(share, margin, share_line=10.0, margin_line=15.0) == expected


@pytest.mark.parametrize("basis", ["revenue", "transactions"])
def test_alignment_classifies_every_line_like_an_independent_computation(demo_engine, demo_frame, basis):
    frame, guides = alignment(PERIOD, "product_line", basis)
    lines = _lines(demo_frame)
    by_line = _by(lines, "product_line")
    overall = by_line["gp"].sum() / by_line["rev"].sum() * 100
    assert guides["margin"] == pytest.approx(overall, abs=1e-6)
    assert guides["share"] == pytest.approx(100 / by_line.height)
    if basis == "revenue":
        share = by_line.select("product_line", (pl.col("rev") / pl.col("rev").sum() * 100).alias("s"))
    else:
        tx = lines.group_by("product_line").agg(pl.col("invoice_id").n_unique().alias("t"))
        share = tx.select("product_line", (pl.col("t") / pl.col("t").sum() * 100).alias("s"))
    margin = by_line.select("product_line", (pl.col("gp") / pl.col("rev") * 100).alias("m"))
    want = share.join(margin, on="product_line")
    for row in want.iter_rows(named=True):
        got = frame.filter(pl.col("product_line") == row["product_line"]).row(0, named=True)
        assert got["share_pct"] == pytest.approx(row["s"], abs=1e-6)
        assert got["quadrant"] == quadrant(row["s"], row["m"], 100 / by_line.height, overall)
    # The demo's story: the biggest-revenue line sells at a below-average margin.
    if basis == "revenue":
        biggest = want.sort("s", descending=True).row(0, named=True)
        assert biggest["m"] < overall
        assert frame.filter(pl.col("product_line") == biggest["product_line"])["quadrant"][0] == VOLUME_TRAP


def test_item_group_alignment_and_download_table(demo_engine):
    frame, guides = alignment(PERIOD, "item_group", "transactions")
    assert guides["share"] == pytest.approx(100 / frame.height)
    assert frame["quadrant"].null_count() == 0
    table = alignment_table(PERIOD, "item_group")
    assert table.height == frame.height
    assert {"quadrant_by_revenue", "quadrant_by_transactions", "product_line"} <= set(table.columns)
    with pytest.raises(InvalidFilter):
        alignment(PERIOD, "customer", "revenue")


def test_hierarchy_is_a_consistent_tree(demo_engine):
    nodes = hierarchy(PERIOD)
    assert nodes["id"].is_unique().all()
    ids = set(nodes["id"])
    assert all(p == "" or p in ids for p in nodes["parent"])
    children = nodes.filter(pl.col("parent") != "").group_by("parent").agg(pl.col("size").sum().alias("kids"))
    parents = nodes.join(children.rename({"parent": "id"}), on="id")
    for row in parents.iter_rows(named=True):
        assert row["size"] == pytest.approx(row["kids"], abs=0.01)
    lines = line_profitability(PERIOD)
    tops = nodes.filter(pl.col("level") == "product_line").join(lines, on="product_line", suffix="_line")
    assert tops.height == lines.height
    assert (tops["margin_pct"] - tops["margin_pct_line"]).abs().max() < 1e-9
    assert nodes.filter(pl.col("level") == "item").height == items(PERIOD).height


def test_empty_filters_give_empty_frames(demo_engine):
    assert line_profitability(NOTHING).is_empty()
    assert items(NOTHING).is_empty()
    assert alignment(NOTHING)[0].is_empty()
    assert hierarchy(NOTHING).is_empty()
