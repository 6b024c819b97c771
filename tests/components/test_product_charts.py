"""Products figures built from real frames: values plotted, guides, and click targets."""

from __future__ import annotations

import pytest

from components.product_charts import alignment_chart, items_grid, profit_treemap, share_pairs
from components.theme import color_map
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
