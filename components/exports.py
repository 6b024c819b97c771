"""Downloads: every table as CSV with all rows, and each page as one Excel workbook.

Pages register the tables they show (a name, a label and a function of ``Filters`` returning the
full frame); one callback in the shell serves every download button from this registry.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dash_bootstrap_components as dbc
import polars as pl
import xlsxwriter

from components.csv_safety import safe_frame
from data.filters import Filters
from data.metrics import METRICS


@dataclass(frozen=True)
class ExportTable:
    page: str
    key: str
    label: str
    build: Callable[[Filters], pl.DataFrame]


_TABLES: dict[str, ExportTable] = {}

COLUMN_LABELS: dict[str, str] = {
    "period": "Period", "branch": "Branch", "product_line": "Product line", "item_group": "Item group",
    "item_name": "Item", "salesperson": "Salesperson", "customer": "Customer",
    "gp_rank": "GP rank", "revenue_rank": "Revenue rank", "first_sale": "First sale", "last_sale": "Last sale",
    "recency_days": "Days since last purchase", "active_days": "Active days",
}


def register_table(page: str, key: str, label: str, build: Callable[[Filters], pl.DataFrame]) -> None:
    """Make ``key`` downloadable (CSV button) and part of ``page``'s Excel workbook."""
    _TABLES[key] = ExportTable(page, key, label, build)


def table(key: str) -> ExportTable:
    return _TABLES[key]


def tables_for(page: str) -> list[ExportTable]:
    return [t for t in _TABLES.values() if t.page == page]


def _label(column: str) -> str:
    if column in COLUMN_LABELS:
        return COLUMN_LABELS[column]
    if column in METRICS:
        metric = METRICS[column]
        unit = {"money": " (KSh)", "pct": " (%)"}.get(metric.kind, "")
        return metric.label + unit
    if column.endswith("_share_pct"):
        base = column.removesuffix("_share_pct")
        return f"Share of {METRICS[base].label.lower() if base in METRICS else base} (%)"
    return column.replace("_", " ").capitalize()


def export_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Human column names and money/percent rounding for people opening the file."""
    rounded = frame.with_columns(
        [pl.col(c).round(2) for c, t in frame.schema.items() if t == pl.Float64]
    )
    return rounded.rename({c: _label(c) for c in frame.columns})


def csv_text(key: str, filters: Filters) -> str:
    """All rows of a registered table as CSV, text cells made inert (``components.csv_safety``)."""
    return safe_frame(export_frame(table(key).build(filters))).write_csv()


def workbook_bytes(page: str, filters: Filters) -> bytes:
    """One sheet per registered table of ``page``, plus a sheet stating the filters."""
    buffer = io.BytesIO()
    # Names come from ingested files: text like "=HYPERLINK(...)" must stay text, never a formula.
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "nan_inf_to_errors": True}
    with xlsxwriter.Workbook(buffer, options) as workbook:
        about = workbook.add_worksheet("Filters")
        about.write_row(0, 0, ["Mauzo export", page])
        about.write_row(1, 0, ["Filters", filters.describe()])
        used: set[str] = {"Filters"}
        for item in tables_for(page):
            name = _sheet_name(item.label, used)
            frame = export_frame(item.build(filters))
            if frame.is_empty():
                workbook.add_worksheet(name).write(0, 0, "No sales match these filters")
            else:
                frame.write_excel(workbook=workbook, worksheet=name, autofit=True)
    return buffer.getvalue()


def _sheet_name(label: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", label)[:28].strip() or "Sheet"
    name, n = base, 2
    while name in used:
        name, n = f"{base[:25]} {n}", n + 1
    used.add(name)
    return name


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def csv_button(key: str, label: str = "CSV") -> dbc.Button:
    return dbc.Button(
        "⤓ " + label,
        id={"type": "csv-download", "table": key},
        size="sm", color="secondary", outline=True, className="mauzo-csv",
        title="Download every row as CSV",
    )


def excel_button(page: str) -> dbc.Button:
    return dbc.Button(
        "Excel workbook", id={"type": "xlsx-download", "page": page}, size="sm", color="secondary",
        outline=True, title="Download this page's tables as one Excel workbook",
    )


def download_payload(kind: str, name: str, filters: Filters) -> dict[str, Any]:
    """The ``dcc.Download`` data for a button (built without Dash's helpers so it is testable)."""
    import base64

    stamp = slug(filters.describe())[:60]
    if kind == "csv":
        return {"content": csv_text(name, filters), "filename": f"mauzo-{name}-{stamp}.csv", "type": "text/csv",
                "base64": False}
    content = base64.b64encode(workbook_bytes(name, filters)).decode()
    return {"content": content, "filename": f"mauzo-{slug(name)}-{stamp}.xlsx", "base64": True,
            "type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
