"""A one-day range reads as one labelled day on every time chart (issue 9, item 2)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot, wait_for_sections
from tests.browser.geometry import boxes, wait_for_plots

pytestmark = pytest.mark.browser
DAY = "?startDate=2025-06-28&endDate=2025-06-28"
LABEL = "28 Jun 2025"


def _ticks(page, chart: str, nth: int = 0) -> list[str]:  # type: ignore[no-untyped-def]
    """Tick labels of the x axis of the ``nth`` graph matching ``chart``."""
    return page.evaluate("([sel, n]) => [...document.querySelectorAll(sel)[n].querySelectorAll('.xtick text')]"
                         ".map(t => t.textContent).filter(t => t)", [chart, nth])


def _plot_width(page, chart: str) -> float:  # type: ignore[no-untyped-def]
    return page.evaluate("sel => document.querySelector(sel + ' .nsewdrag').getBoundingClientRect().width", chart)


def test_overview_trend_of_one_day_is_one_labelled_day(page, live_url):
    page.goto(live_url + "/" + DAY)
    wait_for_sections(page, "overview-trend")
    chart = "#overview-trend .js-plotly-plot"
    wait_for_plots(page, chart)
    screenshot(page, "single-day-overview")
    assert _ticks(page, chart) == [LABEL]  # not "23:59:59.9996 Nov 27" and friends
    plot = _plot_width(page, chart)
    bars = page.evaluate(f"() => [...document.querySelectorAll('{chart} .barlayer .point path')]"
                         ".map(p => p.getBoundingClientRect().width)")
    assert len(bars) == 2 and all(0 < w < 0.25 * plot for w in bars)  # visible, and not half the plot
    assert page.console_log.errors() == []


def test_branch_trend_of_one_day_is_one_labelled_day(page, live_url):
    page.goto(live_url + "/branches" + DAY)
    wait_for_sections(page, "branches-trend")
    chart = "#branches-trend .js-plotly-plot"
    wait_for_plots(page, chart)
    assert _ticks(page, chart) == [LABEL]
    # Every branch's point sits on the day's tick, in the middle of the plot.
    tick = boxes(page, f"{chart} .xtick text")[0]
    centre = (tick.left + tick.right) / 2
    points = page.evaluate(f"() => [...document.querySelectorAll('{chart} .scatterlayer .point')]"
                           ".map(p => { const r = p.getBoundingClientRect(); return (r.left + r.right) / 2; })")
    assert points and all(abs(x - centre) < 3 for x in points)


def test_salesperson_trend_of_one_day_and_a_short_range_use_days(page, live_url):
    page.goto(live_url + "/salespeople" + DAY)
    wait_for_sections(page, "sp-drill")
    chart = "#sp-drill .js-plotly-plot"
    wait_for_plots(page, chart)
    assert page.locator(chart).first.evaluate("g => g.layout.title.text").startswith("Daily")
    assert _ticks(page, chart, 0) == [LABEL]
    page.goto(live_url + "/?startDate=2025-06-26&endDate=2025-06-28")
    wait_for_sections(page, "overview-trend")
    wait_for_plots(page, "#overview-trend .js-plotly-plot")
    ticks = _ticks(page, "#overview-trend .js-plotly-plot")
    assert ticks == ["26 Jun", "27 Jun", "28 Jun"]  # whole days, never hours
