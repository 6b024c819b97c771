"""The OpenAPI document lists exactly the routes the server has and the issue asks for."""

from __future__ import annotations

from pathlib import Path

from app import create_app
from app.config import Settings
from tests.api.routes import ALL_ROUTES


def test_document_paths_are_the_issue_routes(http, live_url):
    doc = http.get(live_url + "/api/openapi.json", timeout=30).json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == set(ALL_ROUTES)
    assert all(set(ops) == {"get"} for ops in doc["paths"].values())
    ids = [op["get"]["operationId"] for op in doc["paths"].values()]
    assert len(ids) == len(set(ids))


def test_server_routes_are_the_documented_ones(tmp_path: Path):
    server = create_app(Settings(data_dir=tmp_path)).server
    routes = {rule.rule for rule in server.url_map.iter_rules()
              if rule.rule.startswith("/api") and "<" not in rule.rule and rule.rule not in ("/api", "/api/")}
    assert routes - {"/api/graphql"} == set(ALL_ROUTES)  # GraphQL has its own schema (docs/graphql.md)


def test_figure_routes_document_tokens_and_every_error(http, live_url):
    doc = http.get(live_url + "/api/openapi.json", timeout=30).json()
    for path, ops in doc["paths"].items():
        responses = ops["get"]["responses"]
        if path.startswith(("/api/kpis/", "/api/filters/", "/api/pipeline/")):
            assert {"200", "400", "401", "500", "503"} <= set(responses)
            assert {"bearerAuth": []} in ops["get"]["security"]
            assert "text/csv" in responses["200"]["content"]
        else:
            assert "security" not in ops["get"]
