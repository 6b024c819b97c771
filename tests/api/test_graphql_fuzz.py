"""hypothesis-graphql generates queries from the schema and sends them to the live app: none may
answer a 5xx or an INTERNAL error. Valid queries must succeed; queries with one violation of the
schema must be refused with a 4xx."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, nodes, queries

from app.api.graphql.schema import build_schema
from app.config import Settings
from data.filters import MAX_DATE, MIN_DATE

MAX_EXAMPLES = int(os.environ.get("MAUZO_GRAPHQL_FUZZ_EXAMPLES", "40"))
SCHEMA = build_schema(Settings()).as_str()
# Mostly real dates (some outside the data, some at the accepted edges), sometimes any text.
DATES = st.one_of(
    st.dates(min_value=MIN_DATE, max_value=MAX_DATE).map(lambda d: nodes.String(d.isoformat())),
    st.text(max_size=12).map(nodes.String),
)
FUZZ = settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


def _send(http, url: str, query: str) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    response = http.post(url + "/api/graphql", json={"query": query}, timeout=60)
    assert response.status_code < 500, (query, response.text[:500])
    body = response.json()
    codes = {e["extensions"]["code"] for e in body.get("errors", [])}
    assert not codes & {"INTERNAL", "QUERY_FAILED"}, (query, body)
    return response.status_code, body


@FUZZ
@given(query=queries(SCHEMA, custom_scalars={"Date": DATES}))
def test_generated_queries_never_fail_the_server(http, live_url, query):
    status, body = _send(http, live_url, query)
    # A generated query may still ask for something the REST rules refuse (a date outside the
    # accepted range, an end before its start, a limit of 0): that is INVALID_ARGUMENT, nothing else.
    if status != 200:
        assert {e["extensions"]["code"] for e in body["errors"]} <= {"INVALID_ARGUMENT"}, (query, body)


@FUZZ
@given(query=queries(SCHEMA, custom_scalars={"Date": DATES}, mode=Mode.NEGATIVE))
def test_queries_breaking_the_schema_are_refused(http, live_url, query):
    status, _ = _send(http, live_url, query)
    assert 400 <= status < 500, query
