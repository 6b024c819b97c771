"""The Pipeline page's sections on a real store with the CRM data: what each shows, and its empty
state (never "No sales match" for a pipeline page, never a blank)."""

from __future__ import annotations

from dash import dcc

from components.state import render_section as run
from data.filters import Filters
from tests.dash_tree import find_all, text_of
from tests.pages.conftest import APP  # noqa: F401  (Dash needs an app before page modules import)


def test_every_section_renders_figures(crm_engine):
    import pages.pipeline as page

    view = Filters.create(start="2017-01-01", end="2017-12-31")
    kpis = text_of(run(lambda: page.kpi_section(view)))
    assert "Win rate" in kpis and "95%:" in kpis
    for section in (page.win_rate_section, page.funnel_section, page.cycle_section, page.assignment_section,
                    page.open_section):
        assert find_all(run(lambda s=section: s(view)), dcc.Graph), section.__name__
    assert "of lost deals were lost" in text_of(run(lambda: page.insights_section(view)))


def test_the_date_rule_and_inapplicable_filters_are_stated(crm_engine):
    import pages.pipeline as page

    text = text_of(run(lambda: page.note_section(Filters.create(item_group=["Cables"]))))
    assert "close date of closed deals" in text and "item group filter does not apply" in text


def test_a_view_without_deals_says_so(crm_engine):
    import pages.pipeline as page

    nothing = Filters.create(branch=["Atlantis"])
    for section in (page.kpi_section, page.win_rate_section, page.funnel_section, page.insights_section):
        assert "No opportunities match these filters" in text_of(run(lambda s=section: s(nothing)))
    assert "No open deals" in text_of(run(lambda: page.open_section(nothing)))


def test_branch_win_rates_cross_filter(crm_engine):
    import pages.pipeline as page

    (chart,) = [g for g in find_all(run(lambda: page.win_rate_section(Filters(), "branch")), dcc.Graph)]
    assert chart.id == {"type": "xfilter", "dim": "branch", "axis": "y", "key": "pl-winrates"}
