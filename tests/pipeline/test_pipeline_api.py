"""/api/pipeline/* over a real store holding the public CRM data (and demo sales), served by gunicorn:
figures equal the data layer's, the envelope/CSV/argument rules of the rest of the API hold."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from data import pipeline, service
from data.engines.duckdb_engine import DuckDBEngine
from data.filters import Filters
from ingest.demo import generate
from tests.conftest import build_store
from tests.live import running_app
from tests.pipeline.crm_store import build_crm_store

VIEW = Filters.create(start="2017-01-01", end="2017-09-30", branch=["East", "West"])
PARAMS = VIEW.to_args()


@pytest.fixture(scope="module")
def crm_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data_dir = tmp_path_factory.mktemp("crm-app")
    build_store(data_dir, generate(rows=5_000, seed=3, end=dt.date(2025, 6, 30)), name="demo")
    build_crm_store(data_dir)
    with running_app(data_dir, workers=1) as url:
        yield url, data_dir


@pytest.fixture(scope="module")
def local(crm_app) -> Iterator[None]:
    engine = DuckDBEngine(crm_app[1])
    previous = service.get_runner()
    service.configure(engine)
    yield
    service.configure(previous.engine, previous.cache)
    engine.close()


def _get(url: str, route: str, params=PARAMS) -> dict:  # type: ignore[no-untyped-def]
    response = requests.get(url + route, params=params, timeout=30)
    assert response.status_code == 200, response.text[:300]
    return response.json()


def test_summary_and_win_rates_equal_the_data_layer(crm_app, local):
    url, _ = crm_app
    body = _get(url, "/api/pipeline/summary")
    want = pipeline.summary(VIEW)
    assert body["data"]["opportunities"] == want["opportunities"] and body["data"]["won"] == want["won"]
    assert body["data"]["winRatePct"] == pytest.approx(want["win_rate_pct"])
    assert body["metadata"]["filters"]["branch"] == ["East", "West"]
    for by, key in (("salesperson", "salesperson"), ("productLine", "product_line"), ("branch", "branch")):
        rows = _get(url, "/api/pipeline/win-rates", [*PARAMS, ("by", by)])["data"]
        frame = pipeline.win_rates(VIEW, key)
        assert [(r[by], r["won"], r["lost"], r["rank"]) for r in rows] == \
            list(zip(frame[key], frame["won"], frame["lost"], frame["rank"], strict=True))


def test_funnel_cycle_open_and_assignment_answer(crm_app, local):
    url, _ = crm_app
    steps = _get(url, "/api/pipeline/funnel", [*PARAMS, ("by", "branch")])["data"]
    assert {s["branch"] for s in steps} == {"East", "West"} and {s["step"] for s in steps} == {"qualification",
                                                                                                "closing"}
    cycle = _get(url, "/api/pipeline/cycle")["data"]
    assert cycle["overall"]["medianCycleWonDays"] == pipeline.cycle(VIEW)["overall"]["median_cycle_won_days"][0]
    opened = requests.get(url + "/api/pipeline/open", params=[*PARAMS, ("limit", "5")], timeout=30)
    assert opened.headers["X-Total-Count"] == str(opened.json()["data"]["total"])
    assert len(opened.json()["data"]["oldest"]) == 5
    people = _get(url, "/api/pipeline/assignment")["data"]
    assert {p["salesperson"] for p in people["people"]} == set(pipeline.assignment(VIEW)["salesperson"])


def test_item_group_is_refused_not_ignored(crm_app):
    response = requests.get(crm_app[0] + "/api/pipeline/summary", params={"itemGroup": "Cables"}, timeout=30)
    assert response.status_code == 400 and "itemGroup" in response.json()["error"]["details"]


def test_csv_and_unknown_arguments(crm_app):
    url, _ = crm_app
    text = requests.get(url + "/api/pipeline/win-rates", params=[*PARAMS, ("format", "csv")], timeout=30).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and "winRateLowPct" in rows[0]
    bad = requests.get(url + "/api/pipeline/win-rates", params={"by": "customer"}, timeout=30)
    assert bad.status_code == 400 and "by" in bad.json()["error"]["details"]


def test_pipeline_routes_need_the_token_when_tokens_are_set(crm_app):
    with running_app(crm_app[1], workers=1, env={"MAUZO_API_TOKENS": "pipe-token-123456"}) as url:
        assert requests.get(url + "/api/pipeline/summary", timeout=30).status_code == 401
        ok = requests.get(url + "/api/pipeline/summary", headers={"Authorization": "Bearer pipe-token-123456"},
                          timeout=30)
        assert ok.status_code == 200


GRAPHQL = """query($f: FilterInput) {
  pipelineSummary(filters: $f) { opportunities won lost winRatePct winRateLowPct winRateHighPct medianCycleWonDays }
  pipelineWinRates(by: SALESPERSON, filters: $f) { value won lost rank winRatePct smallSample }
  pipelineFunnel(filters: $f, by: BRANCH) { value step entered lost waiting passed }
  pipelineCycle(filters: $f) { overall { medianCycleLostDays } byProductLine { value medianCycleWonDays } }
  pipelineOpen(filters: $f, limit: 3) { asOf usualCycleDays oldest { totalCount rows { opportunityId ageDays } } }
  pipelineAssignment(filters: $f) { people { salesperson skillPp } standouts }
}"""


def test_graphql_pipeline_fields_equal_rest_in_one_request(crm_app):
    url, _ = crm_app
    variables = {"f": {"startDate": "2017-01-01", "endDate": "2017-09-30", "branch": ["East", "West"]}}
    body = requests.post(url + "/api/graphql", json={"query": GRAPHQL, "variables": variables}, timeout=30).json()
    assert "errors" not in body, body
    data = body["data"]
    rest = _get(url, "/api/pipeline/summary")["data"]
    assert data["pipelineSummary"] == {k: rest[k] for k in data["pipelineSummary"]}
    rates = _get(url, "/api/pipeline/win-rates", [*PARAMS, ("by", "salesperson")])["data"]
    assert [(r["value"], r["won"], r["rank"]) for r in data["pipelineWinRates"]] == \
        [(r["salesperson"], r["won"], r["rank"]) for r in rates]
    funnel = _get(url, "/api/pipeline/funnel", [*PARAMS, ("by", "branch")])["data"]
    assert [(s["value"], s["step"], s["lost"]) for s in data["pipelineFunnel"]] == \
        [(s["branch"], s["step"], s["lost"]) for s in funnel]
    cycle = _get(url, "/api/pipeline/cycle")["data"]
    assert data["pipelineCycle"]["overall"]["medianCycleLostDays"] == cycle["overall"]["medianCycleLostDays"]
    opened = _get(url, "/api/pipeline/open", [*PARAMS, ("limit", "3")])["data"]
    assert [r["opportunityId"] for r in data["pipelineOpen"]["oldest"]["rows"]] == \
        [r["opportunityId"] for r in opened["oldest"]]
    assert data["pipelineOpen"]["oldest"]["totalCount"] == opened["total"]
    people = _get(url, "/api/pipeline/assignment")["data"]
    assert data["pipelineAssignment"]["standouts"] == people["standouts"]


def test_graphql_refuses_item_group_on_pipeline_fields(crm_app):
    body = requests.post(crm_app[0] + "/api/graphql", json={
        "query": "{ pipelineSummary(filters: {itemGroup: [\"Cables\"]}) { won } }"}, timeout=30).json()
    assert body["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT"
    assert "itemGroup" in body["errors"][0]["extensions"]["details"]
