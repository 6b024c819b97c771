"""Customers callbacks called as plain functions on a real store."""

from __future__ import annotations

import polars as pl
import pytest
from dash import dcc

from components.state import EMPTY_MESSAGE
from components.state import render_section as run
from data.filters import Filters
from data.insights import NON_ACCOUNT_CUSTOMERS
from pages.customers import pareto_section, profile_section, table_section, tiers_section, top_section
from tests.dash_tree import find_all, text_of

PERIOD = Filters.create(start="2025-01-01", end="2025-06-30")
NOTHING = Filters.create(branch=["Atlantis"])


def _grid(component):  # type: ignore[no-untyped-def]
    return next(c for c in find_all(component, object) if type(c).__name__ == "AgGrid")


def test_top_customers_by_revenue_and_by_gp_side_by_side(demo_engine, demo_frame):
    out = run(lambda: top_section(PERIOD))
    revenue, gp = find_all(out, dcc.Graph)
    assert revenue.figure.layout.title.text.startswith("Top 10 customers by revenue")
    assert gp.figure.layout.title.text.startswith("Top 10 customers by gross profit")
    shown = {c for g in (revenue, gp) for c, *_ in g.figure.data[0].customdata}
    assert not shown & NON_ACCOUNT_CUSTOMERS
    assert "Walk-in, cash and unassigned" in text_of(out)
    walk_in = demo_frame.filter(pl.col("sale_date").is_between(PERIOD.start, PERIOD.end),
                                pl.col("customer").is_in(list(NON_ACCOUNT_CUSTOMERS)))["revenue"].sum()
    assert f"KSh {walk_in / 1e6:,.2f}M of revenue" in text_of(out)


def test_pareto_section_annotates_the_80_percent_point(demo_engine):
    (graph,) = find_all(run(lambda: pareto_section(PERIOD)), dcc.Graph)
    assert "earn 80% of GP" in graph.figure.layout.annotations[0].text
    assert graph.figure.data[1].y[-1] == pytest.approx(100.0)


def test_tiers_and_profile_sections(demo_engine):
    (tiers,) = find_all(run(lambda: tiers_section(PERIOD)), dcc.Graph)
    assert sum(tiers.figure.data[0].y) == pytest.approx(100.0)
    out = run(lambda: profile_section(PERIOD))
    graphs = find_all(out, dcc.Graph)
    assert [g.id["dim"] for g in graphs] == ["product_line", "branch"]
    assert "The top tier (" in text_of(out) and "Average order value" in text_of(out)


def test_search_narrows_the_table_server_side(demo_engine):
    everyone = _grid(run(lambda: table_section(PERIOD, None))).rowData
    found = run(lambda: table_section(PERIOD, "kakamega"))
    rows = _grid(found).rowData
    assert 0 < len(rows) < len(everyone)
    assert all("kakamega" in r["customer"].lower() for r in rows)
    assert f"{len(rows):,} of {len(everyone):,} account customers match" in text_of(found)
    assert "0 of" in text_of(run(lambda: table_section(PERIOD, "zzz-nobody")))


def test_empty_filters_show_the_empty_state(demo_engine):
    for section in (top_section, pareto_section, tiers_section, profile_section, table_section):
        assert EMPTY_MESSAGE in text_of(run(lambda s=section: s(NOTHING)))


def test_the_browser_gets_a_bounded_table_but_search_reaches_everyone(demo_engine, monkeypatch):
    import dash_ag_grid as dag

    import pages.customers

    monkeypatch.setattr(pages.customers, "MAX_TABLE_ROWS", 10)
    out = run(lambda: table_section(Filters()))
    (grid,) = find_all(out, dag.AgGrid)
    assert len(grid.rowData) == 10
    assert "Showing the first 10" in text_of(out)
    name = grid.rowData[-1]["customer"]
    found = find_all(run(lambda: table_section(Filters(), name)), dag.AgGrid)[0].rowData
    assert [row["customer"] for row in found] == [name]
