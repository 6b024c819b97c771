"""Query results equal an independent Polars computation on the same lines, to the cent."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from data.filters import Filters
from data.queries import breakdown, kpis, summary, trend


def _expected(frame: pl.DataFrame) -> dict[str, float]:
    cents = frame.select(
        (pl.col("revenue") * 100).round(0).cast(pl.Int64).alias("r"),
        (pl.col("cost") * 100).round(0).cast(pl.Int64).alias("c"),
    )
    return {"revenue": cents["r"].sum() / 100, "gross_profit": (cents["r"].sum() - cents["c"].sum()) / 100}


def test_summary_matches_polars_to_the_cent(demo_engine, demo_frame):
    got = summary(Filters()).row(0, named=True)
    want = _expected(demo_frame)
    assert got["revenue"] == pytest.approx(want["revenue"], abs=0.001)
    assert got["gross_profit"] == pytest.approx(want["gross_profit"], abs=0.001)
    assert got["lines"] == demo_frame.height


def test_filtered_breakdown_matches_polars(demo_engine, demo_frame):
    filters = Filters.create(start="2024-01-01", end="2024-12-31", branch=["Mombasa", "Kisumu"])
    got = breakdown(filters, "product_line")
    subset = demo_frame.filter(
        pl.col("sale_date").is_between(filters.start, filters.end),
        pl.col("branch").is_in(["Mombasa", "Kisumu"]),
    )
    for row in got.iter_rows(named=True):
        want = _expected(subset.filter(pl.col("product_line") == row["product_line"]))
        assert row["revenue"] == pytest.approx(want["revenue"], abs=0.001)
        assert row["gross_profit"] == pytest.approx(want["gross_profit"], abs=0.001)
    assert got["gp_rank"].to_list() == list(range(1, got.height + 1))


@pytest.mark.parametrize("evil", ["' OR 1=1 --", "Nairobi'; DROP TABLE sales;", "x\") OR (1=1"])
def test_injection_looking_values_match_nothing(demo_engine, evil):
    frame = summary(Filters.create(branch=[evil]))
    assert frame["lines"][0] == 0
    assert summary(Filters())["lines"][0] > 0  # the table is still there


def test_empty_selection_means_no_filter(demo_engine, demo_frame):
    assert summary(Filters.create(branch=[]))["lines"][0] == demo_frame.height


def test_trend_periods_sum_to_total(demo_engine):
    months = trend(Filters(), "month")
    assert months["revenue"].sum() == pytest.approx(summary(Filters())["revenue"][0], abs=0.01)


def test_kpis_compare_with_previous_period(demo_engine):
    result = kpis(Filters.create(start="2025-01-01", end="2025-03-31", compare="previous"))
    assert result["comparison"] == "previous"
    assert result["previousPeriod"]["start"].isoformat() == "2024-10-03"
    assert result["previousPeriod"]["end"].isoformat() == "2024-12-31"
    assert result["metrics"]["revenue"]["previous"] is not None


def test_previous_period_before_year_one_is_none_not_an_error(demo_engine):
    from data.queries import previous_period

    # Dates this early are refused at the edges (MIN_DATE), so build the value directly.
    assert previous_period(Filters(start=dt.date(1, 1, 5), end=dt.date(1, 2, 1))) is None
    assert previous_period(Filters(start=dt.date(1, 1, 5), end=dt.date(1, 2, 1), compare="lastYear")) is None


def test_kpis_without_earlier_sales_have_no_previous_values(demo_engine):
    result = kpis(Filters.create(start="2022-01-01", end="2022-06-30"))
    assert all(item["previous"] is None and item["change"] is None for item in result["metrics"].values())


def test_previous_period_figures_match_polars(demo_engine, demo_frame):
    result = kpis(Filters.create(start="2025-01-01", end="2025-03-31", compare="previous"))
    before = demo_frame.filter(pl.col("sale_date").is_between(dt.date(2024, 10, 3), dt.date(2024, 12, 31)))
    assert result["metrics"]["revenue"]["previous"] == pytest.approx(_expected(before)["revenue"], abs=0.001)
    now = result["metrics"]["revenue"]["value"]
    assert result["metrics"]["revenue"]["change"] == pytest.approx((now / _expected(before)["revenue"] - 1) * 100)


def test_a_range_past_the_data_is_clipped_before_comparing(demo_engine):
    clipped = kpis(Filters.create(start="2025-01-01", end="2025-12-31", compare="previous"))  # data ends 2025-06-30
    assert clipped["period"]["end"] == dt.date(2025, 6, 30)
    assert clipped["previousPeriod"]["start"] == dt.date(2024, 7, 4)  # 181 days before 2025-01-01


@pytest.mark.parametrize(("start", "end", "mode", "prev_start", "prev_end"), [
    ("2025-01-01", "2025-06-30", "lastYear", "2024-01-01", "2024-06-30"),  # year to date
    ("2025-04-01", "2025-05-20", "lastYear", "2024-04-01", "2024-05-20"),  # quarter to date
    ("2025-05-01", "2025-05-31", "lastYear", "2024-05-01", "2024-05-31"),  # a calendar month
    ("2025-03-15", "2025-04-13", "previous", "2025-02-13", "2025-03-14"),  # 30 days
    ("2024-11-01", "2025-02-28", "previous", "2024-07-04", "2024-10-31"),  # spans a year end
])
def test_auto_comparison_is_last_year_for_to_date_ranges(demo_engine, start, end, mode, prev_start, prev_end):
    result = kpis(Filters.create(start=start, end=end))
    assert result["comparison"] == mode
    assert (result["previousPeriod"]["start"].isoformat(), result["previousPeriod"]["end"].isoformat()) == \
        (prev_start, prev_end)


def test_last_year_of_a_leap_day_is_the_28th(demo_engine):
    from data.queries import previous_period

    prev = previous_period(Filters.create(start="2024-02-01", end="2024-02-29"))
    assert (prev.start, prev.end) == (dt.date(2023, 2, 1), dt.date(2023, 2, 28))


def test_a_start_after_the_data_keeps_its_dates_and_has_no_comparison(demo_engine):
    result = kpis(Filters.create(start="2999-12-31"))
    assert result["period"] == {"start": dt.date(2999, 12, 31), "end": None}
    assert result["previousPeriod"] == {"start": None, "end": None} and result["comparison"] is None
    assert result["lines"] == 0


def test_breakdown_returns_every_group(demo_engine, demo_frame):
    got = breakdown(Filters(), "branch")
    assert set(got["branch"]) == set(demo_frame["branch"].unique())


def test_search_keeps_ranks_and_shares_of_the_whole_view(demo_engine):
    everything = breakdown(Filters(), "item_name")
    pipes = breakdown(Filters(), "item_name", search="pipe")
    assert 0 < pipes.height < everything.height
    assert pipes.join(everything, on="item_name").filter(
        (pl.col("gp_rank") != pl.col("gp_rank_right"))
        | (pl.col("gross_profit_share_pct") != pl.col("gross_profit_share_pct_right"))
    ).is_empty()


def test_no_sales_reads_zero_not_null(demo_engine):
    row = summary(Filters.create(branch=["Atlantis"])).row(0, named=True)
    assert row["revenue"] == 0 and row["transactions"] == 0 and row["margin_pct"] is None


def test_the_comparison_is_only_offered_when_the_data_has_it(demo_engine):
    from data.queries import comparison_label

    assert comparison_label(Filters()) == "no earlier period in the data to compare"  # all time
    assert comparison_label(Filters.create(start="2025-01-01", end="2025-03-31")).startswith(
        "vs same period last year (01 Jan 2024 to 31 Mar 2024)")
