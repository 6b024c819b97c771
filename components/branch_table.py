"""The branch comparison table: exact KSh figures with growth coloured green/red.

Built on the shared ``components.grid`` so formats match every other table; adds the signed
growth and percentage-point columns the comparison needs.
"""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import polars as pl

from components.format import PP_JS, SIGNED_PCT_JS
from components.grid import data_grid, margin_column, money_column, pct_column, text_column

__all__ = ["COMPARISON_COLUMNS", "PP_JS", "SIGNED_PCT_JS", "comparison_grid", "growth_column"]
GROWTH_STYLE = {
    "styleConditions": [
        {"condition": "params.value > 0", "style": {"color": "var(--bs-success)", "fontWeight": 600}},
        {"condition": "params.value < 0", "style": {"color": "var(--bs-danger)", "fontWeight": 600}},
    ],
}


def growth_column(field: str, header: str, points: bool = False, **extra: Any) -> dict[str, Any]:
    """A signed change (``+12.3%`` or ``-0.8 pp``), green when up and red when down."""
    return pct_column(field, header, valueFormatter={"function": PP_JS if points else SIGNED_PCT_JS},
                      cellStyle=GROWTH_STYLE, **extra)


COMPARISON_COLUMNS: list[dict[str, Any]] = [
    text_column("branch", "Branch", pinned=True, minWidth=110),
    money_column("revenue", "Revenue"),
    growth_column("revenue_growth_pct", "Revenue growth"),
    money_column("gross_profit", "Gross profit"),
    growth_column("gp_growth_pct", "GP growth"),
    margin_column("margin_pct", "GP margin"),
    growth_column("margin_change_pp", "Margin change", points=True),
    pct_column("gross_profit_share_pct", "Share of GP"),
]
ROW_PX, HEADER_PX, SCROLLBAR_PX = 37, 64, 16  # room for a sideways scrollbar on narrow screens


def comparison_grid(grid_id: str, frame: pl.DataFrame) -> dag.AgGrid:
    """Every branch in GP order; tall enough that no row needs an inner scroll. Every number
    column fits its widest value (the grid scrolls sideways inside its card when narrow).
    Transactions and average transaction value are in the CSV/Excel download and the trend."""
    return data_grid(grid_id, frame.sort("gp_rank"), COMPARISON_COLUMNS,
                     height=HEADER_PX + ROW_PX * max(1, frame.height) + 8 + SCROLLBAR_PX)
