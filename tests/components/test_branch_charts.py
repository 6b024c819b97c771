"""Branch figures: colours per branch, growth colours, complete periods, heatmap cells."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from components.branch_charts import (
    GROWTH_DOWN,
    GROWTH_NONE,
    GROWTH_UP,
    branch_growth_bars,
    branch_line_heatmap,
    branch_trend_lines,
    complete_periods,
)
from components.charts import text_px
from components.theme import DIVERGING_SCALE, color_map

COLORS = color_map(["Eldoret", "Kisumu", "Mombasa"])


def _comparison() -> pl.DataFrame:
    return pl.DataFrame({
        "branch": ["Kisumu", "Mombasa", "Eldoret"],
        "gross_profit": [500.0, 900.0, 100.0],
        "prev_gross_profit": [600.0, 800.0, None],
        "gp_growth_pct": [-16.7, 12.5, None],
        "margin_pct": [10.0, 12.0, 8.0],
    })


def test_growth_bars_biggest_first_in_branch_colours_with_growth_labels():
    fig = branch_growth_bars(_comparison(), COLORS, "01 Jan 2025 to 30 Jun 2025")
    bars, previous, labels = fig.data
    assert list(bars.y) == ["Mombasa", "Kisumu", "Eldoret"]
    assert list(bars.marker.color) == [COLORS["Mombasa"], COLORS["Kisumu"], COLORS["Eldoret"]]
    assert list(previous.x) == [800.0, 600.0, None]
    assert list(labels.text) == ["+12.5%", "-16.7%", "—"]
    assert list(labels.textfont.color) == [GROWTH_UP, GROWTH_DOWN, GROWTH_NONE]
    assert list(labels.x) == [900.0, 600.0, 100.0]  # right of the longer of bar and previous tick
    # The longest bar reaches the plot's edge; its label gets a right margin sized in pixels.
    assert fig.layout.xaxis.range[1] >= 900.0
    assert fig.layout.margin.r >= text_px("+12.5%", 12)
    assert "01 Jan 2025 to 30 Jun 2025" in fig.layout.title.text


def _trend() -> pl.DataFrame:
    d1, d2, d3 = dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)
    return pl.DataFrame({
        "period": [d1, d2, d3, d1, d3],
        "branch": ["Kisumu", "Kisumu", "Kisumu", "Mombasa", "Mombasa"],
        "gross_profit": [1.0, 2.0, 3.0, 4.0, 5.0],
        "margin_pct": [10.0, 11.0, 12.0, 13.0, 14.0],
    })


def test_missing_period_is_zero_for_money_and_a_gap_for_ratios():
    gp = complete_periods(_trend(), "gross_profit").filter(pl.col("branch") == "Mombasa")
    assert gp["gross_profit"].to_list() == [4.0, 0.0, 5.0]
    margin = complete_periods(_trend(), "margin_pct").filter(pl.col("branch") == "Mombasa")
    assert margin["margin_pct"].to_list() == [13.0, None, 14.0]


@pytest.mark.parametrize(("metric", "title", "suffix"), [("gross_profit", "Monthly gross profit by branch", None),
                                                         ("margin_pct", "Monthly gp margin by branch", "%")])
def test_trend_has_one_line_per_branch_in_its_colour(metric, title, suffix):
    fig = branch_trend_lines(_trend(), metric, "month", COLORS, "the period")
    assert [t.name for t in fig.data] == ["Kisumu", "Mombasa"]
    assert [t.line.color for t in fig.data] == [COLORS["Kisumu"], COLORS["Mombasa"]]
    assert fig.layout.title.text.lower().startswith(title.lower())
    assert fig.layout.yaxis.ticksuffix == suffix


def _matrix() -> pl.DataFrame:
    return pl.DataFrame({
        "branch": ["Kisumu", "Kisumu", "Mombasa"],
        "product_line": ["Plumbing", "Solar", "Solar"],
        "gross_profit": [100.0, 300.0, 1_250_000.0],
        "margin_pct": [5.0, 20.0, 15.0],
        "row_gp_share_pct": [25.0, 75.0, 100.0],
    })


def test_heatmap_cells_follow_the_frame_biggest_first():
    fig = branch_line_heatmap(_matrix(), "gross_profit", "the period")
    heat = fig.data[0]
    assert list(heat.y) == ["Mombasa", "Kisumu"] and list(heat.x) == ["Solar", "Plumbing"]
    assert [list(r) for r in heat.z] == [[1_250_000.0, None], [300.0, 100.0]]
    assert heat.text[0][0] == "1.25M" and heat.text[0][1] == ""


def test_margin_heatmap_is_centred_on_the_overall_margin():
    heat = branch_line_heatmap(_matrix(), "margin_pct", "the period", overall_margin=14.2).data[0]
    assert heat.zmid == 14.2
    assert heat.colorscale == branch_line_heatmap(_matrix(), "margin_pct", "p").data[0].colorscale
    assert DIVERGING_SCALE  # the scale named in the theme
    assert heat.text[1][0] == "20.0%"
