"""The item group filter, added by one declaration: REST argument, filtering, options, OpenAPI."""

from __future__ import annotations

import pytest

from data.filters import Filters
from data.queries import breakdown, summary


def test_item_group_filters_every_figure(http, live_url, demo_engine):
    params = {"itemGroup": ["Cables", "Pipes"], "startDate": "2025-01-01"}
    body = http.get(live_url + "/api/kpis/product-lines", params=params, timeout=30).json()
    want = breakdown(Filters.create(start="2025-01-01", item_group=["Cables", "Pipes"]), "product_line")
    assert {r["productLine"]: r["grossProfit"] for r in body["data"]} == \
        dict(zip(want["product_line"], want["gross_profit"], strict=True))
    assert sorted(r["productLine"] for r in body["data"]) == ["Electrical", "Plumbing"]
    assert body["metadata"]["filters"]["itemGroup"] == ["Cables", "Pipes"]
    total = http.get(live_url + "/api/kpis/summary", params=params, timeout=30).json()["data"]
    assert total["metrics"]["revenue"]["value"] == pytest.approx(
        summary(Filters.create(start="2025-01-01", item_group=["Cables", "Pipes"]))["revenue"][0], abs=0.005)


def test_item_groups_are_offered_and_documented(http, live_url):
    options = http.get(live_url + "/api/filters/options", timeout=30).json()["data"]
    assert "Cables" in options["itemGroups"] and len(options["itemGroups"]) > 10
    doc = http.get(live_url + "/api/openapi.json", timeout=30).json()
    summary_params = [p["$ref"].rsplit("/", 1)[-1] for p in doc["paths"]["/api/kpis/summary"]["get"]["parameters"]]
    assert "itemGroup" in summary_params and "itemGroup" in doc["components"]["parameters"]
    assert "itemGroups" in doc["components"]["schemas"]["FilterOptions"]["properties"]
    assert "itemGroup" in doc["components"]["schemas"]["Filters"]["properties"]


def test_a_bad_item_group_argument_is_named(http, live_url):
    response = http.get(live_url + "/api/kpis/summary", params={"itemGroup": "x" * 201}, timeout=30)
    assert response.status_code == 400 and "itemGroup" in response.json()["error"]["details"]
