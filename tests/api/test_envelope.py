"""Every route answers the envelope over real HTTP, with camelCase keys all the way down."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.api.routes import ALL_ROUTES, ENVELOPE_ROUTES, LIST_ROUTES, assert_envelope

CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")


def _keys(value: object) -> list[str]:
    """Every dict key in a JSON value (the ingest entry's free-form keys included)."""
    if isinstance(value, dict):
        return [k for k in value] + [k for v in value.values() for k in _keys(v)]
    if isinstance(value, list):
        return [k for v in value for k in _keys(v)]
    return []


@pytest.mark.parametrize("route", ENVELOPE_ROUTES)
def test_every_route_returns_the_envelope(http, live_url, route):
    response = http.get(live_url + route, timeout=30)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert_envelope(body, response.headers["X-Request-ID"])
    assert body["error"] is None
    dt.datetime.fromisoformat(body["metadata"]["generatedAt"].replace("Z", "+00:00"))
    bad = [k for k in _keys(body) if not CAMEL.match(k)]
    assert not bad, f"keys not in camelCase: {bad}"


@pytest.mark.parametrize("route", LIST_ROUTES)
def test_lists_page_with_limit_and_offset(http, live_url, route):
    full = http.get(live_url + route, timeout=30).json()
    total = len(full["data"])
    assert total >= 3, "the demo store should give every list a few rows"
    page = http.get(live_url + route, params={"limit": 2, "offset": 1}, timeout=30)
    body = page.json()
    assert body["data"] == full["data"][1:3]
    assert body["metadata"]["rowCount"] == 2
    assert page.headers["X-Total-Count"] == str(total)


def test_filters_are_echoed_normalized(http, live_url):
    params = [("startDate", "2024-01-01"), ("endDate", "2024-06-30"), ("branch", "Mombasa"),
              ("branch", "Kisumu"), ("branch", "Mombasa")]
    body = http.get(live_url + "/api/kpis/branches", params=params, timeout=30).json()
    assert body["metadata"]["filters"] == {"startDate": "2024-01-01", "endDate": "2024-06-30",
                                           "branch": ["Kisumu", "Mombasa"], "productLine": [], "itemGroup": [],
                                           "salesperson": [], "compare": "auto"}
    assert sorted(row["branch"] for row in body["data"]) == ["Kisumu", "Mombasa"]
    assert body["metadata"]["rowCount"] == 2


def test_summary_and_trend_shapes(http, live_url):
    summary = http.get(live_url + "/api/kpis/summary", params={"startDate": "2025-01-01"}, timeout=30).json()
    assert set(summary["data"]["metrics"]) == {"revenue", "grossProfit", "marginPct", "transactions",
                                                "avgTransactionValue", "customers", "returnRatePct"}
    assert summary["data"]["period"]["start"] == "2025-01-01"
    assert summary["data"]["metrics"]["marginPct"]["changeUnit"] == "pp"
    trend = http.get(live_url + "/api/kpis/trend", params={"metric": "marginPct", "grain": "quarter"},
                     timeout=30).json()
    periods = [row["period"] for row in trend["data"]]
    assert periods == sorted(periods) and all(row["metric"] == "marginPct" for row in trend["data"])
    assert all(dt.date.fromisoformat(p).month in (1, 4, 7, 10) and p.endswith("-01") for p in periods)


def test_health_reports_store_and_druid(http, live_url, demo_frame):
    db = http.get(live_url + "/api/health/db", timeout=30).json()["data"]
    assert db["engine"] == "duckdb" and db["reachable"] is True and db["status"] == "ok"
    assert db["rows"] == demo_frame.height
    assert db["lastIngest"]["dataVersion"] == db["dataVersion"]
    druid = http.get(live_url + "/api/health/druid", timeout=30).json()["data"]
    assert druid["status"] == "not configured" and druid["configured"] is False
    health = http.get(live_url + "/api/health", timeout=30).json()["data"]
    assert health["status"] in ("ok", "degraded") and health["app"]["name"] == "mauzo"
    assert health["status"] == ("ok" if health["cache"]["healthy"] else "degraded")


@pytest.mark.parametrize("route", ALL_ROUTES)
def test_every_route_sends_a_request_id_header(http, live_url, route):
    response = http.get(live_url + route, timeout=30)
    assert len(response.headers["X-Request-ID"]) >= 8
