"""``format=csv`` carries exactly the rows of the JSON ``data``, cell for cell."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.api.routes import LIST_ROUTES

PARAMS = {"startDate": "2024-01-01", "endDate": "2024-12-31", "limit": 50, "offset": 3}


def _cell(value: object) -> str:
    """How a JSON value is written to CSV: JSON's own number spelling, empty for null."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return json.dumps(value)
    return value if isinstance(value, str) else json.dumps(value)


def _csv(http, url: str, params: dict) -> tuple[list[str], list[dict[str, str]]]:  # type: ignore[no-untyped-def]
    response = http.get(url, params={**params, "format": "csv"}, timeout=30)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["X-Request-ID"]
    reader = csv.DictReader(io.StringIO(response.text))
    return list(reader.fieldnames or []), list(reader)


@pytest.mark.parametrize("route", LIST_ROUTES)
def test_csv_equals_json_rows(http, live_url, route):
    data = http.get(live_url + route, params=PARAMS, timeout=30).json()["data"]
    assert data, "expected rows for 2024 in the demo store"
    header, rows = _csv(http, live_url + route, PARAMS)
    assert header == list(data[0])
    assert rows == [{k: _cell(v) for k, v in row.items()} for row in data]


def test_summary_csv_has_one_row_per_metric(http, live_url):
    params = {"startDate": "2025-01-01", "branch": "Mombasa"}
    body = http.get(live_url + "/api/kpis/summary", params=params, timeout=30).json()
    header, rows = _csv(http, live_url + "/api/kpis/summary", params)
    assert header == ["metric", "value", "previous", "change", "changeUnit"]
    assert rows == [{"metric": name, **{k: _cell(v) for k, v in item.items()}}
                    for name, item in body["data"]["metrics"].items()]
    assert body["metadata"]["rowCount"] == len(rows)


def test_filter_options_csv_lists_every_value(http, live_url):
    body = http.get(live_url + "/api/filters/options", timeout=30).json()
    _, rows = _csv(http, live_url + "/api/filters/options", {})
    data = body["data"]
    from data.dimensions import FILTER_DIMENSIONS

    expected = ([{"filter": d.arg, "value": v} for d in FILTER_DIMENSIONS for v in data[d.options_key]]
                + [{"filter": "minDate", "value": data["minDate"]}, {"filter": "maxDate", "value": data["maxDate"]}])
    assert {r["filter"] for r in rows} >= {"branch", "productLine", "itemGroup", "salesperson"}
    assert rows == expected and body["metadata"]["rowCount"] == len(rows)
