"""What a person sees on the Customers page, in headless Chromium."""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlparse

import pytest

from data import service
from data.customers import customer_table
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
SECTIONS = ("customers-top", "customers-pareto", "customers-tiers", "customers-profile", "customers-table")
STATUS = "#customers-table-status"
PARETO = "#customers-pareto .js-plotly-plot"


def _open(page, live_url: str, query: str = PERIOD) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_url + "/customers" + query)
    wait_for_sections(page, *SECTIONS)
    page.wait_for_selector("#customers-grid .ag-row", state="attached")


def _shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Full-page screenshot after scrolling the grid into view (AG Grid paints rows lazily)."""
    page.locator("#customers-grid .ag-row").first.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    screenshot(page, name)


def _annotation(page) -> str:  # type: ignore[no-untyped-def]
    return page.evaluate(f"() => document.querySelector('{PARETO}').layout.annotations[0].text")


def test_customers_render_with_data_and_no_console_errors(page, live_url):
    _open(page, live_url)
    assert page.locator("#customers-top .js-plotly-plot").count() == 2
    assert page.locator("#customers-profile .js-plotly-plot").count() == 2
    assert "earn 80% of GP" in _annotation(page)
    assert "Walk-in, cash and unassigned" in page.inner_text("#customers-walk-in-note")
    assert "account customers, ranked by gross profit" in page.inner_text(STATUS)
    assert page.locator("#customers-profile-table tbody tr").count() >= 8
    _shoot(page, "customers-1280")
    assert page.console_log.errors() == []


def test_filter_change_updates_figures_url_and_survives_reload(page, live_url):
    _open(page, live_url)
    before, status = _annotation(page), page.inner_text(STATUS)
    select_dropdown(page, dim_control("product_line"), "Solar & Energy")
    page.wait_for_function("() => location.search.includes('productLine=Solar')")
    # Non-empty and different: while a section re-renders its old text can read as empty.
    page.wait_for_function("v => { const t = document.querySelector('#customers-table-status')?.innerText; "
                           "return !!t && t !== v; }", arg=status)
    page.wait_for_function(f"v => {{ const t = document.querySelector('{PARETO}')?.layout?.annotations?.[0]?.text; "
                           f"return !!t && t !== v; }}", arg=before)
    after = page.inner_text(STATUS)
    query = parse_qs(urlparse(page.url).query)
    assert query["productLine"] == ["Solar & Energy"] and query["endDate"] == ["2025-06-30"]
    page.reload()
    wait_for_sections(page, *SECTIONS)
    page.wait_for_function("v => document.querySelector('#customers-table-status')?.innerText === v", arg=after)
    summary_says(page, "product line Solar & Energy")
    assert page.console_log.errors() == []


def test_preference_bar_click_cross_filters_by_branch(page, live_url):
    _open(page, live_url)
    chart = "#customers-profile .js-plotly-plot >> nth=1"
    branch = page.evaluate("() => document.querySelectorAll('#customers-profile .js-plotly-plot')[1].data[0].y[0]")
    page.locator(chart).locator("g.point path").first.click(force=True)
    page.wait_for_function("v => new URLSearchParams(location.search).getAll('branch').includes(v)", arg=branch)
    page.wait_for_selector("#xfilter-chip .mauzo-xfilter-undo", state="visible")
    page.click("#xfilter-undo-btn")
    page.wait_for_function("() => !location.search.includes('branch=')")


def test_search_narrows_the_table(page, live_url):
    _open(page, live_url)
    total = page.locator("#customers-grid .ag-center-cols-container .ag-row").count()
    page.fill("#customer-search", "kakamega")
    page.wait_for_function("() => document.querySelector('#customers-table-status')?.innerText.includes('match')")
    page.wait_for_selector("#customers-grid .ag-row", state="attached")
    names = page.locator("#customers-grid .ag-pinned-left-cols-container .ag-row").all_inner_texts()
    assert 0 < len(names) < total
    assert all("kakamega" in n.lower() for n in names)
    assert "match “kakamega”" in page.inner_text(STATUS)


def test_table_csv_has_every_customer_not_only_the_page(page, live_url, demo_store):
    service.configure(DuckDBEngine(demo_store))
    expected = customer_table(Filters.create(start="2025-01-01", end="2025-06-30"))
    _open(page, live_url)
    shown = page.locator("#customers-grid .ag-center-cols-container .ag-row").count()
    with page.expect_download() as info:
        page.click("#customers-table .mauzo-csv")
    rows = list(csv.DictReader(io.StringIO(open(info.value.path(), encoding="utf-8").read())))
    assert len(rows) == expected.height > shown
    assert [r["Customer"] for r in rows[:3]] == expected["customer"].head(3).to_list()


def test_customers_are_readable_on_a_phone(browser, live_url):
    width = phone_width(browser, live_url + "/customers" + PERIOD, SECTIONS, "customers-390",
                        ready=lambda page: page.wait_for_selector("#customers-grid .ag-row", state="attached"))
    assert width <= 400, f"page scrolls sideways at 390 px ({width} px wide)"
