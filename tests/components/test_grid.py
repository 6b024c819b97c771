"""The shared grid: which columns and rows reach the browser, and in which formats."""

from __future__ import annotations

import polars as pl

from components.grid import MONEY_JS, PCT_JS, count_column, data_grid, money_column, pct_column, text_column


def test_grid_sends_only_listed_columns_and_every_row():
    frame = pl.DataFrame({"name": ["a", "b", "c"], "revenue": [1.0, -2.5, 3.0], "secret": [1, 2, 3],
                          "margin_pct": [10.0, None, 30.0]})
    grid = data_grid("g", frame, [text_column("name", "Name", pinned=True), money_column("revenue", "Revenue"),
                                  pct_column("margin_pct", "Margin")])
    assert grid.rowData == [{"name": "a", "revenue": 1.0, "margin_pct": 10.0},
                            {"name": "b", "revenue": -2.5, "margin_pct": None},
                            {"name": "c", "revenue": 3.0, "margin_pct": 30.0}]
    assert grid.columnDefs[0]["pinned"] == "left"
    assert grid.columnDefs[1]["valueFormatter"] == {"function": MONEY_JS}
    assert grid.columnDefs[2]["valueFormatter"] == {"function": PCT_JS}
    assert "rowSelection" not in grid.dashGridOptions


def test_selectable_grid_selects_one_row_by_click_and_keeps_row_ids():
    frame = pl.DataFrame({"who": ["x"], "n": [4]})
    grid = data_grid("g", frame, [text_column("who", "Who"), count_column("n", "N")], selectable=True, row_id="who")
    assert grid.dashGridOptions["rowSelection"] == {"mode": "singleRow", "checkboxes": False,
                                                    "enableClickSelection": True}
    assert grid.getRowId == "params.data['who']"


def test_money_formatter_keeps_the_sign_outside_the_currency():
    assert MONEY_JS.index("'-'") < MONEY_JS.index("'KSh '")
    assert "',.0f'" in MONEY_JS and "'.1f'" in PCT_JS
