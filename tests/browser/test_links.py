"""Shared links as people really send them: a bad part is named on screen, the valid parts are kept,
and the view never shows more than the link asked for. Also the item group filter end to end."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.conftest import (
    dim_control,
    screenshot,
    select_dropdown,
    summary_says,
    wait_for_sections,
)

pytestmark = pytest.mark.browser


def _open(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    wait_for_sections(page, "overview-kpis")


def _revenue(page) -> str:  # type: ignore[no-untyped-def]
    page.wait_for_function("() => { const el = document.getElementById('kpi-revenue'); return el && el.innerText; }")
    return page.inner_text("#kpi-revenue")


def _notice(page) -> str:  # type: ignore[no-untyped-def]
    page.wait_for_selector("#filter-notice-alert", state="visible")
    return page.inner_text("#filter-notice-alert")


@pytest.mark.parametrize(("link", "named", "kept", "summary"), [
    ("?startdate=2025-01-01", "startdate", "", "All time"),
    ("?startDate=2025-05-01&endDate=2025-04-31", "endDate", "?startDate=2025-05-01", "from 01 May 2025"),
    ("?startDate=2025-02-31&endDate=2025-03-10", "startDate", "?endDate=2025-03-10", "up to 10 Mar 2025"),
    ("?startDate=2025-06-30&endDate=2025-01-01", "endDate", "?startDate=2025-01-01&endDate=2025-06-30",
     "01 Jan 2025 to 30 Jun 2025"),
])
def test_a_bad_date_link_keeps_the_valid_part_and_says_what_was_ignored(page, live_url, link, named, kept, summary):
    _open(page, live_url + "/" + kept)
    expected = _revenue(page)
    _open(page, live_url + "/" + link)
    assert named in _notice(page)
    summary_says(page, summary)
    assert _revenue(page) == expected
    assert page.console_log.errors() == []


def test_a_value_that_matches_nothing_shows_nothing_not_everything(page, live_url):
    _open(page, live_url + "/?branch=mombasa")
    notice = _notice(page)
    assert "mombasa" in notice and "did you mean 'Mombasa'" in notice
    page.wait_for_selector("text=No sales match these filters")
    assert page.locator("#kpi-revenue").count() == 0
    assert "mombasa (not in the data)" in page.inner_text(dim_control("branch"))
    screenshot(page, "link-unknown-branch")


def test_an_unknown_value_beside_a_known_one_keeps_both(page, live_url):
    _open(page, live_url + "/?branch=Mombasa")
    mombasa = _revenue(page)
    _open(page, live_url + "/?branch=Atlantis&branch=Mombasa")
    assert "Atlantis" in _notice(page)
    assert _revenue(page) == mombasa
    assert parse_qs(urlparse(page.url).query)["branch"] == ["Atlantis", "Mombasa"]


def test_item_group_is_a_global_filter_kept_by_other_controls(page, live_url):
    _open(page, live_url + "/?startDate=2025-01-01&endDate=2025-06-30")
    whole = _revenue(page)
    select_dropdown(page, dim_control("item_group"), "Cables")
    page.wait_for_function("() => location.search.includes('itemGroup=Cables')")
    page.wait_for_function("v => document.getElementById('kpi-revenue').innerText !== v", arg=whole)
    summary_says(page, "item group Cables")
    cables = _revenue(page)
    select_dropdown(page, dim_control("branch"), "Mombasa")
    page.wait_for_function("() => location.search.includes('branch=Mombasa')")
    query = parse_qs(urlparse(page.url).query)
    assert query["itemGroup"] == ["Cables"] and query["startDate"] == ["2025-01-01"]
    page.wait_for_function("v => document.getElementById('kpi-revenue').innerText !== v", arg=cables)
    summary_says(page, "item group Cables")
    assert not page.locator("#filter-notice-alert").count()
    assert page.console_log.errors() == []


def test_a_salesperson_in_the_link_survives_other_changes(page, live_url):
    _open(page, live_url + "/?salesperson=Achieng+Kiprotich&startDate=2025-01-01")
    summary_says(page, "salesperson Achieng Kiprotich")
    select_dropdown(page, dim_control("branch"), "Mombasa")
    page.wait_for_function("() => location.search.includes('branch=Mombasa')")
    assert parse_qs(urlparse(page.url).query)["salesperson"] == ["Achieng Kiprotich"]


def test_pages_are_titled_and_the_phone_menu_closes(browser, live_url):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(live_url + "/branches")
        page.wait_for_function("() => document.title === 'Mauzo · Branches'")
        page.click("#nav-toggler")
        page.wait_for_selector("#nav-collapse.show")
        page.click("#nav-collapse a.nav-link[href^='/products']")
        page.wait_for_function("() => location.pathname === '/products'")
        page.wait_for_function("() => document.title === 'Mauzo · Products'")
        page.wait_for_function("() => !document.querySelector('#nav-collapse.show')")
    finally:
        context.close()
