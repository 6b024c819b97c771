"""What a person sees on the Branches page, in headless Chromium."""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlparse

import pytest

from data import service
from data.branches import branch_comparison
from data.engines.duckdb_engine import DuckDBEngine
from data.filters import Filters
from tests.browser.conftest import (
    dim_control,
    phone_width,
    screenshot,
    select_dropdown,
    summary_says,
    wait_for_sections,
)

pytestmark = pytest.mark.browser
PERIOD = "?startDate=2025-01-01&endDate=2025-06-30"
SECTIONS = ("branches-comparison", "branches-trend", "branches-heatmap")
GROWTH = "#branches-comparison .js-plotly-plot"
TREND = "#branches-trend .js-plotly-plot"
HEATMAP = "#branches-heatmap .js-plotly-plot"


def _open(page, live_url: str, query: str = PERIOD) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_url + "/branches" + query)
    wait_for_sections(page, *SECTIONS)
    page.wait_for_selector("#branches-comparison-grid .ag-row", state="attached")


def _bars(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.evaluate(f"() => Array.from(document.querySelector('{GROWTH}').data[0].y)")


def _gp(page) -> list[float]:  # type: ignore[no-untyped-def]
    return page.evaluate(f"() => Array.from(document.querySelector('{GROWTH}').data[0].x)")


def _title(page, selector: str) -> str:  # type: ignore[no-untyped-def]
    return page.evaluate(f"() => document.querySelector('{selector}').layout.title.text")


def test_branches_render_with_data_and_no_console_errors(page, live_url):
    _open(page, live_url)
    assert len(_bars(page)) >= 5
    assert page.locator("#branches-comparison-grid .ag-center-cols-container .ag-row").count() == len(_bars(page))
    assert "01 Jan 2025 to 30 Jun 2025" in _title(page, TREND)
    assert "01 Jan 2025 to 30 Jun 2025" in _title(page, HEATMAP)
    assert "same period last year (01 Jan 2024 to 30 Jun 2024)" in page.inner_text("#branches-growth-note")
    screenshot(page, "branches-1280")
    assert page.console_log.errors() == []


def test_filter_change_updates_figures_url_and_survives_reload(page, live_url):
    _open(page, live_url)
    before = _gp(page)
    select_dropdown(page, dim_control("product_line"), "Plumbing")
    page.wait_for_function("() => location.search.includes('productLine=Plumbing')")
    page.wait_for_function(f"() => document.querySelector('{HEATMAP}').data[0].x.length === 1")
    # Wait on numbers, not on JSON text (Python writes 5.0 where JavaScript writes 5).
    page.wait_for_function(
        f"v => {{ const g = document.querySelector('{GROWTH}'); "
        f"return g && g.data && Array.from(g.data[0].x).reduce((a, b) => a + b, 0) < v - 0.005; }}",
        arg=sum(before),
    )
    assert sum(_gp(page)) < sum(before)  # one product line earns less than all of them
    query = parse_qs(urlparse(page.url).query)
    assert query["productLine"] == ["Plumbing"] and query["startDate"] == ["2025-01-01"]
    page.reload()
    wait_for_sections(page, *SECTIONS)
    page.wait_for_function(f"() => document.querySelector('{HEATMAP}') && "
                           f"document.querySelector('{HEATMAP}').data[0].x.length === 1")
    summary_says(page, "product line Plumbing")
    assert page.console_log.errors() == []


def test_growth_bar_click_cross_filters_and_undo_restores(page, live_url):
    _open(page, live_url)
    first = _bars(page)[0]
    page.locator(GROWTH).locator("g.point path").first.click(force=True)
    page.wait_for_function(f"() => location.search.includes('branch={first.replace(' ', '+')}')")
    page.wait_for_selector("#xfilter-chip .mauzo-xfilter-undo", state="visible")
    page.wait_for_function(f"() => document.querySelector('{GROWTH}').data[0].y.length === 1")
    page.click("#xfilter-undo-btn")
    page.wait_for_function("() => !location.search.includes('branch=')")
    page.wait_for_function(f"() => document.querySelector('{GROWTH}').data[0].y.length > 1")


def test_heatmap_cell_click_filters_by_the_chosen_dimension(page, live_url):
    _open(page, live_url)
    page.locator("#branches-heatmap-click label", has_text="Product line").click()
    page.wait_for_function("() => Array.from(document.querySelectorAll('#branches-heatmap [id]'))"
                           ".some(e => e.id.includes('product_line') && e.id.includes('xfilter'))")
    page.wait_for_function(f"() => document.querySelector('{HEATMAP}')?._fullLayout?.xaxis !== undefined")
    line = page.evaluate(f"() => document.querySelector('{HEATMAP}').data[0].x[0]")
    x, y = page.evaluate(f"""() => {{
        const gd = document.querySelector('{HEATMAP}'); const r = gd.getBoundingClientRect();
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
        return [r.left + xa._offset + xa.l2p(0), r.top + ya._offset + ya.l2p(0)]; }}""")
    page.mouse.click(x, y)
    page.wait_for_function("v => new URLSearchParams(location.search).getAll('productLine').includes(v)", arg=line)
    page.wait_for_selector("#xfilter-chip .mauzo-xfilter-undo", state="visible")


def test_metric_selector_changes_the_trend(page, live_url):
    _open(page, live_url)
    assert _title(page, TREND).startswith("Weekly gross profit by branch")
    select_dropdown(page, "branches-trend-metric", "Avg transaction value")
    page.wait_for_function(f"() => document.querySelector('{TREND}') && "
                           f"document.querySelector('{TREND}').layout.title.text.startsWith('Weekly avg transaction')")
    assert page.console_log.errors() == []


def test_comparison_csv_has_every_branch(page, live_url, demo_store):
    service.configure(DuckDBEngine(demo_store))
    expected = branch_comparison(Filters.create(start="2025-01-01", end="2025-06-30"))
    _open(page, live_url)
    with page.expect_download() as info:
        page.click("#branches-comparison .mauzo-csv")
    rows = list(csv.DictReader(io.StringIO(open(info.value.path(), encoding="utf-8").read())))
    assert [r["Branch"] for r in rows] == expected["branch"].to_list()
    assert float(rows[0]["Gross profit (KSh)"]) == pytest.approx(expected["gross_profit"][0], abs=0.01)


def test_branches_are_readable_on_a_phone(browser, live_url):
    width = phone_width(
        browser, live_url + "/branches" + PERIOD, SECTIONS, "branches-390",
        ready=lambda page: page.wait_for_selector("#branches-comparison-grid .ag-row", state="attached"),
    )
    assert width <= 400, f"page scrolls sideways at 390 px ({width} px wide)"
