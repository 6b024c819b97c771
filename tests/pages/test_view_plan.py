"""A view's period is resolved once, not again in every section: rendering every section of a page
runs the date-bounds query (and each option list) at most once, from the runner's memo."""

from __future__ import annotations

import inspect
from collections import Counter

import pytest

from data.filters import Filters
from data.service import _MEMO, collect_stats
from pages import branches, customers, overview, pipeline, products, salespeople

VIEW = Filters.create(start="2025-01-01", end="2025-06-30", branch=["Mombasa", "Kisumu"])
PAGES = {
    "overview": (overview.kpi_section, overview.trend_section, overview.insights_section, overview.top_section),
    "branches": (branches.comparison_section, branches.trend_section, branches.heatmap_section),
    "salespeople": tuple(getattr(salespeople, n) for n in dir(salespeople) if n.endswith("_section")),
    "products": tuple(getattr(products, n) for n in dir(products) if n.endswith("_section")),
    "customers": tuple(getattr(customers, n) for n in dir(customers) if n.endswith("_section")),
}


def _open(section) -> None:  # type: ignore[no-untyped-def]
    """A section as its callback runs it on first load (extra inputs at their defaults); called
    directly, so a failure fails the test instead of becoming an error panel."""
    extra = [p.default if p.default is not inspect.Parameter.empty else None
             for p in list(inspect.signature(section).parameters.values())[1:]]
    assert section(VIEW, *extra) is not None


@pytest.mark.parametrize("page", sorted(PAGES))
def test_each_page_resolves_its_period_once(demo_engine, page):
    _MEMO.clear()
    with collect_stats() as stats:
        for section in PAGES[page]:
            _open(section)
    executed = Counter((q.name, q.query.sql, q.query.params) for q in stats.queries if not q.cached)
    asked = Counter(q.name for q in stats.queries)
    assert PAGES[page] and asked["date_bounds"] >= 2  # several sections ask...
    repeated = {key[0]: n for key, n in executed.items()
                if n > 1 and (key[0] == "date_bounds" or key[0].startswith("options."))}
    assert repeated == {}  # ...but each distinct bounds or options query runs once


WITH_PIPELINE = {**PAGES, "pipeline": tuple(getattr(pipeline, n) for n in dir(pipeline) if n.endswith("_section"))}


@pytest.mark.parametrize("page", sorted(WITH_PIPELINE))
def test_with_caching_off_a_pages_sections_never_run_a_query_twice(demo_engine, page):
    """Each section is its own request (its own stats); the process still runs each query once
    (identical SQL under two names included: the pipeline funnel's totals are the summary's)."""
    _MEMO.clear()
    ran: Counter = Counter()
    for section in WITH_PIPELINE[page]:
        with collect_stats() as stats:
            _open(section)
        ran.update((q.query.sql, q.query.params) for q in stats.queries if not q.cached and q.query)
    assert ran and {key: n for key, n in ran.items() if n > 1} == {}
