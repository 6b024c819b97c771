"""The ideal-customer profile table and sentence say what the frames say."""

from __future__ import annotations

import polars as pl

from components.customer_profile import ROWS, profile_sentence, profile_table


def _profile() -> pl.DataFrame:
    base = {"customers": [10, 40], "gross_profit_share_pct": [80.0, 20.0], "revenue_per_customer": [1000.0, 50.0],
            "avg_transaction_value": [300.0, 100.0], "transactions_per_customer_month": [2.0, 0.5],
            "avg_active_days": [12.0, 2.0], "avg_recency_days": [5.0, 40.0], "margin_pct": [12.0, 15.5],
            "return_rate_pct": [1.0, 2.0]}
    return pl.DataFrame({"group": ["Top tier", "Other customers"], **base})


def _cells(table) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    rows = table.children[1].children
    return {row.id.removeprefix("profile-"): [cell.children for cell in row.children[1:]] for row in rows}


def test_table_compares_top_tier_with_the_rest():
    cells = _cells(profile_table(_profile()))
    assert list(cells) == [r.column for r in ROWS]
    assert cells["avg_transaction_value"] == ["KSh 300", "KSh 100", "3.0×"]
    assert cells["transactions_per_customer_month"] == ["2.0", "0.5", "4.0×"]
    assert cells["margin_pct"] == ["12.0%", "15.5%", "-3.5 pp"]
    assert cells["customers"] == ["10", "40", ""]


def test_sentence_names_frequency_order_value_line_and_margin():
    lines = pl.DataFrame({"group": ["Top tier", "Top tier", "Other customers"],
                          "product_line": ["Solar", "Paint", "Solar"], "group_revenue_share_pct": [60.0, 40.0, 25.0]})
    text = profile_sentence(_profile(), lines)
    assert "The top tier (10 customers) earns 80.0% of account GP." in text
    assert "order 4.0× as often (2.0 vs 0.5 orders a month) and spend 3.0× as much per order." in text
    assert "Solar (60.0% of their revenue, against 25.0% for other customers)" in text
    assert "-3.5 pp" in text
    assert profile_sentence(_profile().head(1), lines) == ""
