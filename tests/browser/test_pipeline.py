"""The Pipeline page in headless Chromium, over the public CRM data beside demo sales: it draws with
data, follows the global filters (URL included), and its CSV has every row."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator

import pytest

from ingest.demo import generate
from tests.browser.conftest import dim_control, phone_width, screenshot, select_dropdown, wait_for_sections
from tests.conftest import build_store
from tests.live import running_app
from tests.pipeline.crm_store import build_crm_store, crm_frame

pytestmark = pytest.mark.browser
SECTIONS = ("pl-note", "pl-kpis", "pl-winrates", "pl-funnel", "pl-insights", "pl-cycle", "pl-assignment", "pl-open")


@pytest.fixture(scope="module")
def crm_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("crm-browser")
    build_store(data_dir, generate(rows=5_000, seed=3, end=dt.date(2025, 6, 30)), name="demo")
    build_crm_store(data_dir)
    with running_app(data_dir, workers=1) as url:
        yield url


def test_pipeline_draws_filters_and_exports(page, crm_url):
    page.goto(crm_url + "/pipeline")
    wait_for_sections(page, *SECTIONS)
    assert page.inner_text("#pl-kpi-opps") == "8,800"
    assert page.inner_text("#pl-kpi-win-rate") == "63.2%"
    assert page.locator("#pl-winrates .js-plotly-plot").count() == 1
    assert "close date of closed deals" in page.inner_text("#pipeline-date-rule")
    screenshot(page, "pipeline-1280")
    select_dropdown(page, dim_control("branch"), "East")
    page.wait_for_function("() => location.search.includes('branch=East')")
    east = crm_frame().filter(crm_frame()["branch"] == "East").height
    page.wait_for_function("n => document.getElementById('pl-kpi-opps').innerText === n", arg=f"{east:,}")
    with page.expect_download() as info:
        page.click("#pl-winrates .mauzo-csv")
    rows = list(csv.DictReader(io.StringIO(open(info.value.path(), encoding="utf-8").read())))
    agents = crm_frame().filter(crm_frame()["branch"] == "East")["salesperson"].unique()
    assert len(rows) == agents.len() and {r["Salesperson"] for r in rows} == set(agents)
    assert page.console_log.errors() == []


def test_pipeline_is_readable_on_a_phone(browser, crm_url):
    width = phone_width(browser, crm_url + "/pipeline", SECTIONS, "pipeline-390")
    assert width <= 400, f"page scrolls sideways at 390 px ({width} px wide)"
