"""Whole sections in the shared cache (``components.section_cache``): a repeated view is one cache
GET per section and sends the browser the same JSON; an ingest, another scope or Refresh never
gets an older or other answer; failures are not stored."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from dash import Dash
from plotly.io.json import to_json_plotly

from app import PAGE_MODULES, create_app
from app.config import Settings
from components.callbacks import SECTIONS
from components.state import NoData
from data.filters import Filters
from data.scope import Scope, scoped
from data.service import bypass_cache, get_runner
from ingest.demo import generate
from ingest.storage import commit_lines
from pages import salespeople

END = dt.date(2025, 6, 30)
VIEW = Filters.create(start=dt.date(2024, 7, 1), end=END, branch=["Mombasa", "Kisumu"])


@pytest.fixture(scope="module")
def cached_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Dash, Path]]:
    """The app over a 2,000-line demo store with an in-process result cache."""
    data_dir = tmp_path_factory.mktemp("section-cache")
    commit_lines(generate(rows=2_000, seed=5, end=END), data_dir=data_dir, file_name="demo", sha256="sc",
                 mode="replace")
    yield create_app(Settings(data_dir=data_dir, cache_backend="simple", redis_url=None)), data_dir


def _stats(app: Dash) -> dict[str, int]:
    with app.server.app_context():
        return dict(get_runner().cache.stats())  # type: ignore[union-attr]


def _post(app: Dash, output: str, filters: Filters) -> str:
    """The section's callback over HTTP (the Flask test client), as the browser sends it."""
    body = {"output": f"{output}.children", "outputs": {"id": output, "property": "children"},
            "inputs": [{"id": "filters", "property": "data", "value": filters.as_dict()},
                       {"id": "refresh-token", "property": "data", "value": 0}],
            "changedPropIds": ["filters.data"], "state": []}
    response = app.server.test_client().post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.text[:300]
    return response.get_data(as_text=True)


def _call(app: Dash, section: Any, filters: Filters) -> str:
    """A section function called directly in the app (extra inputs at their defaults), as JSON."""
    params = list(inspect.signature(section).parameters.values())[1:]
    extra = [p.default if p.default is not inspect.Parameter.empty else None for p in params]
    with app.server.app_context():
        return to_json_plotly(section(filters, *extra))


def test_a_repeated_view_is_served_from_the_cache_with_the_same_json(cached_app) -> None:
    app, _ = cached_app
    first = _post(app, "sp-leaderboard", VIEW)
    before = _stats(app)
    second = _post(app, "sp-leaderboard", VIEW)
    after = _stats(app)
    assert second == first
    assert after.get("section_hits", 0) == before.get("section_hits", 0) + 1
    assert after.get("computed", 0) == before.get("computed", 0)  # no query ran for the second view


def test_every_section_sends_the_same_json_from_the_cache(cached_app) -> None:
    app, _ = cached_app
    for name in PAGE_MODULES:
        importlib.import_module(name)
    sections = [s for name in PAGE_MODULES for s in SECTIONS.get(name, ())]
    hits = _stats(app).get("section_hits", 0)
    for section in sections:
        fresh = _call(app, section, VIEW)
        assert _call(app, section, VIEW) == fresh, section.__name__
    assert _stats(app).get("section_hits", 0) >= hits + len(sections) - 2  # sections without data are not stored


def test_an_ingest_makes_cached_sections_unreachable(cached_app) -> None:
    app, data_dir = cached_app
    view = Filters.create(start=dt.date(2025, 6, 1), end=END)
    before = _post(app, "sp-leaderboard", view)
    assert "Zawadi Newcomer" not in before
    lines = generate(rows=100, seed=9, end=END).head(5).with_columns(
        pl.lit("Zawadi Newcomer").alias("salesperson"), pl.lit("INV-NEWCOMER").alias("invoice_id"),
        pl.lit(END).alias("sale_date"))
    commit_lines(lines, data_dir=data_dir, file_name="newcomer", sha256="sc-newcomer", mode="append")
    assert "Zawadi Newcomer" in _post(app, "sp-leaderboard", view)


def test_a_scope_never_gets_another_scopes_section(cached_app) -> None:
    app, _ = cached_app
    everyone = _call(app, salespeople.leaderboard_section, VIEW)
    with scoped(Scope.of(branch=["Mombasa"])):
        mombasa = _call(app, salespeople.leaderboard_section, VIEW)
    with bypass_cache():
        assert _call(app, salespeople.leaderboard_section, VIEW) == everyone
    assert mombasa != everyone
    with scoped(Scope.of(branch=["Mombasa"])), bypass_cache():
        assert _call(app, salespeople.leaderboard_section, VIEW) == mombasa


def test_refresh_recomputes_and_failures_are_not_stored(cached_app) -> None:
    app, _ = cached_app
    _call(app, salespeople.margin_section, VIEW)
    before = _stats(app)
    with bypass_cache():
        _call(app, salespeople.margin_section, VIEW)
    assert _stats(app).get("section_hits", 0) == before.get("section_hits", 0)
    nobody = Filters.create(branch=["Nowhere"])
    for _ in range(2):
        with pytest.raises(NoData):
            _call(app, salespeople.margin_section, nobody)  # NoData: shown as the empty state, never cached
    assert _stats(app).get("section_hits", 0) == before.get("section_hits", 0)
    assert json.loads(_post(app, "sp-margin", nobody))["response"]["sp-margin"]["children"]["props"][
        "data-state"] == "empty"
