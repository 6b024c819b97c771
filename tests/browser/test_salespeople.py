"""What a person sees on the Salespeople page, in headless Chromium."""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlparse

import pytest

from data import service
from data.engines.duckdb_engine import DuckDBEngine
from data.filters import Filters
from data.salespeople import leaderboard
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
SECTIONS = ("sp-leaderboard", "sp-margin", "sp-drill", "sp-mix")
GRID_ROWS = "#sp-leaderboard .ag-center-cols-container .ag-row"
MARGIN = "#sp-margin .js-plotly-plot"
HEATMAP = "#sp-mix .js-plotly-plot"
NAME_CELL = "#sp-leaderboard .ag-row[row-index='{}'] [col-id='salesperson']"  # pinned left, so not in GRID_ROWS


def _open(page, live_url: str, query: str = PERIOD) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_url + "/salespeople" + query)
    wait_for_sections(page, *SECTIONS)
    page.wait_for_selector(GRID_ROWS, state="attached")


def _first_row(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator(NAME_CELL.format(0)).inner_text()


def _plot(page, selector: str, expr: str):  # type: ignore[no-untyped-def]
    return page.evaluate(f"() => {{ const el = document.querySelector('{selector}'); return {expr}; }}")


def _expected(demo_store, **selections) -> list[str]:  # type: ignore[no-untyped-def]
    service.configure(DuckDBEngine(demo_store))
    return leaderboard(Filters.create(start="2025-01-01", end="2025-06-30", **selections))["salesperson"].to_list()


def test_salespeople_render_with_data_and_no_console_errors(page, live_url, demo_store):
    people = _expected(demo_store)
    _open(page, live_url)
    assert _first_row(page) == people[0]
    assert f"{len(people)} salespeople" in page.inner_text("#sp-leaderboard")
    assert _plot(page, MARGIN, "el.data[0].x.length") == len(people)
    assert _plot(page, HEATMAP, "el.data[0].y.length") == len(people)
    for selector in (MARGIN, HEATMAP):
        assert "01 Jan 2025 to 30 Jun 2025" in _plot(page, selector, "el.layout.title.text")
    assert people[0] in page.inner_text("#sp-drill-name")
    screenshot(page, "salespeople-1280")
    assert page.console_log.errors() == []


def test_filter_change_updates_figures_url_and_survives_reload(page, live_url, demo_store):
    want = _expected(demo_store, branch=["Mombasa"])
    _open(page, live_url)
    before = _plot(page, MARGIN, "Array.from(el.data[0].x)")
    select_dropdown(page, dim_control("branch"), "Mombasa")
    page.wait_for_function("() => location.search.includes('branch=Mombasa')")
    page.wait_for_function(f"n => document.querySelector('{MARGIN}').data[0].x.length === n", arg=len(want))
    page.wait_for_function(f"v => document.querySelector(\"{NAME_CELL.format(0)}\").innerText === v", arg=want[0])
    after = _plot(page, MARGIN, "Array.from(el.data[0].x)")
    assert after != before
    query = parse_qs(urlparse(page.url).query)
    assert query["branch"] == ["Mombasa"] and query["startDate"] == ["2025-01-01"]
    page.reload()
    wait_for_sections(page, *SECTIONS)
    page.wait_for_selector(GRID_ROWS, state="attached")
    assert _first_row(page) == want[0]
    assert _plot(page, MARGIN, "Array.from(el.data[0].x)") == after
    summary_says(page, "branch Mombasa")
    assert page.console_log.errors() == []


def test_heatmap_click_cross_filters_the_product_line_and_undo_restores(page, live_url):
    _open(page, live_url)
    lines = _plot(page, HEATMAP, "Array.from(el.data[0].x)")
    cells = page.locator(f"{HEATMAP} .nsewdrag").first  # heatmap cells have no DOM nodes: click the plot area
    box = cells.bounding_box()
    rows = _plot(page, HEATMAP, "el.data[0].y.length")
    column = 1
    cells.click(position={"x": box["width"] * (column + 0.5) / len(lines), "y": box["height"] * 0.5 / rows})
    page.wait_for_function("() => location.search.includes('productLine=')")
    chosen = parse_qs(urlparse(page.url).query)["productLine"]
    assert chosen == [lines[column]]
    page.wait_for_selector("#xfilter-chip .mauzo-xfilter-undo", state="visible")
    page.wait_for_function(f"() => document.querySelector('{HEATMAP}').data[0].x.length === 1")
    page.click("#xfilter-undo-btn")
    page.wait_for_function("() => !location.search.includes('productLine=')")
    page.wait_for_function(f"n => document.querySelector('{HEATMAP}').data[0].x.length === n", arg=len(lines))


def test_grid_row_and_bubble_clicks_drill_down_and_clear_resets(page, live_url, demo_store):
    people = _expected(demo_store)
    _open(page, live_url)
    page.locator(NAME_CELL.format(2)).click()
    page.wait_for_function("v => document.getElementById('sp-drill-name').innerText.startsWith(v)", arg=people[2])
    assert "#3 by gross profit" in page.inner_text("#sp-drill-name")
    assert page.locator("#sp-drill-hint").count() == 0
    trend_title = _plot(page, "#sp-drill .js-plotly-plot", "el.layout.title.text")
    assert people[2] in trend_title and "01 Jan 2025 to 30 Jun 2025" in trend_title

    # A bubble on the margin chart: click the point of a known salesperson.
    target = people[5]
    index = _plot(page, MARGIN, f"el.data[0].customdata.findIndex(c => c[0] === {target!r})")
    page.locator(f"{MARGIN} .scatterlayer .point").nth(index).click(force=True)
    page.wait_for_function("v => document.getElementById('sp-drill-name').innerText.startsWith(v)", arg=target)

    assert page.locator("#sp-leaderboard .ag-row-selected").count() == 0  # the grid no longer claims row 3

    page.click("#sp-clear")
    page.wait_for_selector("#sp-drill-hint", state="visible")
    assert page.inner_text("#sp-drill-name").startswith(people[0])
    page.locator(NAME_CELL.format(2)).click()  # the same row again after Clear picks again
    page.wait_for_function("v => document.getElementById('sp-drill-name').innerText.startsWith(v)", arg=people[2])
    assert page.console_log.errors() == []


def test_leaderboard_csv_has_every_row(page, live_url, demo_store):
    people = _expected(demo_store)
    _open(page, live_url)
    with page.expect_download() as info:
        page.click("#sp-leaderboard .mauzo-csv")
    rows = list(csv.DictReader(io.StringIO(open(info.value.path(), encoding="utf-8").read())))
    assert len(rows) == len(people) > 20
    assert [r["Salesperson"] for r in rows] == people


def test_salespeople_is_readable_on_a_phone(browser, live_url):
    width = phone_width(browser, live_url + "/salespeople" + PERIOD, SECTIONS, "salespeople-390",
                        ready=lambda page: page.wait_for_selector(GRID_ROWS, state="attached"))
    assert width <= 400, f"page scrolls sideways at 390 px ({width} px wide)"
