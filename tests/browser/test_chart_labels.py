"""Chart labels are never clipped nor drawn over each other, at 1280 and 390 px (issue 9, item 9)."""

from __future__ import annotations

import polars as pl
import pytest

from tests.browser.conftest import screenshot, wait_for_sections
from tests.browser.geometry import Box, overlapping_pairs, serve_lines, wait_for_plots

pytestmark = pytest.mark.browser
PERIOD = "?startDate=2025-01-01&endDate=2025-06-30"
WIDTHS = (1280, 390)


@pytest.fixture
def sized(browser, request):  # type: ignore[no-untyped-def]
    """A page at the width given by the test's ``width`` parameter."""
    context = browser.new_context(viewport={"width": request.node.callspec.params["width"], "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.fixture(scope="module")
def losing_line(tmp_path_factory, demo_frame):  # type: ignore[no-untyped-def]
    """Plumbing sells below cost, so its share of gross profit is negative."""
    lines = demo_frame.with_columns(pl.when(pl.col("product_line") == "Plumbing").then(pl.col("revenue") * 1.4)
                                    .otherwise(pl.col("cost")).alias("cost"))
    with serve_lines(tmp_path_factory, lines, "losing-line") as (url, _):
        yield url


def _graphs(page, section: str) -> list[str]:  # type: ignore[no-untyped-def]
    """A selector per Plotly graph in ``section`` (by position)."""
    count = page.evaluate("id => document.querySelectorAll('#' + id + ' .js-plotly-plot').length", section)
    return [f"#{section} .js-plotly-plot >> nth={i}" for i in range(count)]


def _in_graph(page, section: str, index: int, selector: str) -> list[Box]:  # type: ignore[no-untyped-def]
    found = page.evaluate(
        """([id, i, sel]) => [...document.querySelectorAll('#' + id + ' .js-plotly-plot')[i].querySelectorAll(sel)]
            .filter(e => e.textContent.trim() && e.getBoundingClientRect().width > 0)
            .map(e => { const r = e.getBoundingClientRect();
                        return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, text: e.textContent}; })""",
        [section, index, selector])
    return [Box(**b) for b in found]


def _open(page, url: str, *sections: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    wait_for_sections(page, *sections)
    wait_for_plots(page, ", ".join(f"#{s} .js-plotly-plot" for s in sections))


@pytest.mark.parametrize("width", WIDTHS)
def test_a_negative_share_label_never_covers_the_product_line_names(sized, losing_line, width):
    _open(sized, losing_line + "/products", "pr-lines")
    screenshot(sized, f"labels-negative-share-{width}")
    labels = _in_graph(sized, "pr-lines", 0, "text.bartext")
    names = _in_graph(sized, "pr-lines", 0, ".ytick text")
    assert any(b.text.startswith("-") for b in labels), "expected Plumbing's negative GP share"
    assert overlapping_pairs(labels, names) == []
    assert overlapping_pairs(labels) == []


@pytest.mark.parametrize("width", [390])  # where labels used to be clipped
@pytest.mark.parametrize(("path", "sections"), [
    ("/", ("overview-trend", "overview-top")),
    ("/salespeople", ("sp-drill",)),
    ("/products", ("pr-lines",)),
    ("/branches", ("branches-comparison",)),
    ("/customers", ("customers-top", "customers-tiers", "customers-profile")),
])
def test_value_labels_and_names_stay_inside_their_chart(sized, live_url, path, sections, width):
    _open(sized, live_url + path + PERIOD, *sections)
    screenshot(sized, f"labels-inside{path.replace('/', '-') or '-overview'}-{width}")
    checked = 0
    for section in sections:
        for i in range(len(_graphs(sized, section))):
            (svg,) = _in_graph_svg(sized, section, i)
            texts = _in_graph(sized, section, i, "text.bartext, .textpoint text, .ytick text, .xtick text")
            outside = [b.text for b in texts if not b.inside(svg)]
            assert outside == [], f"{section} graph {i}: clipped {outside}"
            checked += len(texts)
    assert checked


def _in_graph_svg(page, section: str, index: int) -> list[Box]:  # type: ignore[no-untyped-def]
    rect = page.evaluate("([id, i]) => { const r = document.querySelectorAll('#' + id + ' .js-plotly-plot')[i]"
                         ".querySelector('.main-svg').getBoundingClientRect(); "
                         "return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; }", [section, index])
    return [Box(**rect)]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("path", "section"), [("/salespeople", "sp-margin"), ("/products", "pr-alignment")])
def test_point_labels_do_not_overlap(sized, live_url, path, section, width):
    _open(sized, live_url + path + PERIOD, section)
    screenshot(sized, f"labels-points-{section}-{width}")
    labels = _in_graph(sized, section, 0, ".textpoint text")
    captions = _in_graph(sized, section, 0, ".annotation-text")
    assert len(labels) >= 3
    assert overlapping_pairs(labels) == []
    assert overlapping_pairs(labels, captions) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_a_two_branch_legend_stays_off_the_axis_labels(sized, live_url, width):
    _open(sized, live_url + "/branches" + PERIOD + "&branch=Mombasa&branch=Kisumu", "branches-comparison",
          "branches-trend")
    screenshot(sized, f"labels-legend-two-branches-{width}")
    for section in ("branches-comparison", "branches-trend"):
        legend = _in_graph(sized, section, 0, ".legend .traces")  # each entry: its symbol and its name
        ticks = _in_graph(sized, section, 0, ".xtick text")
        assert len(legend) >= 2 and ticks
        assert overlapping_pairs(legend, ticks) == [], section

