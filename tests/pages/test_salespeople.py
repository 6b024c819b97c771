"""Salespeople callbacks called as plain functions on a real store."""

from __future__ import annotations

import csv
import io

import polars as pl
import pytest

from components.exports import csv_text, tables_for
from components.salespeople_charts import MARGIN_GRAPH
from components.state import EMPTY_MESSAGE
from components.state import render_section as run
from data.salespeople import product_mix
from pages.salespeople import (
    drill_section,
    leaderboard_section,
    margin_section,
    mix_section,
    picked_salesperson,
)
from tests.dash_tree import find_all, text_of
from tests.data.test_salespeople import NOTHING, PERIOD, _by, _lines


def _graphs(component):  # type: ignore[no-untyped-def]
    return find_all(component, lambda c: type(c).__name__ == "Graph")


def test_leaderboard_first_row_is_the_top_gp_salesperson(demo_engine, demo_frame):
    top = _by(_lines(demo_frame), "salesperson").sort("gp", descending=True)["salesperson"][0]
    out = run(lambda: leaderboard_section(PERIOD))
    grid = find_all(out, lambda c: type(c).__name__ == "AgGrid")[0]
    assert grid.rowData[0]["salesperson"] == top
    assert "01 Jan 2025 to 30 Jun 2025" in text_of(out)


def test_margin_chart_is_clickable_for_drill_down(demo_engine):
    (graph,) = _graphs(run(lambda: margin_section(PERIOD)))
    assert graph.id == MARGIN_GRAPH
    assert "01 Jan 2025 to 30 Jun 2025" in graph.figure.layout.title.text


def test_mix_heatmap_cross_filters_on_the_product_line(demo_engine):
    (graph,) = _graphs(run(lambda: mix_section(PERIOD)))
    assert graph.id == {"type": "xfilter", "dim": "product_line", "axis": "x", "key": "sp-mix"}
    assert graph.figure.data[0].type == "heatmap"


def test_drill_down_shows_the_picked_person_and_defaults_to_the_top_earner(demo_engine, demo_frame):
    people = _by(_lines(demo_frame), "salesperson").sort("gp", descending=True)
    second = people["salesperson"][1]
    out = run(lambda: drill_section(PERIOD, second))
    assert second in text_of(out) and "#2 by gross profit" in text_of(out)
    trend, mix = _graphs(out)
    months = _lines(demo_frame).filter(pl.col("salesperson") == second)
    assert sum(trend.figure.data[0].y) == pytest.approx(months["revenue"].sum(), abs=0.05)
    assert mix.figure.data[1].name == second
    default = run(lambda: drill_section(PERIOD, None))
    assert people["salesperson"][0] in text_of(default) and "until you pick one" in text_of(default)


def test_drill_down_for_someone_without_sales_here_says_so(demo_engine):
    out = run(lambda: drill_section(PERIOD, "Nobody Atall"))
    assert "No sales by Nobody Atall match these filters" in text_of(out)


def test_empty_filters_show_the_empty_state(demo_engine):
    for section in (leaderboard_section, margin_section, mix_section):
        assert EMPTY_MESSAGE in text_of(run(lambda s=section: s(NOTHING)))
    assert EMPTY_MESSAGE in text_of(run(lambda: drill_section(NOTHING, None)))


def test_picked_salesperson_reads_grid_rows_and_chart_points():
    assert picked_salesperson("grid", [{"salesperson": "Amani", "gp_rank": 3}]) == "Amani"
    assert picked_salesperson("grid", []) is None
    assert picked_salesperson("graph", {"points": [{"customdata": ["Baraka", "KSh 1M"]}]}) == "Baraka"
    assert picked_salesperson("graph", {"points": [{"x": 3}]}) is None
    assert picked_salesperson("graph", None) is None


def test_every_table_downloads_with_all_rows(demo_engine):
    assert {t.key for t in tables_for("salespeople")} == {"sp-leaderboard", "sp-margin", "sp-mix"}
    rows = list(csv.DictReader(io.StringIO(csv_text("sp-leaderboard", PERIOD))))
    grid = find_all(run(lambda: leaderboard_section(PERIOD)), lambda c: type(c).__name__ == "AgGrid")[0]
    assert len(rows) == len(grid.rowData) > 10
    assert rows[0]["Salesperson"] == grid.rowData[0]["salesperson"]
    mix = list(csv.DictReader(io.StringIO(csv_text("sp-mix", PERIOD))))
    assert len(mix) == product_mix(PERIOD).height
