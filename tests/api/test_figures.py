"""The API serves the data layer's figures unchanged: API and pages cannot disagree.

The server runs in its own process over the demo store; the expected figures come from
``data.queries`` in this process over the same store.
"""

from __future__ import annotations

import pytest

from data import queries
from data.customers import account_profiles
from data.filters import Filters

FILTERS = Filters.create(start="2024-03-01", end="2024-11-30", branch=["Mombasa", "Nakuru"],
                         product_line=["Plumbing", "Electrical", "Solar & Energy"])
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
    ("/api/kpis/customers", lambda f: account_profiles(f)),
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


def test_customers_are_account_customers_with_rank_and_shares(http, live_url):
    """As on every page: walk-in, cash and unassigned sales are not customers, and each row has its
    documented GP rank and shares (which sum to 100 over all accounts)."""
    from data.schema import NON_ACCOUNT_CUSTOMERS

    rows = _api(http, live_url, "/api/kpis/customers", limit="10000")["data"]
    assert rows and not {r["customer"] for r in rows} & NON_ACCOUNT_CUSTOMERS
    assert [r["gpRank"] for r in rows] == list(range(1, len(rows) + 1))
    assert sum(r["grossProfitSharePct"] for r in rows) == pytest.approx(100.0)
    assert sum(r["revenueSharePct"] for r in rows) == pytest.approx(100.0)


@pytest.mark.parametrize(("params", "bad"), [
    ([("startDate", "2025-01-01"), ("startDate", "2025-02-01")], "startDate"),
    ([("startDate", "3000-01-01")], "startDate"),
    ([("compare", "sometimes")], "compare"),
])
def test_ambiguous_or_absurd_arguments_are_400(http, live_url, params, bad):
    response = http.get(live_url + "/api/kpis/summary", params=params, timeout=30)
    assert response.status_code == 400 and bad in response.json()["error"]["details"]


def test_a_start_past_the_data_has_no_comparison_period(http, live_url):
    data = http.get(live_url + "/api/kpis/summary", params={"startDate": "2999-12-31"}, timeout=30).json()["data"]
    assert data["period"] == {"start": "2999-12-31", "end": None}
    assert data["previousPeriod"] == {"start": None, "end": None} and data["comparison"] is None


def test_compare_chooses_the_comparison_period(http, live_url):
    base = {"startDate": "2025-01-01", "endDate": "2025-03-31"}
    auto = http.get(live_url + "/api/kpis/summary", params=base, timeout=30).json()["data"]
    previous = http.get(live_url + "/api/kpis/summary", params={**base, "compare": "previous"},
                        timeout=30).json()["data"]
    assert (auto["comparison"], auto["previousPeriod"]) == ("lastYear", {"start": "2024-01-01", "end": "2024-03-31"})
    assert (previous["comparison"], previous["previousPeriod"]) == \
        ("previous", {"start": "2024-10-03", "end": "2024-12-31"})
    # Only routes that compare periods take it: elsewhere it is an unknown argument, not ignored.
    assert http.get(live_url + "/api/kpis/branches", params={"compare": "previous"}, timeout=30).status_code == 400
