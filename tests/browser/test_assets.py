"""What a browser fetches to draw a page: a returning visitor fetches no script or stylesheet at all
(every one is fingerprinted and fresh for a year, plotly.js and the lazy chunks included), and a
new one gets them compressed."""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import ConsoleLog
from tests.browser.geometry import wait_for_plots

pytestmark = pytest.mark.browser
# Charts, a grid, dropdowns and the date picker: every lazily loaded part Mauzo uses.
URL = "/salespeople?startDate=2025-01-01&endDate=2025-06-30"
STATIC = """() => performance.getEntriesByType('resource')
  .filter((e) => /\\/(_dash-component-suites|assets)\\//.test(e.name))
  .map((e) => ({name: e.name, sent: e.transferSize, body: e.encodedBodySize, size: e.decodedBodySize}))"""


def _callback_output(request) -> str:  # type: ignore[no-untyped-def]
    try:
        return str(json.loads(request.post_data or "{}").get("output", ""))
    except ValueError:
        return "?"


def _visit(context, url: str) -> tuple[list[dict], ConsoleLog]:  # type: ignore[no-untyped-def]
    page = context.new_page()
    log = ConsoleLog()
    log.callbacks = []  # the outputs of every callback request the page made
    page.on("request", lambda r: log.callbacks.append(_callback_output(r))
            if "/_dash-update-component" in r.url else None)
    page.on("console", lambda m: log.append(f"{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: log.append(f"pageerror: {e}"))
    try:
        page.goto(url)
        page.wait_for_selector(".ag-row", timeout=30_000)
        wait_for_plots(page)
        page.wait_for_load_state("networkidle")
        return page.evaluate(STATIC), log
    finally:
        page.close()


@pytest.fixture(scope="module")
def visits(browser, live_url):  # type: ignore[no-untyped-def]
    """The same page opened twice by one visitor: (first visit, second visit)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield _visit(context, live_url + URL), _visit(context, live_url + URL)
    finally:
        context.close()


def test_plotly_and_the_lazy_chunks_come_with_the_page(visits):
    (first, log), _ = visits
    names = [e["name"] for e in first]
    for part in ("plotly/package_data/plotly.v", "dcc/async-graph.v", "dcc/async-dropdown.v",
                 "dcc/async-datepicker.v", "dash_ag_grid/async-community.v"):
        assert any(part in name for name in names), part  # fingerprinted, so cacheable
    assert not [n for n in names if "/plotly.min.js" in n or "/async-graph.js" in n]  # no lazy second copy
    assert log.errors() == []


def test_scripts_arrive_compressed(visits):
    (first, _), _ = visits
    plotly = next(e for e in first if "plotly" in e["name"])
    assert plotly["body"] < plotly["size"] / 2
    scripts = [e for e in first if ".js" in e["name"] and e["size"] > 10_000]
    assert sum(e["body"] for e in scripts) < sum(e["size"] for e in scripts) / 2


def test_a_second_visit_fetches_no_script_or_stylesheet(visits):
    _, (second, log) = visits
    assert any("plotly" in e["name"] for e in second) and any(".css" in e["name"] for e in second)
    assert [e["name"] for e in second if e["sent"] > 0] == []  # all from the browser's cache, no revalidation
    assert log.errors() == []


def test_opening_a_page_asks_the_server_only_for_what_it_shows(visits):
    """The Embed dialog's signing part waits for the dialog to open: buttons appearing with the
    page's sections must not wake it (that was one server round trip per page load)."""
    (_, first), (_, second) = visits
    for log in (first, second):
        assert any("children" in output for output in log.callbacks)  # the sections were asked for
        assert not [o for o in log.callbacks if "embed-sign" in o or "embed-signed" in o], log.callbacks
