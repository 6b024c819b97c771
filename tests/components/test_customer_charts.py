"""Customer figures: disagreement colours, Pareto annotation, tiers and preferences."""

from __future__ import annotations

import polars as pl
import pytest

from components.customer_charts import (
    BOTH_COLOR,
    ONLY_COLOR,
    pareto_chart,
    preference_bars,
    short_label,
    tier_chart,
    top_customers_bars,
)
from data.customers import pareto_curve, pareto_point


def _customers() -> pl.DataFrame:
    return pl.DataFrame({
        "customer": ["Alpha Ltd", "Beta Wholesalers and Distributors Limited", "Gamma", "Delta"],
        "revenue": [900.0, 800.0, 100.0, 50.0],
        "gross_profit": [50.0, 120.0, 60.0, -10.0],
        "margin_pct": [5.6, 15.0, 60.0, -20.0],
    })


def test_top_bars_mark_customers_missing_from_the_other_list():
    others = {"Beta Wholesalers and Distributors Limited", "Gamma"}
    fig = top_customers_bars(_customers(), "revenue", "Top 3 by revenue", "the period", others=others, top=3)
    bar = fig.data[0]
    assert list(bar.x) == [900.0, 800.0, 100.0]
    assert list(bar.marker.color) == [ONLY_COLOR, BOTH_COLOR, BOTH_COLOR]
    assert bar.y[1] == short_label("Beta Wholesalers and Distributors Limited") and bar.y[1].endswith("…")
    assert bar.customdata[1][0] == "Beta Wholesalers and Distributors Limited"  # full name on hover
    assert list(bar.text) == ["KSh 900", "KSh 800", "KSh 100"]


def test_pareto_chart_marks_the_80_percent_point():
    curve = pareto_curve(_customers())
    point = pareto_point(curve)
    # GP 120, 60, 50, -10 (total 220): the top two reach 180 / 220 = 81.8%.
    assert point == {"customers": 2, "customer_share_pct": 50.0, "cum_gp_share_pct": pytest.approx(180 / 220 * 100),
                     "total_customers": 4}
    fig = pareto_chart(curve, point, "the period")
    assert "Top 50.0% of customers (2 of 4)" in fig.layout.annotations[0].text
    assert fig.data[1].y[-1] == pytest.approx(100.0)
    assert fig.layout.shapes[0].y0 == 80.0  # the 80% line


def test_tier_chart_shows_three_shares_per_tier():
    tiers = pl.DataFrame({"tier": ["A", "B", "C"], "tier_label": ["Top 20%", "Next 30%", "Remaining 50%"],
                          "customers_share_pct": [20.0, 30.0, 50.0], "revenue_share_pct": [70.0, 20.0, 10.0],
                          "gross_profit_share_pct": [80.0, 15.0, 5.0]})
    fig = tier_chart(tiers, "the period")
    assert [t.name for t in fig.data] == ["Share of customers", "Share of revenue", "Share of gross profit"]
    assert list(fig.data[2].y) == [80.0, 15.0, 5.0]
    assert list(fig.data[2].text) == ["80.0%", "15.0%", "5.0%"]


def test_preference_bars_order_by_the_top_tier():
    prefs = pl.DataFrame({"group": ["Top tier", "Top tier", "Other customers", "Other customers", "Other customers"],
                          "product_line": ["Solar", "Paint", "Solar", "Paint", "Tools"],
                          "group_revenue_share_pct": [70.0, 30.0, 20.0, 50.0, 30.0]})
    fig = preference_bars(prefs, "product_line", "What they buy", "the period")
    top, others = fig.data
    assert list(top.y) == ["Solar", "Paint", "Tools"]
    assert list(top.x) == [70.0, 30.0, None] and list(others.x) == [20.0, 50.0, 30.0]


def test_long_pareto_curves_are_thinned_but_keep_their_ends_and_peak():
    import polars as pl

    from components.customer_charts import thin_curve

    n = 20_001
    shares = [min(100.0 + 5.0, i / 100) if i < 15_000 else 105.0 - (i - 15_000) / 1000 for i in range(n)]
    curve = pl.DataFrame({"rank": list(range(n)), "cum_gp_share_pct": shares})
    thin = thin_curve(curve, max_points=500)
    assert thin.height <= 503
    assert thin["rank"][0] == 0 and thin["rank"][-1] == n - 1
    assert thin["cum_gp_share_pct"].max() == curve["cum_gp_share_pct"].max()
    assert thin_curve(curve.head(100), max_points=500).height == 100
