"""Metrics on tiny hand-computed frames, including zero revenue and returns."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from data.metrics import (
    CORE_AGGREGATES,
    KPI_METRICS,
    METRICS,
    add_shares,
    change_pct,
    derive,
    public_metrics,
)
from data.schema import MONEY_SCALE


def test_derive_turns_fixed_point_money_into_ksh_and_ratios_of_sums():
    frame = pl.DataFrame({
        "revenue": [100_000_000, 0], "cost": [75_005_000, 1_000_000], "gross_profit": [24_995_000, -1_000_000],
        "transactions": [4, 0], "gross_sales": [110_000_000, 0], "returns_value": [10_000_000, 0],
    })
    out = derive(frame)
    assert out["revenue"].to_list() == [10_000.0, 0.0]
    assert out["gross_profit"].to_list() == [2_499.5, -100.0]
    assert out["margin_pct"][0] == pytest.approx(24.995)
    assert out["margin_pct"][1] is None  # zero revenue: no margin, never infinity
    assert out["avg_transaction_value"].to_list() == [2_500.0, None]
    assert out["return_rate_pct"][0] == pytest.approx(100_000 / 1_100_000 * 100)
    assert "gross_sales" not in out.columns  # a building block, not a figure people see


@pytest.mark.parametrize(("units", "ksh"), [
    (12_345, 1.23), (12_350, 1.24), (-12_350, -1.24), (-12_349, -1.23), (49, 0.0), (50, 0.01), (-50, -0.01),
    (10_052_512_349_999, 1_005_251_235.0),
])
def test_sums_round_once_half_away_from_zero_to_the_cent(units, ksh):
    assert derive(pl.DataFrame({"revenue": [units]}))["revenue"][0] == ksh


def test_keep_raw_keeps_exact_fixed_point_money():
    out = derive(pl.DataFrame({"revenue": [12_345], "cost": [1]}), keep_raw=True)
    assert out["revenue_raw"].to_list() == [12_345] and out["cost_raw"].to_list() == [1]
    assert MONEY_SCALE == 10_000


def test_margin_of_a_group_is_a_ratio_of_sums_not_an_average_of_ratios():
    lines = pl.DataFrame({"revenue": [100_0000, 900_0000], "gross_profit": [50_0000, 90_0000]})
    total = derive(lines.sum())
    assert total["margin_pct"][0] == pytest.approx((50 + 90) / 1000 * 100)  # 14.0, not mean(50, 10) = 30


def test_output_columns_follow_the_declarations():
    frame = pl.DataFrame({"branch": ["A"], **{name: [1] for name in CORE_AGGREGATES}})
    out = derive(frame)
    assert out.columns == ["branch", *(m.name for m in public_metrics() if m.name in out.columns)]
    assert out.columns == ["branch", "units", "lines", "transactions", "customers", "revenue", "cost", "gross_profit",
                           "margin_pct", "returns_value", "return_rate_pct", "avg_transaction_value", "avg_gp_per_sale"]


def test_every_declaration_is_complete():
    for metric in METRICS.values():
        assert metric.additive != (metric.compute is not None), metric.name
        assert set(metric.inputs) <= set(METRICS), metric.name
        assert metric.label and metric.description and metric.kind
    assert [m for m in KPI_METRICS if METRICS[m].kpi] == list(KPI_METRICS)


def test_shares_and_change():
    shares = add_shares(pl.DataFrame({"revenue": [30.0, 70.0]}), ("revenue",))
    assert shares["revenue_share_pct"].to_list() == [30.0, 70.0]
    assert change_pct(110, 100) == pytest.approx(10.0)
    assert change_pct(5, 0) is None and change_pct(None, 3) is None
    assert change_pct(-50, -100) == pytest.approx(50.0)


def test_ksh_values_are_the_nearest_double_to_the_cent():
    """4765599116 cents must read 47655991.16 in JSON, not 47655991.160000004."""
    out = derive(pl.DataFrame({"revenue": [476_559_911_600, -476_559_911_600, None]}))
    assert out["revenue"].to_list() == [47655991.16, -47655991.16, None]


def test_importing_the_metrics_resolves_polars_numpy_proxy_before_any_thread_can_race_on_it():
    """``_cents_to_ksh`` runs in Polars' threads; the first use of Polars' lazy NumPy proxy from two
    threads at once can fail (a cache test's worker process did). A fresh process must find the
    proxy already resolved once ``data.metrics`` is imported."""
    import subprocess
    import sys

    code = "import data.metrics, polars._dependencies as d; print('ndarray' in vars(d.numpy))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "True"
