"""The Overview's insights box: sales too few for an insight are not called "no sales"."""

from __future__ import annotations

import polars as pl

from components.state import EMPTY_MESSAGE
from components.state import render_section as run
from data import service
from data.engines.duckdb_engine import DuckDBEngine
from data.filters import Filters
from data.insights import TOO_LITTLE_DATA, insights
from pages.overview import insights_section
from tests.conftest import build_store
from tests.dash_tree import text_of


def test_sales_without_a_supported_insight_are_not_called_no_sales(tmp_path, demo_frame):
    day = demo_frame["sale_date"].max()
    build_store(tmp_path, demo_frame.filter(pl.col("sale_date") == day).head(3))
    engine = DuckDBEngine(tmp_path)
    service.configure(engine)
    try:
        assert insights(Filters()) == []
        text = text_of(run(lambda: insights_section(Filters())))
        assert TOO_LITTLE_DATA in text and EMPTY_MESSAGE not in text
    finally:
        engine.close()


def test_no_sales_still_says_so(demo_engine):
    text = text_of(run(lambda: insights_section(Filters.create(start="1990-01-01", end="1990-01-31"))))
    assert EMPTY_MESSAGE in text
