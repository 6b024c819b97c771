"""A branch keeps its colour when another branch is ingested (issue 9, item 13)."""

from __future__ import annotations

import polars as pl
import pytest

from ingest.storage import commit_lines
from tests.browser.conftest import screenshot, wait_for_sections
from tests.browser.geometry import serve_lines, wait_for_plots

pytestmark = pytest.mark.browser
NEWCOMER = "Eldoret"  # sorts before every other branch: a sorted palette would shift them all
TREND = "#branches-trend .js-plotly-plot"
TOP = "#overview-top .js-plotly-plot"


def _trend_colours(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    wait_for_plots(page, TREND)
    return dict(page.evaluate(f"() => document.querySelector('{TREND}').data.map(t => [t.name, t.line.color])"))


def _top_branch_colours(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Bar colours of the Overview's top branches (the third of its four charts)."""
    wait_for_plots(page, TOP)
    return dict(page.evaluate("sel => { const g = document.querySelectorAll(sel)[2].data[0]; "
                              "return Array.from(g.y).map((b, i) => [b, g.marker.color[i]]); }", TOP))


def test_ingesting_a_branch_does_not_recolour_the_others(page, tmp_path_factory, demo_frame):
    first = demo_frame.filter(pl.col("branch") != NEWCOMER)
    later = demo_frame.filter(pl.col("branch") == NEWCOMER)
    with serve_lines(tmp_path_factory, first, "colours") as (url, store):
        page.goto(url + "/branches")
        wait_for_sections(page, "branches-trend")
        before = _trend_colours(page)
        page.goto(url + "/")
        wait_for_sections(page, "overview-top")
        top_before = _top_branch_colours(page)
        assert NEWCOMER not in before and len(set(before.values())) == len(before)

        commit_lines(later, data_dir=store, file_name="eldoret.csv", sha256="sha-eldoret", mode="append")

        page.goto(url + "/branches")
        wait_for_sections(page, "branches-trend")
        page.wait_for_function(f"n => document.querySelector('{TREND}') && "
                               f"document.querySelector('{TREND}').data.some(t => t.name === n)", arg=NEWCOMER,
                               timeout=60_000)  # a loaded machine: the append and the first new queries
        after = _trend_colours(page)
        screenshot(page, "colours-after-ingest")
        assert {b: after[b] for b in before} == before  # Mombasa stays red
        assert after[NEWCOMER] not in before.values()  # and the newcomer gets a colour of its own
        page.goto(url + "/")
        wait_for_sections(page, "overview-top")
        top_after = _top_branch_colours(page)
        assert {b: c for b, c in top_after.items() if b in top_before} == {
            b: c for b, c in top_before.items() if b in top_after}
        assert all(top_after[b] == after[b] for b in top_after)  # one colour per branch on every page
