"""Branches callbacks called as plain functions on a real store."""

from __future__ import annotations

import polars as pl
import pytest
from dash import dcc

from components.state import EMPTY_MESSAGE
from components.state import render_section as run
from data.filters import Filters
from data.metrics import METRICS
from pages.branches import comparison_section, heatmap_section, trend_section
from tests.dash_tree import find_all, text_of

PERIOD = Filters.create(start="2025-01-01", end="2025-06-30")
NOTHING = Filters.create(branch=["Atlantis"])


def test_comparison_shows_every_branch_with_growth_and_cross_filter(demo_engine, demo_frame):
    out = run(lambda: comparison_section(PERIOD))
    (graph,) = find_all(out, dcc.Graph)
    assert graph.id == {"type": "xfilter", "dim": "branch", "axis": "y", "key": "branches-growth"}
    branches = demo_frame.filter(pl.col("sale_date").is_between(PERIOD.start, PERIOD.end))["branch"].unique()
    assert sorted(graph.figure.data[0].y) == sorted(branches.to_list())
    grid = next(c for c in find_all(out, object) if type(c).__name__ == "AgGrid")
    assert len(grid.rowData) == branches.len()
    assert "growth vs same period last year (01 Jan 2024 to 30 Jun 2024)" in text_of(out)
    assert "01 Jan 2025 to 30 Jun 2025" in graph.figure.layout.title.text


def test_comparison_without_a_previous_period_says_why(demo_engine):
    out = run(lambda: comparison_section(Filters()))
    assert "growth cannot be computed" in text_of(out)


@pytest.mark.parametrize("metric", ["revenue", "margin_pct", "transactions", "return_rate_pct"])
def test_trend_metric_selector_changes_the_figure(demo_engine, metric):
    (graph,) = find_all(run(lambda: trend_section(PERIOD, metric)), dcc.Graph)
    title = graph.figure.layout.title.text
    assert title.startswith("Weekly " + METRICS[metric].label.lower())
    assert "01 Jan 2025 to 30 Jun 2025" in title
    assert len(graph.figure.data) >= 5  # one line per branch


def test_trend_falls_back_on_an_unknown_metric(demo_engine):
    (graph,) = find_all(run(lambda: trend_section(PERIOD, "DROP TABLE")), dcc.Graph)
    assert graph.figure.layout.title.text.startswith("Weekly gross profit")


def test_heatmap_click_target_and_value_follow_the_controls(demo_engine):
    (by_branch,) = find_all(run(lambda: heatmap_section(PERIOD, "gross_profit", "branch")), dcc.Graph)
    assert by_branch.id["dim"] == "branch" and by_branch.id["axis"] == "y"
    (by_line,) = find_all(run(lambda: heatmap_section(PERIOD, "margin_pct", "product_line")), dcc.Graph)
    assert by_line.id["dim"] == "product_line" and by_line.id["axis"] == "x"
    assert by_line.figure.data[0].zmid is not None
    assert by_line.figure.layout.title.text.startswith("GP margin")


def test_empty_filters_show_the_empty_state(demo_engine):
    for section in (comparison_section, trend_section, heatmap_section):
        assert EMPTY_MESSAGE in text_of(run(lambda s=section: s(NOTHING)))
