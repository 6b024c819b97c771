"""Metrics on tiny hand-computed frames, including zero revenue and returns."""

from __future__ import annotations

import polars as pl
import pytest

from data.metrics import add_shares, change_pct, derive


def test_derive_turns_cents_into_ksh_and_ratios_of_sums():
    frame = pl.DataFrame({
        "revenue_cents": [1_000_000, 0], "cost_cents": [750_050, 10_000], "gross_profit_cents": [249_950, -10_000],
        "transactions": [4, 0], "gross_sales_cents": [1_100_000, 0], "returns_cents": [100_000, 0],
    })
    out = derive(frame)
    assert out["revenue"].to_list() == [10_000.0, 0.0]
    assert out["gross_profit"].to_list() == [2_499.5, -100.0]
    assert out["margin_pct"][0] == pytest.approx(24.995)
    assert out["margin_pct"][1] is None  # zero revenue: no margin, never infinity
    assert out["avg_transaction_value"].to_list() == [2_500.0, None]
    assert out["return_rate_pct"][0] == pytest.approx(100_000 / 1_100_000 * 100)
    assert not [c for c in out.columns if c.endswith("_cents")]


def test_margin_of_a_group_is_a_ratio_of_sums_not_an_average_of_ratios():
    lines = pl.DataFrame({"revenue_cents": [100_00, 900_00], "cost_cents": [50_00, 810_00]})
    total = derive(lines.sum())
    assert total["margin_pct"][0] == pytest.approx((1000 - 860) / 1000 * 100)  # 14.0, not mean(50, 10) = 30


def test_shares_and_change():
    shares = add_shares(pl.DataFrame({"revenue": [30.0, 70.0]}), ("revenue",))
    assert shares["revenue_share_pct"].to_list() == [30.0, 70.0]
    assert change_pct(110, 100) == pytest.approx(10.0)
    assert change_pct(5, 0) is None and change_pct(None, 3) is None
    assert change_pct(-50, -100) == pytest.approx(50.0)
