"""Shared chart helpers: time axes at the grain of the data, KSh axes in the label language,
room for outside bar labels, and point labels that never overlap."""

from __future__ import annotations

import datetime as dt
import itertools

import plotly.graph_objects as go
import polars as pl
import pytest

from components.branch_charts import branch_trend_lines
from components.charts import (
    GRAIN_MS,
    _box,
    hbar_room,
    period_axis,
    place_labels,
    ranked_bars,
    revenue_profit_trend,
    text_px,
)
from components.format import ksh
from data.filters import Filters
from data.queries import dimension_trend, trend

DAY = dt.date(2025, 6, 28)
DAY_MS = 86_400_000


def _ms(value: dt.datetime | str) -> float:
    when = dt.datetime.fromisoformat(str(value))
    return (when - dt.datetime(1970, 1, 1)).total_seconds() * 1000


def test_one_day_is_one_labelled_day(demo_engine):
    frame = trend(Filters.create(start=DAY, end=DAY), "day")
    assert frame.height == 1
    fig = revenue_profit_trend(frame, "day", "28 Jun 2025")
    axis = fig.layout.xaxis
    low, high = (_ms(v) for v in axis.range)
    assert high - low == pytest.approx(DAY_MS)  # half a day either side of the one bar
    assert axis.dtick >= DAY_MS and axis.tickformat == "%d %b %Y"  # never "23:59:59.9996"
    bars = [t for t in fig.data if t.type == "bar"]
    # The two bars share a third of the day, centred on it (not 1 ms wide, not half the plot).
    assert sum(b.width for b in bars) == pytest.approx(0.3 * DAY_MS)
    assert bars[0].offset == pytest.approx(-0.15 * DAY_MS)


def test_a_branch_trend_over_one_day_is_labelled_by_the_day(demo_engine):
    frame = dimension_trend(Filters.create(start=DAY, end=DAY), "branch", "day")
    fig = branch_trend_lines(frame, "gross_profit", "day", {}, "28 Jun 2025")
    assert fig.layout.xaxis.tickformat == "%d %b %Y" and fig.layout.xaxis.dtick >= DAY_MS
    assert {len(t.x) for t in fig.data} == {1}


@pytest.mark.parametrize(("grain", "days", "dtick"), [("day", 45, 6 * DAY_MS), ("week", 200, 7 * 4 * DAY_MS),
                                                      ("month", 730, "M3"), ("quarter", 1500, "M9"),
                                                      ("year", 4000, "M24")])
def test_ticks_fall_on_period_starts_only(grain, days, dtick):
    start = dt.date(2024, 1, 1)
    periods = pl.date_range(start, start + dt.timedelta(days=days), f"1{grain[0] if grain != 'quarter' else 'q'}"
                            if grain != "month" else "1mo", eager=True).to_list()
    fig = go.Figure(go.Scatter(x=periods, y=[1] * len(periods)))
    period_axis(fig, periods, grain)
    assert fig.layout.xaxis.dtick == dtick
    low, high = (_ms(v) for v in fig.layout.xaxis.range)
    assert high - low == pytest.approx(_ms(dt.datetime.combine(periods[-1], dt.time()))
                                       - _ms(dt.datetime.combine(periods[0], dt.time())) + GRAIN_MS[grain])


def test_money_axes_use_k_m_b_like_the_labels(demo_engine):
    frame = trend(Filters(), "month")
    fig = revenue_profit_trend(frame, "month", "all time")
    assert fig.layout.yaxis.tickformat is None and fig.layout.yaxis.tickmode == "array"
    assert all(t == ksh(v, trim=True) for v, t in zip(fig.layout.yaxis.tickvals, fig.layout.yaxis.ticktext,
                                                      strict=True))
    assert not any("G" in t for t in fig.layout.yaxis.ticktext)


def test_negative_bar_labels_sit_right_of_zero_not_on_the_names():
    frame = pl.DataFrame({"name": ["a", "b", "c"], "gross_profit": [900_000.0, 20_000.0, -350_000.0],
                          "margin_pct": [12.0, 3.0, -40.0]})
    fig = ranked_bars(frame, "name", "Top", "p")
    bars, carrier = fig.data
    assert list(bars.text) == ["KSh 900.00K", "KSh 20.00K", ""]
    assert [t.split("<br>")[0] for t in fig.layout.yaxis.ticktext] == ["a", "b", "c"]
    assert "-40.0% margin" in fig.layout.yaxis.ticktext[2]  # the margin sits under the name
    # The loss's label is drawn by a transparent bar of length 0 in the same slot, right of zero.
    assert carrier.offsetgroup == bars.offsetgroup and list(carrier.x) == [None, None, 0.0]
    assert list(carrier.text) == ["", "", "-KSh 350.00K"] and carrier.textposition == "outside"
    assert carrier.hoverinfo == "skip" and carrier.showlegend is False
    # Every label runs into a right margin wide enough for the widest of them.
    assert fig.layout.margin.r >= max(text_px(t, 11) for t in [*bars.text, *carrier.text])
    assert fig.layout.xaxis.range[1] == pytest.approx(900_000.0) and fig.layout.xaxis.range[0] < -350_000.0


def test_all_negative_bars_still_have_an_axis():
    fig = go.Figure()
    hbar_room(fig, [-5.0, -2.0], ["-5", "-2"])
    assert fig.layout.margin.r >= text_px("-5")
    low, high = fig.layout.xaxis.range
    assert low < -5.0 < 0 < high


def test_point_labels_never_overlap():
    xs = [1.0, 1.05, 1.1, 5.0, 5.02, 9.0, 1.0, 1.02]
    ys = [10.0, 10.2, 10.1, 20.0, 20.0, 30.0, 10.05, 9.9]
    names = [f"Salesperson number {i}" for i in range(len(xs))]
    width, height = 250.0, 250.0
    text, positions = place_labels(xs, ys, names, [6.0] * len(xs), (0, 10), (0, 35), (width, height))
    assert text[0] == names[0]  # the most important point always gets its label when it fits
    boxes = []
    for i, (t, pos) in enumerate(zip(text, positions, strict=True)):
        if t:
            px, py = xs[i] / 10 * width, ys[i] / 35 * height
            boxes.append(_box(px, py, 7.0, text_px(t, 10), 13.0, pos))
    assert len(boxes) >= 3
    for a, b in itertools.combinations(boxes, 2):
        assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
