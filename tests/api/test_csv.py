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


EVIL = ["=1+1", '=HYPERLINK("http://evil","x")', "-5", "@SUM(A1)", "+254700", "\tTab"]


def test_csv_text_quotes_formula_text_and_keeps_numbers():
    from app.api.envelope import csv_text

    rows = [{"name": name, "gp": -5.25, "n": -5, "ok": True} for name in EVIL]
    parsed = list(csv.DictReader(io.StringIO(csv_text(rows, ["name", "gp", "n", "ok"]))))
    assert [r["name"] for r in parsed] == ["'" + name for name in EVIL]
    assert {(r["gp"], r["n"], r["ok"]) for r in parsed} == {("-5.25", "-5", "true")}


@pytest.fixture(scope="module")
def evil_server(tmp_path_factory, demo_frame):  # type: ignore[no-untyped-def]
    """A store whose salespeople and product lines are named like formulas."""
    import polars as pl

    from tests.conftest import build_store
    from tests.live import running_app

    lines = demo_frame.with_columns(
        pl.Series("salesperson", [EVIL[i % len(EVIL)] for i in range(demo_frame.height)]),
        pl.Series("product_line", [EVIL[(i + 2) % len(EVIL)] for i in range(demo_frame.height)]),
    )
    store = build_store(tmp_path_factory.mktemp("evil-store"), lines, name="evil")
    with running_app(store, workers=1, log_path=tmp_path_factory.mktemp("evil-log") / "server.log") as url:
        yield url


@pytest.mark.parametrize(("route", "column"), [("/api/kpis/salespeople", "salesperson"),
                                               ("/api/kpis/product-lines", "productLine"),
                                               ("/api/filters/options", "value")])
def test_api_csv_never_starts_a_text_cell_with_a_formula(http, evil_server, route, column):
    json_rows = http.get(evil_server + route, timeout=30).json()["data"]
    _, rows = _csv(http, evil_server + route, {})
    texts = [r[column] for r in rows if r.get("filter") in (None, "salesperson", "productLine")]
    assert texts and all(t.startswith("'") for t in texts)
    assert {t[1:] for t in texts} <= set(EVIL)
    if isinstance(json_rows, list):  # the JSON keeps the real names; numbers are the same in both
        assert {r[column] for r in json_rows} <= set(EVIL)
        assert [r["grossProfit"] for r in rows] == [_cell(r["grossProfit"]) for r in json_rows]
