"""What a person sees on the Overview page, in headless Chromium."""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlparse

import pytest

from data import service
from data.engines.duckdb_engine import DuckDBEngine
from data.filters import Filters
from data.insights import account_customers
from data.queries import breakdown
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
SECTIONS = ("overview-kpis", "overview-trend", "overview-insights", "overview-top")


def _kpi(page, name: str) -> str:  # type: ignore[no-untyped-def]
    return page.inner_text(f"#kpi-{name}")


def wait_for_kpi_change(page, before: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        "v => { const el = document.getElementById('kpi-revenue'); return el && el.innerText && el.innerText !== v; }",
        arg=before,
    )


def test_overview_renders_with_data_and_no_console_errors(page, live_url):
    page.goto(live_url + "/" + PERIOD)
    wait_for_sections(page, *SECTIONS)
    assert _kpi(page, "revenue").startswith("KSh ")
    assert page.locator("#overview-top .js-plotly-plot").count() == 4
    assert page.locator("#overview-insights .mauzo-insight").count() >= 2
    summary_says(page, "01 Jan 2025 to 30 Jun 2025")
    screenshot(page, "overview-1280")
    assert page.console_log.errors() == []


def test_filter_change_updates_kpis_url_and_survives_reload(page, live_url):
    page.goto(live_url + "/" + PERIOD)
    wait_for_sections(page, *SECTIONS)
    before = _kpi(page, "revenue")
    select_dropdown(page, dim_control("branch"), "Mombasa")
    page.wait_for_function("() => location.search.includes('branch=Mombasa')")
    wait_for_kpi_change(page, before)
    after = _kpi(page, "revenue")
    assert after != before
    query = parse_qs(urlparse(page.url).query)
    assert query["branch"] == ["Mombasa"] and query["startDate"] == ["2025-01-01"]
    page.reload()
    wait_for_sections(page, *SECTIONS)
    page.wait_for_function(
        "v => { const el = document.getElementById('kpi-revenue'); return el && el.innerText === v; }", arg=after
    )
    summary_says(page, "branch Mombasa")
    page.click("#filter-reset")
    page.wait_for_function("() => location.search === ''")
    assert page.console_log.errors() == []


def test_cross_filter_click_narrows_and_undo_restores(page, live_url):
    page.goto(live_url + "/" + PERIOD)
    wait_for_sections(page, *SECTIONS)
    before = _kpi(page, "revenue")
    bar = page.locator("#overview-top .js-plotly-plot").nth(2).locator("g.point path").first
    bar.click(force=True)
    page.wait_for_function("() => location.search.includes('branch=')")
    page.wait_for_selector("#xfilter-chip .mauzo-xfilter-undo", state="visible")
    wait_for_kpi_change(page, before)
    page.click("#xfilter-undo-btn")
    page.wait_for_function("() => !location.search.includes('branch=')")
    page.wait_for_function(
        "v => { const el = document.getElementById('kpi-revenue'); return el && el.innerText === v; }", arg=before
    )


def test_csv_download_has_every_row(page, live_url, demo_store):
    service.configure(DuckDBEngine(demo_store))
    expected = account_customers(breakdown(Filters.create(start="2025-01-01", end="2025-06-30"), "customer"))
    page.goto(live_url + "/" + PERIOD)
    wait_for_sections(page, *SECTIONS)
    with page.expect_download() as info:
        page.click("#overview-top .mauzo-csv >> nth=3")
    text = open(info.value.path(), encoding="utf-8").read()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == expected.height > 5
    assert rows[0]["Customer"] == expected["customer"][0]


def test_overview_is_readable_on_a_phone(browser, live_url):
    width = phone_width(browser, live_url + "/" + PERIOD, SECTIONS, "overview-390")
    assert width <= 400, f"page scrolls sideways at 390 px ({width} px wide)"
