"""The API serves the data layer's figures unchanged: API and pages cannot disagree.

The server runs in its own process over the demo store; the expected figures come from
``data.queries`` in this process over the same store.
"""

from __future__ import annotations

import pytest

from data import queries
from data.filters import Filters

FILTERS = Filters.create(start="2024-03-01", end="2024-11-30", branches=["Mombasa", "Nakuru"],
                         product_lines=["Plumbing", "Electrical", "Solar & Energy"])
PARAMS = [(k, v) for k, v in FILTERS.to_args()]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def _expected_rows(frame) -> list[dict]:  # type: ignore[no-untyped-def]
    return [{_camel(k): (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
            for row in frame.to_dicts()]


def _api(http, url: str, route: str, **extra) -> dict:  # type: ignore[no-untyped-def]
    response = http.get(url + route, params=PARAMS + list(extra.items()), timeout=30)
    assert response.status_code == 200, response.text[:300]
    return response.json()


@pytest.mark.parametrize(("route", "build"), [
    ("/api/kpis/branches", lambda f: queries.breakdown(f, "branch")),
    ("/api/kpis/product-lines", lambda f: queries.breakdown(f, "product_line")),
    ("/api/kpis/salespeople", lambda f: queries.breakdown(f, "salesperson")),
    ("/api/kpis/salespeople/product-mix", lambda f: queries.matrix(f, "salesperson", "product_line")),
    ("/api/kpis/customers", lambda f: queries.customer_profiles(f)),
    ("/api/kpis/branches/trend", lambda f: queries.dimension_trend(f, "branch", "month")),
    ("/api/kpis/products", lambda f: queries.breakdown(f, "item_name", context=("item_group", "product_line"))),
])
def test_lists_equal_the_data_layer(http, live_url, demo_engine, route, build):
    expected = _expected_rows(build(FILTERS))
    assert expected, "the filters should select some rows"
    assert _api(http, live_url, route)["data"] == expected


def test_product_search_equals_the_data_layer(http, live_url, demo_engine):
    expected = _expected_rows(queries.breakdown(FILTERS, "item_name", search="pipe",
                                                context=("item_group", "product_line")))
    got = _api(http, live_url, "/api/kpis/products", search="pipe")["data"]
    assert got == expected and all("pipe" in row["itemName"].lower() for row in got)


def test_summary_equals_the_data_layer(http, live_url, demo_engine):
    want = queries.kpis(FILTERS)
    got = _api(http, live_url, "/api/kpis/summary")["data"]
    assert got["lines"] == want["lines"]
    assert got["period"] == {"start": "2024-03-01", "end": "2024-11-30"}
    assert got["previousPeriod"]["end"] == want["previousPeriod"]["end"].isoformat()
    for name, item in want["metrics"].items():
        assert got["metrics"][_camel(name)] == item


@pytest.mark.parametrize(("metric", "column", "grain"), [
    ("grossProfit", "gross_profit", "month"), ("marginPct", "margin_pct", "week"), ("units", "units", "quarter"),
])
def test_trend_equals_the_data_layer(http, live_url, demo_engine, metric, column, grain):
    frame = queries.trend(FILTERS, grain)
    got = _api(http, live_url, "/api/kpis/trend", metric=metric, grain=grain)["data"]
    assert got == [{"period": p.isoformat(), "metric": metric, "value": v}
                   for p, v in zip(frame["period"], frame[column], strict=True)]


def test_filter_options_equal_the_data_layer(http, live_url, demo_engine):
    want = queries.filter_options()
    got = http.get(live_url + "/api/filters/options", timeout=30).json()["data"]
    assert got == {**want, "minDate": want["minDate"].isoformat(), "maxDate": want["maxDate"].isoformat()}
