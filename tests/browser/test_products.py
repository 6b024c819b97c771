"""What a person sees on the Products page, in headless Chromium."""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlparse

import pytest

from data import service
from data.engines.duckdb_engine import DuckDBEngine
from data.filters import Filters
from data.products import items, line_profitability
from data.queries import breakdown
from tests.browser.conftest import dim_control, phone_width, screenshot, select_dropdown, wait_for_sections

pytestmark = pytest.mark.browser
PERIOD = "?startDate=2025-01-01&endDate=2025-06-30"
SECTIONS = ("pr-lines", "pr-alignment", "pr-top-items", "pr-bottom-items", "pr-treemap")
LINES = "#pr-lines .js-plotly-plot"
ALIGN = "#pr-alignment .js-plotly-plot"
TREEMAP = "#pr-treemap .js-plotly-plot"
TOP_ROWS = "#pr-top-items .ag-center-cols-container .ag-row"


def _open(page, live_url: str, query: str = PERIOD) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_url + "/products" + query)
    wait_for_sections(page, *SECTIONS)
    page.wait_for_selector(TOP_ROWS, state="attached")


def _plot(page, selector: str, expr: str):  # type: ignore[no-untyped-def]
    return page.evaluate(f"() => {{ const el = document.querySelector('{selector}'); return {expr}; }}")


def _points(page) -> int:  # type: ignore[no-untyped-def]
    return _plot(page, ALIGN, "el.data.reduce((n, t) => n + t.x.length, 0)")


def _frames(demo_store, **selections):  # type: ignore[no-untyped-def]
    service.configure(DuckDBEngine(demo_store))
    filters = Filters.create(start="2025-01-01", end="2025-06-30", **selections)
    return line_profitability(filters), items(filters), filters


def test_products_render_with_data_and_no_console_errors(page, live_url, demo_store):
    lines, all_items, _ = _frames(demo_store)
    _open(page, live_url)
    assert _plot(page, LINES, "Array.from(el.data[1].y)") == lines["product_line"].to_list()
    assert _points(page) == lines.height
    assert _plot(page, TREEMAP, "el.data[0].ids.length") > all_items.height
    assert page.locator(TOP_ROWS).count() == 10
    for selector in (LINES, ALIGN, TREEMAP):
        assert "01 Jan 2025 to 30 Jun 2025" in _plot(page, selector, "el.layout.title.text")
    assert "Stars" in page.inner_text(ALIGN) and "Volume traps" in page.inner_text(ALIGN)
    screenshot(page, "products-1280")
    assert page.console_log.errors() == []


def test_filter_change_updates_figures_url_and_survives_reload(page, live_url, demo_store):
    lines, _, _ = _frames(demo_store, branch=["Mombasa"])
    _open(page, live_url)
    before = _plot(page, LINES, "Array.from(el.data[1].x)")
    select_dropdown(page, dim_control("branch"), "Mombasa")
    page.wait_for_function("() => location.search.includes('branch=Mombasa')")
    page.wait_for_function(f"v => {{ const x = document.querySelector('{LINES}')?.data?.[1]?.x?.[0]; "
                           f"return x !== undefined && x !== v; }}", arg=before[0])
    after = _plot(page, LINES, "Array.from(el.data[1].x)")
    assert after != before
    assert after[0] == pytest.approx(lines["gross_profit_share_pct"][0])
    query = parse_qs(urlparse(page.url).query)
    assert query["branch"] == ["Mombasa"] and query["startDate"] == ["2025-01-01"]
    page.reload()
    wait_for_sections(page, *SECTIONS)
    assert _plot(page, LINES, "Array.from(el.data[1].x)") == after
    assert page.console_log.errors() == []


def test_line_bar_click_cross_filters_and_undo_restores(page, live_url):
    _open(page, live_url)
    names = _plot(page, LINES, "Array.from(el.data[1].y)")
    page.locator(f"{LINES} .barlayer .trace").nth(1).locator("g.point path").nth(2).click(force=True)
    page.wait_for_function("() => location.search.includes('productLine=')")
    assert parse_qs(urlparse(page.url).query)["productLine"] == [names[2]]
    page.wait_for_selector("#xfilter-chip .mauzo-xfilter-undo", state="visible")
    page.wait_for_function(f"() => document.querySelector('{LINES}').data[1].y.length === 1")
    page.click("#xfilter-undo-btn")
    page.wait_for_function("() => !location.search.includes('productLine=')")
    page.wait_for_function(f"n => document.querySelector('{LINES}').data[1].y.length === n", arg=len(names))


def test_alignment_controls_switch_level_and_basis(page, live_url, demo_store):
    _, _, filters = _frames(demo_store)
    groups = breakdown(filters, "item_group", context=("product_line",)).height
    _open(page, live_url)
    page.get_by_role("radio", name="Item groups").check()
    page.wait_for_function(f"n => document.querySelector('{ALIGN}').data.reduce((k, t) => k + t.x.length, 0) === n",
                           arg=groups)
    page.get_by_label("Share of transactions").check()
    page.wait_for_function(f"() => document.querySelector('{ALIGN}').layout.xaxis.title.text "
                           "=== 'Share of transactions'")
    assert _points(page) == groups
    assert page.console_log.errors() == []


def test_items_csv_has_every_item(page, live_url, demo_store):
    _, all_items, _ = _frames(demo_store)
    _open(page, live_url)
    with page.expect_download() as info:
        page.click("#pr-top-items .mauzo-csv")
    rows = list(csv.DictReader(io.StringIO(open(info.value.path(), encoding="utf-8").read())))
    assert len(rows) == all_items.height > 10
    assert [r["Item"] for r in rows] == all_items["item_name"].to_list()
    assert {"Product line", "Item group"} <= set(rows[0])


def test_products_is_readable_on_a_phone(browser, live_url):
    def ready(page) -> None:  # type: ignore[no-untyped-def]
        page.wait_for_selector(TOP_ROWS, state="attached")
        page.locator("#pr-bottom-items").scroll_into_view_if_needed()
        page.wait_for_selector("#pr-bottom-items .ag-row", state="visible")

    width = phone_width(browser, live_url + "/products" + PERIOD, SECTIONS, "products-390", ready=ready)
    assert width <= 400, f"page scrolls sideways at 390 px ({width} px wide)"
