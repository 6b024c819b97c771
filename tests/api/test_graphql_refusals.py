"""GraphQL refuses what REST refuses, in GraphQL's shape: bad arguments (REST's rules and words),
over-deep and over-wide documents, mutations, missing tokens, oversized bodies; failures of the
store answer REST's codes without leaking anything."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from app.config import Settings
from tests.api.conftest import TOKENS, Server, _serve
from tests.api.test_graphql_figures import graphql

LIMITS = Settings()


def refused(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    """A GraphQL-shaped refusal: JSON, this status, every error with this code, no data, the request id."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) <= {"data", "errors", "extensions"} and body.get("data") is None
    assert body["errors"] and {e["extensions"]["code"] for e in body["errors"]} == {code}, body["errors"]
    assert body["extensions"]["requestId"] == response.headers["X-Request-ID"]
    return body


@pytest.fixture(scope="session")
def strict_server(demo_store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The demo store with the IDE on, introspection off and a shallow depth limit."""
    env = {"MAUZO_GRAPHQL_IDE": "1", "MAUZO_GRAPHQL_INTROSPECTION": "0", "MAUZO_GRAPHQL_MAX_DEPTH": "2"}
    ctx, log = _serve(tmp_path_factory, demo_store, "graphql-strict", env)
    with ctx as url:
        yield Server(url, log)


BAD_ARGUMENTS = [
    # (query, variables, the arguments REST's rules name)
    ("query($f: FilterInput) { summary(filters: $f) { lines } }", {"f": {"startDate": "2024-13-01"}}, {"startDate"}),
    ("query($f: FilterInput) { summary(filters: $f) { lines } }",
     {"f": {"startDate": "yesterday", "endDate": "2024/01/01"}}, {"startDate", "endDate"}),
    ("query($f: FilterInput) { breakdown(filters: $f, dimension: BRANCH) { totalCount } }",
     {"f": {"startDate": "2024-06-01", "endDate": "2024-05-31"}}, {"endDate"}),
    ('{ customers(filters: {startDate: "0001-01-01"}) { totalCount } }', {}, {"startDate"}),
    ('{ customers(filters: {startDate: ""}) { totalCount } }', {}, {"startDate"}),
    ("{ breakdown(dimension: BRANCH, limit: 0) { totalCount } }", {}, {"limit"}),
    ("{ trend(limit: 10001) { totalCount } }", {}, {"limit"}),
    ("{ productMix(offset: -1) { totalCount } }", {}, {"offset"}),
    ("query($s: String) { breakdown(dimension: ITEM_NAME, search: $s) { totalCount } }", {"s": "x" * 201}, {"search"}),
    ("query($f: FilterInput) { branchTrend(filters: $f) { totalCount } }", {"f": {"branch": ["x" * 201]}}, {"branch"}),
    ("query($f: FilterInput) { summary(filters: $f) { lines } }",
     {"f": {"salesperson": [f"person {i}" for i in range(501)]}}, {"salesperson"}),
]


@pytest.mark.parametrize(("query", "variables", "named"), BAD_ARGUMENTS)
def test_bad_arguments_are_invalid_argument_naming_each_one(http, live_url, query, variables, named):
    body = refused(graphql(http, live_url, query, variables), 400, "INVALID_ARGUMENT")
    (error,) = body["errors"]
    assert set(error["extensions"]["details"]) == named
    assert all(name in error["message"] for name in named)


def test_bad_argument_words_are_rests(http, live_url):
    """The same value gets the same message from both APIs (one validation, not two)."""
    rest = http.get(live_url + "/api/kpis/branches", params={"startDate": "2024-02-30", "limit": "0"}, timeout=30)
    query = '{ breakdown(dimension: BRANCH, filters: {startDate: "2024-02-30"}, limit: 0) { totalCount } }'
    (error,) = refused(graphql(http, live_url, query), 400, "INVALID_ARGUMENT")["errors"]
    assert error["extensions"]["details"] == rest.json()["error"]["details"]
    assert error["message"] == rest.json()["error"]["message"]


@pytest.mark.parametrize(("query", "variables"), [
    ("{ breakdown(dimension: COLOUR) { totalCount } }", {}),
    ("{ trend(grain: FORTNIGHT) { totalCount } }", {}),
    ("{ summary(compare: SOMETIMES) { lines } }", {}),
    ("query($f: FilterInput) { summary(filters: $f) { lines } }", {"f": {"branch": [5]}}),
    ("query($f: FilterInput) { summary(filters: $f) { lines } }", {"f": {"startdate": "2024-01-01"}}),
    ("{ summary { nope } }", {}),
])
def test_values_outside_the_schema_are_validation_errors(http, live_url, query, variables):
    refused(graphql(http, live_url, query, variables), 400, "GRAPHQL_VALIDATION_FAILED")


def test_syntax_errors_are_parse_failures(http, live_url):
    refused(graphql(http, live_url, "{ summary { lines }"), 400, "GRAPHQL_PARSE_FAILED")


def test_too_many_tokens_are_refused(http, live_url):
    query = "{ filterOptions { " + " ".join(["minDate"] * LIMITS.graphql_max_tokens) + " } }"
    (error,) = refused(graphql(http, live_url, query), 400, "GRAPHQL_PARSE_FAILED")["errors"]
    assert f"more than {LIMITS.graphql_max_tokens} tokens" in error["message"]


def test_too_many_aliases_are_refused(http, live_url):
    n = LIMITS.graphql_max_aliases + 1
    fields = " ".join(f"b{i}: breakdown(dimension: BRANCH, limit: {i + 1}) {{ totalCount }}" for i in range(n))
    query = "{ " + fields + " }"
    (error,) = refused(graphql(http, live_url, query), 400, "GRAPHQL_VALIDATION_FAILED")["errors"]
    assert error["message"] == f"{n} aliases found. Allowed: {LIMITS.graphql_max_aliases}"
    # As many as allowed is fine.
    allowed = "{ " + " ".join(f"b{i}: filterOptions {{ minDate }}" for i in range(n - 1)) + " }"
    assert graphql(http, live_url, allowed).status_code == 200


def test_deep_introspection_is_refused(http, live_url):
    """Introspection types nest without end; graphql-core's recommended rule caps them."""
    query = "{ __schema { types { fields { type { fields { type { fields { type { name } } } } } } } } }"
    body = refused(graphql(http, live_url, query), 400, "GRAPHQL_VALIDATION_FAILED")
    assert body["errors"][0]["message"] == "Maximum introspection depth exceeded"
    # What GraphiQL and code generators ask for still works.
    shallow = "{ __schema { queryType { name } types { name fields { name type { name ofType { name } } } } } }"
    assert graphql(http, live_url, shallow).status_code == 200


def test_over_deep_queries_are_refused(http, strict_server):
    """MAUZO_GRAPHQL_MAX_DEPTH=2 on this server: depth 3 is refused before anything runs."""
    body = refused(graphql(http, strict_server.url, "{ summary { metrics { revenue { value } } } }"), 400,
                   "GRAPHQL_VALIDATION_FAILED")
    assert body["errors"][0]["message"] == "'anonymous' exceeds maximum operation depth of 2"
    assert graphql(http, strict_server.url, "{ summary { period { start } } }").status_code == 200


def test_introspection_can_be_switched_off(http, live_url, strict_server):
    query = '{ __type(name: "Summary") { name } }'
    assert graphql(http, live_url, query).json()["data"]["__type"]["name"] == "Summary"
    body = refused(graphql(http, strict_server.url, query), 400, "GRAPHQL_VALIDATION_FAILED")
    assert "introspection" in body["errors"][0]["message"].lower()
    # and no field name is suggested to whoever guesses
    (error,) = refused(graphql(http, strict_server.url, "{ summari { lines } }"), 400,
                       "GRAPHQL_VALIDATION_FAILED")["errors"]
    assert "summary" not in error["message"]


def test_the_ide_is_off_unless_configured(http, live_url, strict_server):
    browser = {"Accept": "text/html"}
    refused(http.get(live_url + "/api/graphql", headers=browser, timeout=30), 404, "NOT_FOUND")
    page = http.get(strict_server.url + "/api/graphql", headers=browser, timeout=30)
    assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_mutations_are_refused_over_get_and_post(http, live_url):
    body = refused(http.get(live_url + "/api/graphql", params={"query": "mutation { x }"}, timeout=30), 400,
                   "INVALID_ARGUMENT")
    assert "mutations are not allowed" in body["errors"][0]["message"]
    body = refused(graphql(http, live_url, "mutation { x }"), 400, "GRAPHQL_VALIDATION_FAILED")
    assert "mutation" in body["errors"][0]["message"]


@pytest.mark.parametrize(("kwargs", "status", "code"), [
    ({"data": "{", "headers": {"Content-Type": "application/json"}}, 400, "INVALID_ARGUMENT"),
    ({"data": "query=1", "headers": {"Content-Type": "text/plain"}}, 400, "INVALID_ARGUMENT"),
    ({"json": [{"query": "{ filterOptions { minDate } }"}]}, 400, "INVALID_ARGUMENT"),
    ({"json": {"variables": {}}}, 400, "INVALID_ARGUMENT"),
    ({"json": {"query": "{ filterOptions { minDate } }", "pad": "x" * 70_000}}, 413, "PAYLOAD_TOO_LARGE"),
])
def test_malformed_requests_are_refused_in_graphql_shape(http, live_url, kwargs, status, code):
    body = refused(http.post(live_url + "/api/graphql", timeout=30, **kwargs), status, code)
    assert "data" not in body


def test_other_methods_are_405(http, live_url):
    response = http.put(live_url + "/api/graphql", timeout=30)
    assert response.status_code == 405 and set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


# -- tokens -----------------------------------------------------------------------------------------
QUERY = "{ breakdown(dimension: BRANCH) { totalCount } }"


@pytest.mark.parametrize("header", [None, f"Bearer {TOKENS[0]}x", f"Basic {TOKENS[0]}", TOKENS[0]])
def test_tokens_are_required_when_configured(http, token_server, header):
    headers = {"Authorization": header} if header else {}
    for response in (graphql(http, token_server.url, QUERY, headers=headers),
                     http.get(token_server.url + "/api/graphql", params={"query": QUERY}, headers=headers,
                              timeout=30)):
        refused(response, 401, "UNAUTHENTICATED")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("token", TOKENS)
def test_each_rest_token_opens_graphql(http, token_server, token):
    response = graphql(http, token_server.url, QUERY, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json()["data"]["breakdown"]["totalCount"] > 0


def test_introspection_needs_the_token_too(http, token_server):
    refused(graphql(http, token_server.url, "{ __schema { queryType { name } } }"), 401, "UNAUTHENTICATED")


# -- failures of the store -------------------------------------------------------------------------
PAGE = "{ summary { lines } breakdown(dimension: BRANCH) { totalCount } filterOptions { minDate } }"


def test_empty_store_is_engine_unavailable(http, empty_server):
    body = refused(graphql(http, empty_server.url, PAGE), 503, "ENGINE_UNAVAILABLE")
    assert "/" not in body["errors"][0]["message"], "no filesystem path in a public message"
    assert empty_server.log.parent.name not in json.dumps(body)


def test_query_failure_is_query_failed_with_nothing_leaked(http, broken_server):
    response = graphql(http, broken_server.url, "{ breakdown(dimension: BRANCH) { totalCount } }",
                       headers={"X-Request-ID": "gql-broken-1"})
    body = refused(response, 500, "QUERY_FAILED")
    text = response.text.lower()
    for leak in ("quantity", "revenue_e4", "select", "binder", "duckdb", "traceback", "snapshots"):
        assert leak not in text, leak
    assert "gql-broken-1" in body["errors"][0]["message"]
    errors = [json.loads(line) for line in broken_server.log_text().splitlines()
              if line.startswith("{") and '"level":"ERROR"' in line]
    assert any(e.get("requestId") == "gql-broken-1" and "Referenced column" in e.get("exception", "") for e in errors)


# -- settings --------------------------------------------------------------------------------------
def test_settings_read_the_graphql_variables(monkeypatch):
    monkeypatch.setenv("MAUZO_GRAPHQL_IDE", "yes")
    monkeypatch.setenv("MAUZO_GRAPHQL_INTROSPECTION", "off")
    monkeypatch.setenv("MAUZO_GRAPHQL_MAX_DEPTH", "4")
    settings = Settings.from_env()
    assert (settings.graphql_ide, settings.graphql_introspection, settings.graphql_max_depth) == (True, False, 4)
    assert (Settings().graphql_ide, Settings().graphql_introspection) == (True, False)
    monkeypatch.delenv("MAUZO_GRAPHQL_IDE")
    monkeypatch.delenv("MAUZO_GRAPHQL_INTROSPECTION")
    assert (Settings().graphql_ide, Settings().graphql_introspection) == (False, True)


def test_a_misspelt_switch_stops_the_start(monkeypatch):
    monkeypatch.setenv("MAUZO_GRAPHQL_IDE", "maybe")
    with pytest.raises(ValueError, match="MAUZO_GRAPHQL_IDE"):
        Settings()
