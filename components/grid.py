"""AG Grid tables with the house number formats, shared by every page.

Tables show money exactly (``KSh 1,052,512,345``) while charts and cards use the compact form; the
cell formatters are the JavaScript twins of ``components.format`` (same signs, "n/a" margins). Every
number column is at least as wide as the text of its widest value in the frame, so a figure is
never cut to "KSh 1,052,512,..." (a narrow screen scrolls the grid sideways instead). The grid takes
its colours from the Bootstrap theme variables, so it follows the light/dark switch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_ag_grid as dag
import polars as pl

from components.format import COUNT_JS, GRID_FORMATTERS, MARGIN_JS, MONEY_JS, PCT_JS

__all__ = ["COUNT_JS", "MARGIN_JS", "MONEY_JS", "PCT_JS", "count_column", "data_grid", "fitted_columns",
           "margin_column", "money_column", "pct_column", "text_column"]

FONT_PX = 13
# Average width of a figure's characters (digits, commas, "KSh ") as a share of the font size:
# 0.56 measured with DejaVu Sans, the widest of the fonts system-ui resolves to; 0.6 leaves room.
GLYPH_EM = 0.6
CELL_PADDING_PX = 28  # the two 11 px cell paddings plus a few pixels of slack
HEADER_EXTRA_PX = 12  # a header word also needs room for the sort arrow

THEME_JS = (
    "themeQuartz.withParams({backgroundColor: 'var(--bs-body-bg)', foregroundColor: 'var(--bs-body-color)', "
    "headerBackgroundColor: 'var(--bs-tertiary-bg)', accentColor: 'var(--bs-primary)', "
    "fontFamily: 'inherit', fontSize: 13, spacing: 6, wrapperBorderRadius: 6})"
)


def _number(field: str, header: str, formatter: str, **extra: Any) -> dict[str, Any]:
    return {"field": field, "headerName": header, "type": "rightAligned", "filter": "agNumberColumnFilter",
            "valueFormatter": {"function": formatter}, **extra}


def money_column(field: str, header: str, **extra: Any) -> dict[str, Any]:
    """KSh to the shilling, e.g. ``KSh 12,450`` (``data_grid`` widens it to its largest value)."""
    return _number(field, header, MONEY_JS, **{"minWidth": 110, **extra})


def pct_column(field: str, header: str, **extra: Any) -> dict[str, Any]:
    """A percentage with one decimal, e.g. ``24.3%``."""
    return _number(field, header, PCT_JS, **extra)


def margin_column(field: str, header: str, **extra: Any) -> dict[str, Any]:
    """A GP margin: ``24.3%``, or "n/a" beyond ±1000% (see ``components.format.margin``)."""
    return _number(field, header, MARGIN_JS, **extra)


def count_column(field: str, header: str, **extra: Any) -> dict[str, Any]:
    """A whole number with thousands separators (transactions, customers, ranks)."""
    return _number(field, header, COUNT_JS, **extra)


def text_column(field: str, header: str, pinned: bool = False, **extra: Any) -> dict[str, Any]:
    """A label column; ``pinned`` keeps it visible while a narrow screen scrolls the numbers."""
    column: dict[str, Any] = {"field": field, "headerName": header, "filter": "agTextColumnFilter", **extra}
    if pinned:
        column["pinned"] = "left"
    return column


BOLD_FACTOR = 1.12  # semibold figures (growth and loss styles) are wider


def text_width(text: str, bold: bool = False) -> int:
    """Pixels a cell needs to show ``text`` whole (estimated generously)."""
    return int(len(text) * FONT_PX * GLYPH_EM * (BOLD_FACTOR if bold else 1.0) + CELL_PADDING_PX + 0.5)


def header_width(header: str) -> int:
    """Pixels for the longest word of a wrapping header (headers wrap between words only)."""
    return text_width(max(header.split() or [""], key=len)) + HEADER_EXTRA_PX


def fitted_columns(frame: pl.DataFrame, columns: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """``columns`` with each formatted number column's ``minWidth`` raised to fit the text of its
    widest value in ``frame`` (the formatter's Python twin gives the exact text) and the longest
    word of its header; a column with no ``minWidth`` of its own gets exactly that, so narrow
    figures (``51.5%``) leave room for wide ones (``KSh 1,052,512,345``)."""
    fitted = []
    for column in columns:
        formatter = GRID_FORMATTERS.get((column.get("valueFormatter") or {}).get("function", ""))
        field = column.get("field")
        if formatter is None or field not in frame.columns or frame.is_empty():
            fitted.append(dict(column))
            continue
        values = frame.get_column(field).drop_nulls()
        candidates = [values.min(), values.max()] if values.len() else []
        bold = "fontWeight" in str(column.get("cellStyle", ""))
        widest = max([text_width(formatter(v), bold) for v in candidates] or [0])
        needed = max(int(column.get("minWidth", 0)), widest, header_width(column.get("headerName", "")))
        out = {**column, "minWidth": needed}
        if "maxWidth" in out and out["maxWidth"] < needed:
            out["maxWidth"] = needed
        fitted.append(out)
    return fitted


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
        columnDefs=fitted_columns(frame, columns),
        # Filters stay in the column menu: header filter buttons would squeeze narrow screens.
        defaultColDef={"sortable": True, "resizable": True, "minWidth": 70, "wrapHeaderText": True,
                       "autoHeaderHeight": True, "suppressHeaderFilterButton": True},
        columnSize="responsiveSizeToFit",
        dashGridOptions=options,
        style={"height": f"{height}px", "width": "100%"},
        **kwargs,
    )
