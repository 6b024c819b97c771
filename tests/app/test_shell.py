"""Shell logic that does not need a browser: URL parsing and cross-filter clicks."""

from __future__ import annotations

import datetime as dt

import pytest
from dash.exceptions import PreventUpdate

from app.shell import _cross_filter, _parse_search
from data.filters import Filters, unknown_values


def test_parse_search_keeps_valid_parts_of_a_bad_url():
    filters, ignored = _parse_search("?startDate=nonsense&branch=Mombasa")
    assert filters == Filters.create(branch=["Mombasa"])
    assert [(i.arg, i.value) for i in ignored] == [("startDate", "nonsense")]
    assert _parse_search("?startDate=2025-01-01&productLine=Plumbing") == (Filters.create(
        start="2025-01-01", product_line=["Plumbing"]), [])
    assert _parse_search(None) == (Filters(), [])


# The links a user shared in the first week (issue "Trustworthy at the edges", item 1): what stays,
# and which argument the notice names.
@pytest.mark.parametrize(("search", "start", "end", "branches", "named"), [
    ("?startdate=2025-01-01", None, None, (), ["startdate"]),
    ("?startDate=2026-11-01&endDate=2026-11-31", dt.date(2026, 11, 1), None, (), ["endDate"]),
    ("?startDate=2025-02-31&endDate=2025-03-10", None, dt.date(2025, 3, 10), (), ["startDate"]),
    ("?startDate=2026-06-30&endDate=2025-01-01", dt.date(2025, 1, 1), dt.date(2026, 6, 30), (), ["endDate"]),
    ("?startDate=2025-01-01&startDate=2025-02-01", None, None, (), ["startDate"]),
    ("?branch=Atlantis&branch=Mombasa", None, None, ("Atlantis", "Mombasa"), []),
    ("?branch=mombasa", None, None, ("mombasa",), []),
    ("?compare=sometimes", None, None, (), ["compare"]),
])
def test_a_bad_link_keeps_every_valid_part_and_names_the_rest(search, start, end, branches, named):
    filters, ignored = _parse_search(search)
    assert (filters.start, filters.end, filters.values("branch")) == (start, end, branches)
    assert [i.arg for i in ignored] == named
    assert all(i.reason for i in ignored)


def test_values_that_match_nothing_stay_selected_and_are_explained():
    filters, _ = _parse_search("?branch=mombasa&branch=Atlantis&branch=Kisumu")
    notes = unknown_values(filters, {"branches": ["Kisumu", "Mombasa"]})
    assert filters.values("branch") == ("Atlantis", "Kisumu", "mombasa")  # never widened to all branches
    reasons = {n.value: n.reason for n in notes}
    assert set(reasons) == {"Atlantis", "mombasa"} and "'Mombasa'" in reasons["mombasa"]


def test_cross_filter_narrows_to_the_clicked_branch_and_remembers_the_view():
    current = Filters.create(start="2025-01-01", branch=["Kisumu", "Mombasa"])
    trigger = {"type": "xfilter", "dim": "branch", "axis": "y", "key": "k"}
    narrowed, undo = _cross_filter(trigger, {"points": [{"y": "Mombasa", "x": 5.0}]}, current, None)
    assert narrowed.values("branch") == ("Mombasa",) and narrowed.start == current.start
    assert Filters.from_args(undo) == current


def test_cross_filter_ignores_clicks_without_a_usable_value():
    trigger = {"type": "xfilter", "dim": "product_line", "axis": "x", "key": "k"}
    with pytest.raises(PreventUpdate):
        _cross_filter(trigger, {"points": [{"x": 3.5}]}, Filters(), None)
    with pytest.raises(PreventUpdate):
        _cross_filter({**trigger, "dim": "customer"}, {"points": [{"x": "A"}]}, Filters(), None)


def test_an_impossible_value_narrows_to_nothing_instead_of_widening():
    filters, ignored = _parse_search("?branch=" + "x" * 300 + "&startDate=2025-01-01")
    assert filters.start == dt.date(2025, 1, 1)
    assert filters.values("branch") == ("x" * 200,) and [i.arg for i in ignored] == ["branch"]
