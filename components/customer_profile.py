"""The ideal-customer profile: top tier against everyone else, as a small comparison table.

A table, not a chart, because the rows have different units (KSh, days, percent) and the point
is the ratio between the two columns ("top customers buy 12x as often").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import dash_bootstrap_components as dbc
import polars as pl
from dash import html

from components.format import count, ksh, margin, pct, pp

TOP, OTHERS = "Top tier", "Other customers"


@dataclass(frozen=True)
class ProfileRow:
    column: str
    label: str
    fmt: Callable[[float | None], str]
    compare: str  # "ratio" (x times), "pp" (difference in points) or "none"


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def _money(value: float | None) -> str:
    return ksh(value, compact=False)


ROWS: tuple[ProfileRow, ...] = (
    ProfileRow("customers", "Customers", count, "none"),
    ProfileRow("gross_profit_share_pct", "Share of account GP", pct, "pp"),
    ProfileRow("revenue_per_customer", "Revenue per customer", _money, "ratio"),
    ProfileRow("avg_transaction_value", "Average order value", _money, "ratio"),
    ProfileRow("transactions_per_customer_month", "Orders per customer per month", _number, "ratio"),
    ProfileRow("avg_active_days", "Buying days per customer", _number, "ratio"),
    ProfileRow("avg_recency_days", "Days since last purchase (average)", _number, "ratio"),
    ProfileRow("margin_pct", "GP margin", margin, "pp"),
    ProfileRow("return_rate_pct", "Return rate", pct, "pp"),
)


def _compare(row: ProfileRow, top: float | None, others: float | None) -> str:
    if top is None or others is None or row.compare == "none":
        return ""
    if row.compare == "pp":
        return pp(top - others)
    if not others or others < 0 or top < 0:
        return "—"
    return f"{top / others:,.1f}×"


def profile_values(frame: pl.DataFrame) -> dict[str, dict[str, float | None]]:
    """``{group: {column: value}}`` from ``data.customers.ideal_profile``."""
    return {r["group"]: r for r in frame.iter_rows(named=True)}


def profile_table(frame: pl.DataFrame) -> dbc.Table:
    values = profile_values(frame)
    top, others = values.get(TOP, {}), values.get(OTHERS, {})
    body = [
        html.Tr([
            html.Th(row.label, scope="row", className="fw-normal"),
            html.Td(row.fmt(top.get(row.column)), className="text-end fw-semibold"),
            html.Td(row.fmt(others.get(row.column)), className="text-end"),
            html.Td(_compare(row, top.get(row.column), others.get(row.column)), className="text-end text-muted"),
        ], id=f"profile-{row.column}")
        for row in ROWS
    ]
    head = html.Thead(html.Tr([html.Th(""), html.Th(TOP, className="text-end"), html.Th("Others", className="text-end"),
                               html.Th("Top vs others", className="text-end")]))
    return dbc.Table([head, html.Tbody(body)], size="sm", hover=True, responsive=True, className="mb-1 small",
                     id="customers-profile-table")


def profile_sentence(frame: pl.DataFrame, product_lines: pl.DataFrame) -> str:
    """One sentence an owner can act on, computed from the same frames as the table."""
    values = profile_values(frame)
    top, others = values.get(TOP), values.get(OTHERS)
    if not top or not others:
        return ""
    parts = [f"The top tier ({count(top['customers'])} customers) earns {pct(top['gross_profit_share_pct'])} "
             "of account GP."]
    freq_top, freq_others = top.get("transactions_per_customer_month"), others.get("transactions_per_customer_month")
    if freq_top and freq_others:
        parts.append(f"They order {freq_top / freq_others:,.1f}× as often "
                     f"({freq_top:,.1f} vs {freq_others:,.1f} orders a month)")
    if top.get("avg_transaction_value") and others.get("avg_transaction_value"):
        parts[-1] += (f" and spend {top['avg_transaction_value'] / others['avg_transaction_value']:,.1f}× "
                      "as much per order")
    if len(parts) > 1:
        parts[-1] += "."
    top_lines = product_lines.filter(pl.col("group") == TOP).sort("group_revenue_share_pct", descending=True)
    if top_lines.height:
        line = top_lines.row(0, named=True)
        other = product_lines.filter((pl.col("group") == OTHERS) & (pl.col("product_line") == line["product_line"]))
        other_share = other["group_revenue_share_pct"][0] if other.height else 0.0
        parts.append(f"Their biggest product line is {line['product_line']} ({pct(line['group_revenue_share_pct'])} "
                     f"of their revenue, against {pct(other_share)} for other customers).")
    if margin(top.get("margin_pct")) not in ("—", "n/a") and margin(others.get("margin_pct")) not in ("—", "n/a"):
        parts.append(f"Their margin is {margin(top['margin_pct'])} ({pp(top['margin_pct'] - others['margin_pct'])} "
                     "vs the others).")
    return " ".join(parts)
