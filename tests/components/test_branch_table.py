"""The comparison table shows every branch with signed, coloured growth."""

from __future__ import annotations

import polars as pl

from components.branch_table import COMPARISON_COLUMNS, PP_JS, SIGNED_PCT_JS, comparison_grid


def test_grid_lists_every_branch_in_gp_order_with_growth_formatters():
    frame = pl.DataFrame({"branch": ["B", "A"], "gp_rank": [2, 1], "revenue": [1.0, 2.0],
                          "revenue_growth_pct": [-1.0, 3.0], "gross_profit": [0.5, 1.0], "gp_growth_pct": [None, 2.0],
                          "margin_pct": [50.0, 50.0], "margin_change_pp": [0.1, -0.2],
                          "gross_profit_share_pct": [33.3, 66.7]})
    grid = comparison_grid("g", frame)
    assert [r["branch"] for r in grid.rowData] == ["A", "B"]
    by_field = {c["field"]: c for c in COMPARISON_COLUMNS}
    assert by_field["gp_growth_pct"]["valueFormatter"] == {"function": SIGNED_PCT_JS}
    assert by_field["margin_change_pp"]["valueFormatter"] == {"function": PP_JS}
    conditions = [c["condition"] for c in by_field["gp_growth_pct"]["cellStyle"]["styleConditions"]]
    assert conditions == ["params.value > 0", "params.value < 0"]
    assert by_field["branch"]["pinned"] == "left"
