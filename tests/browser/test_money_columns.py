"""Money is never cut off in a table at 1280 px, even in billions (issue 9, item 8)."""

from __future__ import annotations

import math
import re

import polars as pl
import pytest

from components.format import ksh
from tests.browser.conftest import screenshot, wait_for_sections
from tests.browser.geometry import serve_lines

pytestmark = pytest.mark.browser
MONEY = re.compile(r"^-?KSh \d{1,3}(,\d{3})*$")


@pytest.fixture(scope="module")
def big_money(tmp_path_factory, demo_frame):  # type: ignore[no-untyped-def]
    """The demo lines scaled so the top salesperson sells over KSh 1 billion (all time)."""
    top = demo_frame.group_by("salesperson").agg(pl.col("revenue").sum())["revenue"].max()
    factor = math.ceil(1.2e9 / top)
    lines = demo_frame.with_columns(pl.col("revenue") * factor, pl.col("cost") * factor)
    with serve_lines(tmp_path_factory, lines, "big-money") as (url, _):
        yield url, lines


CUT_CELLS_JS = """sel => [...document.querySelectorAll(sel + ' .ag-cell.ag-right-aligned-cell')]
  .filter(c => c.scrollWidth > c.clientWidth + 1).map(c => [c.getAttribute('col-id'), c.textContent])"""
HIDDEN_COLUMNS_JS = """sel => { const g = document.querySelector(sel + ' .ag-root-wrapper');
  const edge = g.getBoundingClientRect().right;
  return [...g.querySelectorAll('.ag-header-cell')]
    .filter(h => h.getBoundingClientRect().right > edge + 1).map(h => h.getAttribute('col-id')); }"""


def _cells(page, grid: str) -> list[str]:  # type: ignore[no-untyped-def]
    return page.evaluate(f"() => [...document.querySelectorAll('{grid} .ag-cell.ag-right-aligned-cell')]"
                         ".map(c => c.textContent)")


@pytest.mark.parametrize(("path", "grids", "whole"), [
    ("/salespeople", {"sp-leaderboard": "#sp-leaderboard"}, False),
    ("/customers", {"customers-table": "#customers-grid"}, False),
    ("/branches", {"branches-comparison": "#branches-comparison-grid"}, True),
    ("/products", {"pr-top-items": "#pr-top-grid", "pr-bottom-items": "#pr-bottom-grid"}, True),
])
def test_money_columns_fit_their_largest_value(page, big_money, path, grids, whole):
    url, _ = big_money
    page.goto(url + path)
    wait_for_sections(page, *grids)
    for grid in grids.values():
        page.wait_for_selector(f"{grid} .ag-row", state="attached")
    page.wait_for_timeout(500)  # the grid sizes its columns after the first paint
    screenshot(page, f"money-columns{path.replace('/', '-')}")
    for grid in grids.values():
        assert [t for t in _cells(page, grid) if MONEY.match(t)], f"expected money cells in {grid}"
        assert page.evaluate(CUT_CELLS_JS, grid) == []  # every figure is shown whole, none ends in "..."
        if whole:  # these tables show every column at 1280 px: the last one is not cut off at the edge
            assert page.evaluate(HIDDEN_COLUMNS_JS, grid) == []


def test_the_leaderboard_shows_a_billion_to_the_shilling(page, big_money):
    url, lines = big_money
    page.goto(url + "/salespeople")
    wait_for_sections(page, "sp-leaderboard")
    name, revenue = (lines.group_by("salesperson").agg(pl.col("revenue").sum())
                     .sort("revenue", descending=True).row(0))
    assert revenue > 1e9
    cell = page.locator(f"#sp-leaderboard .ag-row[row-id='{name}'] .ag-cell[col-id='revenue']").first
    cell.wait_for(state="attached")
    text = cell.inner_text()
    assert MONEY.match(text) and len(text) == len(ksh(revenue, compact=False))  # "KSh 1,234,567,890": whole
    assert abs(int(text.removeprefix("KSh ").replace(",", "")) - revenue) <= 1
    assert cell.evaluate("c => c.scrollWidth <= c.clientWidth + 1")
