"""GraphQL answers with REST's figures: every query equals its REST route for the same filters.

The server is the real app under gunicorn over the demo store. Each GraphQL selection is built from
the keys of the REST rows, so a column missing from GraphQL fails the query, and a value that
differs fails the comparison.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from app.api.routes import TREND_METRICS
from data.filters import Filters
from tests.api.routes import assert_envelope

FILTERS = Filters.create(start="2024-03-01", end="2024-11-30", branch=["Mombasa", "Nakuru"],
                         product_line=["Plumbing", "Electrical", "Solar & Energy"])
PARAMS = FILTERS.to_args()
VARIABLES = {"filters": {k: v for k, v in FILTERS.as_dict().items() if k != "compare"}}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "graphql.md"


def graphql(http, url: str, query: str, variables: dict | None = None, **kwargs: Any):  # type: ignore[no-untyped-def]
    return http.post(url + "/api/graphql", json={"query": query, "variables": variables or {}}, timeout=60, **kwargs)


def ok(response) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text[:500]
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body


def rest(http, url: str, route: str, **extra: Any):  # type: ignore[no-untyped-def]
    response = http.get(url + route, params=PARAMS + list(extra.items()), timeout=60)
    assert response.status_code == 200, response.text[:300]
    return response


def _args(values: dict[str, Any]) -> str:
    """GraphQL argument text; upper-case strings are enum values, others string literals."""
    def literal(value: Any) -> str:
        if isinstance(value, str):
            return value if re.fullmatch(r"[A-Z_]+", value) else f'"{value}"'
        return str(value)
    return "".join(f", {k}: {literal(v)}" for k, v in values.items())


LISTS = [
    # (GraphQL field, its arguments, REST route, REST arguments)
    ("breakdown", {"dimension": "SALESPERSON"}, "/api/kpis/salespeople", {}),
    ("breakdown", {"dimension": "PRODUCT_LINE"}, "/api/kpis/product-lines", {}),
    ("breakdown", {"dimension": "BRANCH"}, "/api/kpis/branches", {}),
    ("breakdown", {"dimension": "ITEM_NAME"}, "/api/kpis/products", {}),
    ("breakdown", {"dimension": "ITEM_NAME", "search": "pipe"}, "/api/kpis/products", {"search": "pipe"}),
    ("breakdown", {"dimension": "SALESPERSON", "limit": 3, "offset": 2}, "/api/kpis/salespeople",
     {"limit": 3, "offset": 2}),
    ("productMix", {}, "/api/kpis/salespeople/product-mix", {}),
    ("productMix", {"limit": 5, "offset": 4}, "/api/kpis/salespeople/product-mix", {"limit": 5, "offset": 4}),
    ("branchTrend", {}, "/api/kpis/branches/trend", {}),
    ("branchTrend", {"grain": "QUARTER"}, "/api/kpis/branches/trend", {"grain": "quarter"}),
    ("customers", {}, "/api/kpis/customers", {}),
    ("customers", {"limit": 7, "offset": 3}, "/api/kpis/customers", {"limit": 7, "offset": 3}),
]


@pytest.mark.parametrize(("field", "args", "route", "rest_args"), LISTS)
def test_lists_equal_rest(http, live_url, field, args, route, rest_args):
    response = rest(http, live_url, route, **rest_args)
    want = response.json()["data"]
    assert want, "the filters should select some rows"
    query = (f"query($filters: FilterInput) {{ {field}(filters: $filters{_args(args)}) "
             f"{{ totalCount rows {{ {' '.join(want[0])} }} }} }}")
    got = ok(graphql(http, live_url, query, VARIABLES))["data"][field]
    assert got["rows"] == want
    assert got["totalCount"] == int(response.headers["X-Total-Count"])


@pytest.mark.parametrize(("dimension", "route"), [
    ("SALESPERSON", "/api/kpis/salespeople"), ("BRANCH", "/api/kpis/branches"), ("ITEM_NAME", "/api/kpis/products"),
])
def test_breakdown_value_is_the_dimension(http, live_url, dimension, route):
    want = rest(http, live_url, route).json()["data"]
    key = {"SALESPERSON": "salesperson", "BRANCH": "branch", "ITEM_NAME": "itemName"}[dimension]
    query = (f"query($filters: FilterInput) {{ breakdown(filters: $filters, dimension: {dimension}) "
             f"{{ rows {{ value }} }} }}")
    rows = ok(graphql(http, live_url, query, VARIABLES))["data"]["breakdown"]["rows"]
    assert [r["value"] for r in rows] == [r[key] for r in want]


@pytest.mark.parametrize("type_name", ["MixCell", "BranchTrendRow", "CustomerRow"])
def test_row_types_have_exactly_the_rest_columns(http, live_url, type_name):
    """Nothing GraphQL-only, nothing missing (a metric added to the declarations shows in both)."""
    route = {"MixCell": "/api/kpis/salespeople/product-mix", "BranchTrendRow": "/api/kpis/branches/trend",
             "CustomerRow": "/api/kpis/customers"}[type_name]
    columns = set(rest(http, live_url, route).json()["data"][0])
    body = ok(graphql(http, live_url, f'{{ __type(name: "{type_name}") {{ fields {{ name }} }} }}'))
    assert {f["name"] for f in body["data"]["__type"]["fields"]} == columns


def _enum(camel: str) -> str:
    return re.sub(r"([A-Z])", r"_\1", camel).upper()


@pytest.mark.parametrize("metric", TREND_METRICS)
@pytest.mark.parametrize("grain", ["month", "week"])
def test_trend_equals_rest(http, live_url, metric, grain):
    want = rest(http, live_url, "/api/kpis/trend", metric=metric, grain=grain).json()["data"]
    query = (f"query($filters: FilterInput) {{ trend(filters: $filters, grain: {grain.upper()}, "
             f"metric: {_enum(metric)}) {{ totalCount rows {{ period metric value {metric} }} }} }}")
    got = ok(graphql(http, live_url, query, VARIABLES))["data"]["trend"]
    assert [{"period": r["period"], "metric": metric, "value": r["value"]} for r in got["rows"]] == want
    assert all(r["metric"] == _enum(metric) and r[metric] == r["value"] for r in got["rows"])
    assert got["totalCount"] == len(want)


def test_trend_metric_choices_are_rest_choices(http, live_url):
    body = ok(graphql(http, live_url, '{ __type(name: "TrendMetric") { enumValues { name } } }'))
    assert [v["name"] for v in body["data"]["__type"]["enumValues"]] == [_enum(m) for m in TREND_METRICS]


SUMMARY = """query($filters: FilterInput, $compare: Compare!) { summary(filters: $filters, compare: $compare) {
  period { start end } previousPeriod { start end } comparison lines
  metrics { %s }
} }"""
REST_ENUMS = {"LAST_YEAR": "lastYear", "PREVIOUS": "previous", "PCT": "pct", "PP": "pp"}


@pytest.mark.parametrize(("compare", "rest_compare"), [("AUTO", None), ("PREVIOUS", "previous"),
                                                       ("LAST_YEAR", "lastYear")])
def test_summary_equals_rest(http, live_url, compare, rest_compare):
    want = rest(http, live_url, "/api/kpis/summary", **({"compare": rest_compare} if rest_compare else {})).json()
    want = want["data"]
    metrics = " ".join(f"{name} {{ value previous change changeUnit }}" for name in want["metrics"])
    got = ok(graphql(http, live_url, SUMMARY % metrics, {**VARIABLES, "compare": compare}))["data"]["summary"]
    got["comparison"] = REST_ENUMS.get(got["comparison"], got["comparison"])
    for item in got["metrics"].values():
        item["changeUnit"] = REST_ENUMS[item["changeUnit"]]
    assert got == want


def test_filter_options_equal_rest(http, live_url):
    want = http.get(live_url + "/api/filters/options", timeout=30).json()["data"]
    got = ok(graphql(http, live_url, f"{{ filterOptions {{ {' '.join(want)} }} }}"))["data"]["filterOptions"]
    assert got == want


def test_get_answers_like_post(http, live_url):
    query = "{ breakdown(dimension: BRANCH, limit: 3) { totalCount rows { branch grossProfit gpRank } } }"
    by_get = http.get(live_url + "/api/graphql", params={"query": query}, timeout=30)
    assert ok(by_get)["data"] == ok(graphql(http, live_url, query))["data"]


def test_extensions_carry_the_envelope_metadata(http, live_url):
    """requestId (the X-Request-ID header, the caller's when sane), cached, durationMs: as REST's metadata."""
    query = "query($filters: FilterInput) { breakdown(filters: $filters, dimension: BRANCH) { totalCount } }"
    first = graphql(http, live_url, query, VARIABLES, headers={"X-Request-ID": "gql-trace-1"})
    body = ok(first)
    assert body["extensions"]["requestId"] == "gql-trace-1" == first.headers["X-Request-ID"]
    assert isinstance(body["extensions"]["durationMs"], float) and body["extensions"]["durationMs"] >= 0
    assert set(body) == {"data", "extensions"}
    # The REST route runs the very same query: both report whether the cache answered it.
    again = ok(graphql(http, live_url, query, VARIABLES))
    rest_meta = rest(http, live_url, "/api/kpis/branches").json()
    assert_envelope(rest_meta)
    assert again["extensions"]["cached"] is True and rest_meta["metadata"]["cached"] is True


def test_request_log_line_names_the_graphql_request(http, live_url, live_log):
    ok(graphql(http, live_url, "{ filterOptions { minDate } }", headers={"X-Request-ID": "gql-log-1"}))
    assert any('"requestId":"gql-log-1"' in line and '"/api/graphql"' in line
               for line in live_log.read_text(encoding="utf-8").splitlines())


def _doc_examples() -> list[tuple[str, str, dict]]:
    """(page, query, variables) for every example in docs/graphql.md's "One request per page"."""
    import json

    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## One request per page", 1)[1].split("\n## ", 1)[0]
    found = re.findall(r"### (.+?)\n.*?```graphql\n(.*?)```\s*```json\n(.*?)```", section, re.S)
    return [(page, query, json.loads(variables)) for page, query, variables in found]


def test_docs_have_an_example_per_page():
    pages = [page for page, _, _ in _doc_examples()]
    assert len(pages) >= 6, pages
    for name in ("Overview", "Salespeople", "Products", "Branches", "Customers", "Filter bar"):
        assert any(name in page for page in pages), name


@pytest.mark.parametrize(("page", "query", "variables"), _doc_examples())
def test_docs_examples_run_in_one_request(http, live_url, page, query, variables):
    body = ok(graphql(http, live_url, query, variables))
    assert body["data"] and all(value is not None for value in body["data"].values()), page
