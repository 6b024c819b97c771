"""What a person sees when there is nothing to show or the store is missing."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot, wait_for_sections
from tests.live import running_app

pytestmark = pytest.mark.browser


def test_no_matching_sales_shows_the_empty_state(page, live_url):
    page.goto(live_url + "/?startDate=2010-01-01&endDate=2010-01-31")
    wait_for_sections(page, "overview-kpis", "overview-trend", "overview-top")
    assert page.locator("[data-state=empty]").count() >= 3
    assert "No sales match these filters" in page.inner_text("#overview-kpis")
    assert page.console_log.errors() == []


def test_an_empty_store_shows_error_panels_with_request_ids(page, tmp_path):
    with running_app(tmp_path / "empty-store", workers=1) as url:
        page.goto(url + "/branches")
        wait_for_sections(page, "branches-comparison")
        panel = page.locator("#branches-comparison [data-state=error]")
        assert panel.count() == 1
        assert "The sales store is not available" in panel.inner_text()
        assert "Request id: " in panel.inner_text() and "n/a" not in panel.inner_text()
        assert str(tmp_path) not in page.content()
        screenshot(page, "empty-store")
        assert page.console_log.errors() == []
