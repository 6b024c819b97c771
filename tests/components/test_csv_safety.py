"""CSV downloads cannot carry a formula: text that starts like one is quoted, numbers stay numbers."""

from __future__ import annotations

import csv
import io

import polars as pl
import pytest

from components.csv_safety import safe_cell, safe_frame, safe_text
from components.exports import download_payload, register_table
from data.filters import Filters
from data.queries import breakdown
from tests.conftest import build_store

EVIL = ["=1+1", '=HYPERLINK("http://evil","x")', "+254700000000", "-5", "@SUM(A1)", "\tTab", "\rReturn"]


@pytest.mark.parametrize("text", EVIL)
def test_text_starting_like_a_formula_gets_a_quote(text):
    assert safe_text(text) == "'" + text and safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Mombasa", "O'Brien Ltd", "", "a=b", "5-a-side", 7, -5, -2.5, None, True])
def test_everything_else_is_left_alone(value):
    assert safe_cell(value) == value


def test_only_text_columns_change():
    frame = pl.DataFrame({"name": [*EVIL, "Plain", None], "value": [-1.5, 2.0, -3.0, -5.0, 0.0, 1.0, 2.0, -9.0, 4.0]})
    frame = frame.with_columns(pl.col("name").cast(pl.Categorical).alias("category"))
    out = safe_frame(frame)
    assert out["name"].to_list() == [*("'" + t for t in EVIL), "Plain", None]
    assert out["category"].to_list() == out["name"].to_list()
    assert out["value"].to_list() == frame["value"].to_list() and out.schema["value"] == pl.Float64


def test_dashboard_csv_neutralises_names_but_keeps_negative_numbers(tmp_path, demo_frame):
    from data import service
    from data.engines.duckdb_engine import DuckDBEngine

    names = ["=1+1", '=HYPERLINK("http://evil","x")', "-5", "@cmd"]
    lines = demo_frame.head(400).with_columns(
        pl.Series("salesperson", [names[i % len(names)] for i in range(400)]),
        pl.Series("product_line", [names[(i + 1) % len(names)] for i in range(400)]),
    )
    # A loss-making line, so a negative figure is in the file too.
    lines = lines.with_columns(pl.when(pl.col("salesperson") == "-5").then(pl.col("revenue") * 3)
                               .otherwise(pl.col("cost")).alias("cost"))
    build_store(tmp_path, lines)
    engine = DuckDBEngine(tmp_path)
    service.configure(engine)
    try:
        register_table("test-evil", "test-evil-people", "People", lambda f: breakdown(f, "salesperson"))
        rows = list(csv.DictReader(io.StringIO(download_payload("csv", "test-evil-people", Filters())["content"])))
        assert sorted(r["Salesperson"] for r in rows) == sorted("'" + n for n in names)
        loss = next(r for r in rows if r["Salesperson"] == "'-5")
        assert float(loss["Gross profit (KSh)"]) < 0 and not loss["Gross profit (KSh)"].startswith("'")
    finally:
        engine.close()
