"""Every error path answers a JSON envelope with the right status, code and details."""

from __future__ import annotations

import json

import pytest

from tests.api.routes import FIGURE_ROUTES, assert_error

BAD_ARGUMENTS = [
    ("/api/kpis/summary", {"startDate": "2024-13-01"}, {"startDate"}),
    ("/api/kpis/summary", {"startDate": "yesterday", "endDate": "2024/01/01"}, {"startDate", "endDate"}),
    ("/api/kpis/branches", {"startDate": "2024-06-01", "endDate": "2024-05-31"}, {"endDate"}),
    ("/api/kpis/branches", {"startDate": "0001-01-01"}, {"startDate"}),
    ("/api/kpis/branches", {"limit": "0"}, {"limit"}),
    ("/api/kpis/branches", {"limit": "10001"}, {"limit"}),
    ("/api/kpis/branches", {"limit": "ten"}, {"limit"}),
    ("/api/kpis/customers", {"offset": "-1"}, {"offset"}),
    ("/api/kpis/customers", {"format": "xml"}, {"format"}),
    ("/api/kpis/trend", {"metric": "gross_profit", "grain": "hour"}, {"metric", "grain"}),
    ("/api/kpis/branches/trend", {"grain": "fortnight"}, {"grain"}),
    ("/api/kpis/summary", {"limit": "5"}, {"limit"}),
    ("/api/kpis/products", {"startdate": "2024-01-01"}, {"startdate"}),
    ("/api/kpis/products", {"search": "x" * 201}, {"search"}),
    ("/api/filters/options", {"branch": "Kisumu"}, {"branch"}),
    ("/api/kpis/trend", {"startDate": "", "format": "", "metric": "", "limit": ""}, {"startDate", "format", "metric",
                                                                                  "limit"}),
]


@pytest.mark.parametrize(("route", "params", "named"), BAD_ARGUMENTS)
def test_bad_arguments_are_400_naming_each_one(http, live_url, route, params, named):
    body = assert_error(http.get(live_url + route, params=params, timeout=30), 400, "INVALID_ARGUMENT")
    assert set(body["error"]["details"]) == named
    assert all(isinstance(v, str) and v for v in body["error"]["details"].values())


@pytest.mark.parametrize("path", ["/api/nope", "/api", "/api/", "/api/kpis/summary/extra", "/api/kpis"])
def test_unknown_api_route_is_a_404_envelope(http, live_url, path):
    assert_error(http.get(live_url + path, timeout=30), 404, "NOT_FOUND")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_wrong_method_is_a_405_envelope(http, live_url, method):
    response = http.request(method, live_url + "/api/kpis/summary", timeout=30)
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert "GET" in response.headers["Allow"]


def test_unknown_route_with_another_method_is_404_not_405(http, live_url):
    assert_error(http.post(live_url + "/api/no-such-thing", timeout=30), 404, "NOT_FOUND")


def test_error_envelope_keeps_the_callers_request_id(http, live_url):
    response = http.get(live_url + "/api/kpis/branches", params={"limit": 0},
                        headers={"X-Request-ID": "err-trace-42"}, timeout=30)
    body = assert_error(response, 400, "INVALID_ARGUMENT")
    assert body["metadata"]["requestId"] == "err-trace-42" == response.headers["X-Request-ID"]


def test_errors_stay_json_when_csv_was_asked(http, live_url):
    response = http.get(live_url + "/api/kpis/branches", params={"format": "csv", "limit": 0}, timeout=30)
    assert_error(response, 400, "INVALID_ARGUMENT")


@pytest.mark.parametrize("route", FIGURE_ROUTES)
def test_empty_store_is_503_engine_unavailable(http, empty_server, route):
    body = assert_error(http.get(empty_server.url + route, timeout=30), 503, "ENGINE_UNAVAILABLE")
    assert "/" not in body["error"]["message"], "no filesystem path in a public message"


def test_empty_store_health(http, empty_server):
    assert http.get(empty_server.url + "/api/health", timeout=30).status_code == 200
    body = assert_error(http.get(empty_server.url + "/api/health/db", timeout=30), 503, "ENGINE_UNAVAILABLE")
    assert body["data"]["reachable"] is False and body["data"]["status"] == "unreachable"
    assert empty_server.log.parent.name not in json.dumps(body)


def test_query_failure_is_500_query_failed_with_nothing_leaked(http, broken_server):
    response = http.get(broken_server.url + "/api/kpis/branches", headers={"X-Request-ID": "broken-1"}, timeout=30)
    body = assert_error(response, 500, "QUERY_FAILED")
    text = response.text.lower()
    for leak in ("quantity", "revenue_e4", "select", "binder", "duckdb", "traceback", "snapshots"):
        assert leak not in text, leak
    assert "broken-1" in body["error"]["message"] and body["error"]["details"] == {}
    # The operator gets the cause in the log, tagged with the same request id.
    errors = [json.loads(line) for line in broken_server.log_text().splitlines()
              if line.startswith("{") and '"level":"ERROR"' in line]
    assert any(e.get("requestId") == "broken-1" and "Referenced column" in e.get("exception", "") for e in errors)


def test_broken_store_still_answers_health(http, broken_server):
    body = http.get(broken_server.url + "/api/health/db", timeout=30).json()
    assert body["data"]["reachable"] is True and body["data"]["dataVersion"] == "000001-broken"


def test_options_advertises_only_the_methods_a_route_serves(live_url):
    import requests

    response = requests.options(live_url + "/api/kpis/summary", timeout=10)
    assert response.status_code == 200
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
