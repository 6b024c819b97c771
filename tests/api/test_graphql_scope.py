"""A scope in force applies to GraphQL as to every query: a scoped viewer sees only its branches
and no filter can widen that. The app runs in-process (Flask's test client) so the scope of the
test (``data.scope.scoped``) is the scope of the request, as the token hooks will set it."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app
from app.config import Settings
from data import queries
from data.filters import Filters
from data.scope import Scope, scoped

PAGE = """query($filters: FilterInput) {
  summary(filters: $filters) { lines metrics { revenue { value } } }
  branches: breakdown(filters: $filters, dimension: BRANCH) { totalCount rows { value revenue } }
  branchTrend(filters: $filters, grain: YEAR) { rows { branch } }
  customers(filters: $filters, limit: 10000) { totalCount }
  filterOptions { branches }
}"""


@pytest.fixture
def client(demo_store: Path):
    """A whole app over the demo store with an in-memory result cache (so a cached answer for
    one scope must not be served to another)."""
    return create_app(Settings(data_dir=demo_store, cache_backend="simple")).server.test_client()


def _page(client, filters: dict | None = None) -> dict:  # type: ignore[no-untyped-def]
    response = client.post("/api/graphql", json={"query": PAGE, "variables": {"filters": filters or {}}})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["data"]


def test_a_scoped_query_sees_only_its_branch(client, demo_engine):
    everything = _page(client)
    assert len(everything["filterOptions"]["branches"]) > 1
    with scoped(Scope.of(branch=["Mombasa"])):
        data = _page(client)
    assert data["filterOptions"]["branches"] == ["Mombasa"]
    assert [r["value"] for r in data["branches"]["rows"]] == ["Mombasa"]
    assert {r["branch"] for r in data["branchTrend"]["rows"]} == {"Mombasa"}
    mombasa = queries.kpis(Filters.create(branch=["Mombasa"]))
    assert data["summary"]["lines"] == mombasa["lines"] < everything["summary"]["lines"]
    assert data["summary"]["metrics"]["revenue"]["value"] == mombasa["metrics"]["revenue"]["value"]
    assert data["customers"]["totalCount"] < everything["customers"]["totalCount"]


def test_a_filter_cannot_widen_the_scope(client, demo_engine):
    with scoped(Scope.of(branch=["Mombasa"])):
        data = _page(client, {"branch": ["Kisumu", "Nakuru"]})
    assert data["summary"]["lines"] == 0
    assert data["branches"]["totalCount"] == 0 and data["customers"]["totalCount"] == 0
    assert data["filterOptions"]["branches"] == ["Mombasa"]
