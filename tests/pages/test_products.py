"""Products callbacks called as plain functions on a real store."""

from __future__ import annotations

import csv
import io

import polars as pl

from components.exports import csv_text, tables_for, workbook_bytes
from components.state import EMPTY_MESSAGE
from components.state import render_section as run
from data.products import VOLUME_TRAP, items
from pages.products import (
    alignment_section,
    bottom_items_section,
    lines_section,
    top_items_section,
    treemap_section,
)
from tests.dash_tree import find_all, text_of
from tests.data.test_salespeople import NOTHING, PERIOD, _by, _lines
from tests.pages.test_salespeople import _graphs


def _grid(component):  # type: ignore[no-untyped-def]
    return find_all(component, lambda c: type(c).__name__ == "AgGrid")[0]


def test_line_chart_cross_filters_on_the_clicked_line(demo_engine, demo_frame):
    (graph,) = _graphs(run(lambda: lines_section(PERIOD)))
    assert graph.id == {"type": "xfilter", "dim": "product_line", "axis": "y", "key": "pr-lines"}
    best = _by(_lines(demo_frame), "product_line").sort("gp", descending=True)["product_line"][0]
    assert graph.figure.data[1].y[0] == best
    assert "01 Jan 2025 to 30 Jun 2025" in graph.figure.layout.title.text


def test_alignment_follows_its_level_and_basis_controls(demo_engine):
    lines = _graphs(run(lambda: alignment_section(PERIOD, "product_line", "revenue")))[0]
    groups = _graphs(run(lambda: alignment_section(PERIOD, "item_group", "transactions")))[0]
    assert lines.id["axis"] == "customdata" and lines.id["dim"] == "product_line"
    assert sum(len(t.x) for t in lines.figure.data) < sum(len(t.x) for t in groups.figure.data)
    assert groups.figure.layout.xaxis.title.text == "Share of transactions"
    assert VOLUME_TRAP in str([t.customdata for t in lines.figure.data])
    fallback = _graphs(run(lambda: alignment_section(PERIOD, "bogus", None)))[0]
    assert fallback.figure.layout.xaxis.title.text == "Share of revenue"


def test_top_and_bottom_items_grids(demo_engine, demo_frame):
    top = _grid(run(lambda: top_items_section(PERIOD)))
    want = _by(_lines(demo_frame), "item_name").sort("gp", descending=True)
    assert [r["item_name"] for r in top.rowData] == want["item_name"].head(10).to_list()
    bottom = _grid(run(lambda: bottom_items_section(PERIOD)))
    margins = [r["margin_pct"] for r in bottom.rowData if r["gross_profit"] >= 0]
    assert margins == sorted(margins)
    all_items = items(PERIOD)
    assert margins[0] == all_items.filter(pl.col("gross_profit") >= 0)["margin_pct"].min()


def test_treemap_section_plots_the_tree(demo_engine):
    (graph,) = _graphs(run(lambda: treemap_section(PERIOD)))
    assert graph.figure.data[0].type == "treemap"
    assert len(graph.figure.data[0].ids) > items(PERIOD).height


def test_empty_filters_show_the_empty_state(demo_engine):
    for section in (lines_section, top_items_section, bottom_items_section, treemap_section):
        assert EMPTY_MESSAGE in text_of(run(lambda s=section: s(NOTHING)))
    assert EMPTY_MESSAGE in text_of(run(lambda: alignment_section(NOTHING, "product_line", "revenue")))


def test_downloads_hold_every_item_and_the_workbook_has_a_sheet_per_table(demo_engine):
    import openpyxl

    rows = list(csv.DictReader(io.StringIO(csv_text("pr-items-bottom", PERIOD))))
    assert len(rows) == items(PERIOD).height > 10
    keys = [t.key for t in tables_for("products")]
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes("products", PERIOD)))
    assert len(book.sheetnames) == len(keys) + 1  # plus the "Filters" sheet
