"""Overview callbacks called as plain functions on a real store."""

from __future__ import annotations

import polars as pl

from components.state import EMPTY_MESSAGE
from components.state import render_section as run
from data.filters import Filters
from pages.overview import insights_section, kpi_section, top_section, trend_section
from tests.dash_tree import text_of

PERIOD = Filters.create(start="2025-01-01", end="2025-06-30")


def test_kpi_cards_show_the_revenue_of_the_period(demo_engine, demo_frame):
    revenue = demo_frame.filter(pl.col("sale_date").is_between(PERIOD.start, PERIOD.end))["revenue"].sum()
    text = text_of(run(lambda: kpi_section(PERIOD)))
    assert f"KSh {revenue / 1e6:,.2f}M" in text
    assert "compared with the same period last year (01 Jan 2024 to 30 Jun 2024)" in text


def test_sections_render_figures(demo_engine):
    assert "Weekly revenue and gross profit" in str(run(lambda: trend_section(PERIOD)))
    assert len(run(lambda: top_section(PERIOD)).children) == 4
    assert "gross profit" in text_of(run(lambda: insights_section(PERIOD)))


def test_empty_filters_show_the_empty_state(demo_engine):
    nothing = Filters.create(branch=["Atlantis"])
    for section in (kpi_section, trend_section, top_section, insights_section):
        assert EMPTY_MESSAGE in text_of(run(lambda s=section: s(nothing)))


def test_without_account_customers_only_the_customer_block_is_empty(tmp_path, demo_frame):
    import polars as pl

    from data import service
    from data.engines.duckdb_engine import DuckDBEngine
    from tests.conftest import build_store

    build_store(tmp_path, demo_frame.head(2_000).with_columns(pl.lit("Unassigned").alias("customer")))
    engine = DuckDBEngine(tmp_path)
    service.configure(engine)
    try:
        blocks = run(lambda: top_section(Filters())).children
        assert len(blocks) == 4
        assert "No account customers in this view" in text_of(blocks[3])
        assert all("No account customers" not in text_of(b) for b in blocks[:3])
    finally:
        engine.close()
