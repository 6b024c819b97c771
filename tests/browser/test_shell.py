"""The shell a person uses on every page: navigation keeps filters; Refresh bypasses the cache."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.conftest import summary_says, wait_for_sections
from tests.live import running_app

pytestmark = pytest.mark.browser
VIEW = "?startDate=2025-01-01&endDate=2025-03-31&branch=Mombasa&productLine=Plumbing"


def test_navigating_between_pages_keeps_the_filters(page, live_url):
    page.goto(live_url + "/" + VIEW)
    wait_for_sections(page, "overview-kpis")
    page.click("a.nav-link[href^='/products']")
    page.wait_for_function("() => location.pathname === '/products'")
    wait_for_sections(page, "pr-lines")
    query = parse_qs(urlparse(page.url).query)
    assert query == {"startDate": ["2025-01-01"], "endDate": ["2025-03-31"], "branch": ["Mombasa"],
                     "productLine": ["Plumbing"]}
    summary_says(page, "branch Mombasa; product line Plumbing")
    page.go_back()
    page.wait_for_function("() => location.pathname === '/'")
    wait_for_sections(page, "overview-kpis")
    summary_says(page, "branch Mombasa")
    assert page.console_log.errors() == []


def _kpi_callbacks(log_path) -> list[dict]:  # type: ignore[no-untyped-def]
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    return [entry for entry in lines if "overview-kpis" in str(entry.get("callback", ""))]


def test_refresh_recomputes_instead_of_reading_the_cache(page, demo_store, tmp_path):
    log_path = tmp_path / "server.log"
    with running_app(demo_store, workers=1, log_path=log_path, env={"MAUZO_CACHE": "simple"}) as url:
        page.goto(url + "/" + VIEW)
        wait_for_sections(page, "overview-kpis")
        page.reload()  # the same view again: served from the cache
        wait_for_sections(page, "overview-kpis")
        page.wait_for_function("() => document.getElementById('kpi-revenue')")
        page.click("#refresh-btn")
        page.wait_for_function(
            "n => document.querySelectorAll('#overview-kpis #kpi-revenue').length === 1", arg=1)
        page.wait_for_timeout(1_500)
    first, again, refreshed = _kpi_callbacks(log_path)[:3]
    assert first["cached"] is False and first["queries"] > 0
    assert again["cached"] is True
    assert refreshed["cached"] is False and refreshed["queries"] > 0
