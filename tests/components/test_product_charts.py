"""Products figures built from real frames: values plotted, guides, and click targets."""

from __future__ import annotations

import pytest

from components.product_charts import alignment_chart, items_grid, profit_treemap, share_pairs
from components.theme import color_map
from data.filters import Filters
from data.products import QUADRANT_TEXT, alignment, hierarchy, items, line_profitability, overall_margin
from data.queries import filter_options
from tests.data.test_salespeople import PERIOD


def test_share_pairs_plot_both_shares_per_line_by_gp(demo_engine):
    frame = line_profitability(PERIOD)
    fig = share_pairs(frame, "period")
    revenue, gp = fig.data
    order = frame.sort("gross_profit", descending=True)
    assert list(gp.y) == order["product_line"].to_list()  # click -> the product line (axis "y")
    assert list(gp.x) == order["gross_profit_share_pct"].to_list()
    assert list(revenue.x) == order["revenue_share_pct"].to_list()
    assert all("margin" in text for text in fig.layout.yaxis.ticktext)


@pytest.mark.parametrize("level", ["product_line", "item_group"])
def test_alignment_chart_has_quadrant_guides_and_product_line_click_targets(demo_engine, level):
    frame, guides = alignment(PERIOD, level, "revenue")
    colors = color_map(filter_options()["productLines"])
    fig = alignment_chart(frame, guides, colors, "period")
    assert sum(len(t.x) for t in fig.data) == frame.height
    for trace in fig.data:
        assert {c[0] for c in trace.customdata} == {trace.name}  # customdata[0] is the line to filter on
        assert trace.marker.color == colors[trace.name]
    assert fig.layout.shapes[0].x0 == pytest.approx(guides["share"])
    assert fig.layout.shapes[1].y0 == pytest.approx(guides["margin"])
    captions = {a.text.replace("<br>", ": ") for a in fig.layout.annotations}
    assert set(QUADRANT_TEXT.values()) <= captions
    assert fig.data[0].showlegend is (level == "item_group")


def test_treemap_sizes_by_gp_and_colours_by_margin(demo_engine):
    nodes = hierarchy(PERIOD)
    team = overall_margin(PERIOD)
    fig = profit_treemap(nodes, team, "period")
    trace = fig.data[0]
    assert trace.ids[0] == "All products" and trace.parents[0] == ""
    assert trace.values[0] == pytest.approx(nodes.filter(nodes["level"] == "product_line")["size"].sum())
    assert list(trace.marker.colors[1:]) == nodes["margin_pct"].to_list()
    assert trace.marker.cmid == pytest.approx(team)
    assert trace.branchvalues == "total"


def test_items_grid_shows_item_line_and_group(demo_engine):
    frame = items(PERIOD).head(10)
    grid = items_grid("g", frame)
    assert [r["item_name"] for r in grid.rowData] == frame["item_name"].to_list()
    assert {"product_line", "item_group", "gross_profit", "margin_pct"} <= set(grid.rowData[0])


def test_a_group_that_loses_money_is_not_drawn_as_a_tile(tmp_path, demo_frame):
    """One big loss-making item sinks its group below zero while the group's other items profit:
    the group (and its items) get no area, and every other tile's area is its net GP."""
    import polars as pl

    from data import service
    from data.engines.duckdb_engine import DuckDBEngine
    from tests.conftest import build_store

    sizes = demo_frame.group_by("item_group").agg(pl.len()).sort(["len", "item_group"], descending=True)
    group = sizes["item_group"][0]
    line = demo_frame.filter(pl.col("item_group") == group)["product_line"][0]
    sink = demo_frame.filter(pl.col("item_group") == group)["item_name"].mode().sort()[0]
    gp = demo_frame.with_columns((pl.col("revenue") - pl.col("cost")).alias("gp"))
    rest_of_group = gp.filter((pl.col("item_group") == group) & (pl.col("item_name") != sink))["gp"].sum()
    rest_of_line = gp.filter((pl.col("product_line") == line) & (pl.col("item_group") != group))["gp"].sum()
    sink_rows = gp.filter(pl.col("item_name") == sink)
    # The sink's GP leaves its group at -half, and its line at +half, of the rest of the line's GP.
    wanted_cost = sink_rows["revenue"].sum() + rest_of_group + 0.5 * rest_of_line
    lines = demo_frame.with_columns(pl.when(pl.col("item_name") == sink)
                                    .then(pl.col("cost") * (wanted_cost / sink_rows["cost"].sum()))
                                    .otherwise(pl.col("cost")).alias("cost"))
    build_store(tmp_path, lines)
    engine = DuckDBEngine(tmp_path)
    service.configure(engine)
    try:
        nodes = hierarchy(Filters())
        node = nodes.filter((pl.col("level") == "item_group") & (pl.col("item_group") == group)).row(0, named=True)
        assert node["gross_profit"] < 0 and node["size"] == 0
        inside = nodes.filter((pl.col("level") == "item") & (pl.col("item_group") == group))
        assert inside.filter(pl.col("gross_profit") > 0).height > 0  # profitable items, yet no area
        assert inside["size"].sum() == 0
        for level in ("product_line", "item_group"):  # a positive node's area is exactly its net GP
            rows = nodes.filter((pl.col("level") == level) & (pl.col("gross_profit") > 0))
            line_gp = dict(nodes.filter(pl.col("level") == "product_line").select("id", "gross_profit").iter_rows())
            if level == "product_line":
                assert rows["size"].to_list() == pytest.approx(rows["gross_profit"].to_list())
            else:  # groups share their line's net GP in proportion to their own
                for key, part in rows.group_by("product_line"):
                    total = max(line_gp[key[0]], 0.0)
                    assert part["size"].sum() == pytest.approx(total, rel=1e-9)
        trace = profit_treemap(nodes, overall_margin(Filters()), "all time").data[0]
        assert node["id"] not in trace.ids and not set(inside["id"]) & set(trace.ids)
        assert all(v > 0 for v in trace.values)
        assert nodes.filter((pl.col("level") == "product_line") & (pl.col("id") == line))["size"][0] > 0
        assert "not drawn: 1 loss-making group" in profit_treemap(nodes, None, "all time").layout.title.text
    finally:
        engine.close()
