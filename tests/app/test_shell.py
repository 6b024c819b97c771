"""Shell logic that does not need a browser: URL parsing and cross-filter clicks."""

from __future__ import annotations

import pytest
from dash.exceptions import PreventUpdate

from app.shell import _cross_filter, _parse_search
from data.filters import Filters


def test_parse_search_keeps_valid_parts_of_a_bad_url():
    assert _parse_search("?startDate=nonsense&branch=Mombasa") == Filters.create(branches=["Mombasa"])
    assert _parse_search("?startDate=2025-01-01&productLine=Plumbing") == Filters.create(
        start="2025-01-01", product_lines=["Plumbing"])
    assert _parse_search(None) == Filters()


def test_cross_filter_narrows_to_the_clicked_branch_and_remembers_the_view():
    current = Filters.create(start="2025-01-01", branches=["Kisumu", "Mombasa"])
    trigger = {"type": "xfilter", "dim": "branch", "axis": "y", "key": "k"}
    narrowed, undo = _cross_filter(trigger, {"points": [{"y": "Mombasa", "x": 5.0}]}, current, None)
    assert narrowed.branches == ("Mombasa",) and narrowed.start == current.start
    assert Filters.from_args(undo) == current


def test_cross_filter_ignores_clicks_without_a_usable_value():
    trigger = {"type": "xfilter", "dim": "product_line", "axis": "x", "key": "k"}
    with pytest.raises(PreventUpdate):
        _cross_filter(trigger, {"points": [{"x": 3.5}]}, Filters(), None)
    with pytest.raises(PreventUpdate):
        _cross_filter({**trigger, "dim": "customer"}, {"points": [{"x": "A"}]}, Filters(), None)


def test_a_url_with_an_impossible_selection_falls_back_to_no_filter():
    assert _parse_search("?branch=" + "x" * 300 + "&startDate=2025-01-01") == Filters()
