"""AG Grid tables with the house number formats, shared by every page.

Tables show money exactly (``KSh 12,450``) while charts and cards use the compact form; keeping the
formatters here means every grid agrees. The grid takes its colours from the Bootstrap theme
variables, so it follows the light/dark switch without a second stylesheet.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_ag_grid as dag
import polars as pl

# JS value formatters (dash-ag-grid evaluates these strings; ``d3`` is in scope).
MONEY_JS = ("params.value == null ? '—' : "
            "(params.value < 0 ? '-' : '') + 'KSh ' + d3.format(',.0f')(Math.abs(params.value))")
PCT_JS = "params.value == null ? '—' : d3.format('.1f')(params.value) + '%'"
COUNT_JS = "params.value == null ? '—' : d3.format(',.0f')(params.value)"

THEME_JS = (
    "themeQuartz.withParams({backgroundColor: 'var(--bs-body-bg)', foregroundColor: 'var(--bs-body-color)', "
    "headerBackgroundColor: 'var(--bs-tertiary-bg)', accentColor: 'var(--bs-primary)', "
    "fontFamily: 'inherit', fontSize: 13, spacing: 6, wrapperBorderRadius: 6})"
)


def _number(field: str, header: str, formatter: str, **extra: Any) -> dict[str, Any]:
    return {"field": field, "headerName": header, "type": "rightAligned", "filter": "agNumberColumnFilter",
            "valueFormatter": {"function": formatter}, **extra}


def money_column(field: str, header: str, **extra: Any) -> dict[str, Any]:
    """KSh to the shilling, e.g. ``KSh 12,450`` (wide enough for millions without truncation)."""
    return _number(field, header, MONEY_JS, **{"minWidth": 140, **extra})


def pct_column(field: str, header: str, **extra: Any) -> dict[str, Any]:
    """A percentage with one decimal, e.g. ``24.3%``."""
    return _number(field, header, PCT_JS, **extra)


def count_column(field: str, header: str, **extra: Any) -> dict[str, Any]:
    """A whole number with thousands separators (transactions, customers, ranks)."""
    return _number(field, header, COUNT_JS, **extra)


def text_column(field: str, header: str, pinned: bool = False, **extra: Any) -> dict[str, Any]:
    """A label column; ``pinned`` keeps it visible while a narrow screen scrolls the numbers."""
    column: dict[str, Any] = {"field": field, "headerName": header, "filter": "agTextColumnFilter", **extra}
    if pinned:
        column["pinned"] = "left"
    return column


def data_grid(grid_id: Any, frame: pl.DataFrame, columns: Sequence[dict[str, Any]], height: int = 420,
              selectable: bool = False, row_id: str | None = None, **kwargs: Any) -> dag.AgGrid:
    """A sortable, filterable grid over ``frame`` (only the listed columns are shown).

    ``selectable`` lets a click select one row (read ``selectedRows`` in a callback); ``row_id``
    names the column that identifies a row, so selections survive re-sorting."""
    options: dict[str, Any] = {"theme": {"function": THEME_JS}, "animateRows": False,
                               "suppressCellFocus": not selectable, "tooltipShowDelay": 300}
    if selectable:
        options["rowSelection"] = {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True}
    options.update(kwargs.pop("dashGridOptions", {}))
    if row_id:
        kwargs["getRowId"] = f"params.data[{row_id!r}]"
    fields = [c["field"] for c in columns if "field" in c]
    return dag.AgGrid(
        id=grid_id,
        rowData=frame.select([f for f in fields if f in frame.columns]).to_dicts(),
        columnDefs=list(columns),
        # Filters stay in the column menu: header filter buttons would squeeze narrow screens.
        defaultColDef={"sortable": True, "resizable": True, "minWidth": 90, "wrapHeaderText": True,
                       "autoHeaderHeight": True, "suppressHeaderFilterButton": True},
        columnSize="responsiveSizeToFit",
        dashGridOptions=options,
        style={"height": f"{height}px", "width": "100%"},
        **kwargs,
    )
