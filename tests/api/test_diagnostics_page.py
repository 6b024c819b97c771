"""The /diagnostics page renders through the Dash app's own routing callback (Flask test client)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app import create_app
from app.config import Settings
from data.store import read_manifest


@pytest.fixture
def client(demo_store: Path):  # type: ignore[no-untyped-def]
    app = create_app(Settings(data_dir=demo_store))
    return app.server.test_client()


def _render(client, pathname: str) -> dict:  # type: ignore[no-untyped-def]
    """Call Dash's own page router callback (registered per app instance) as the browser would."""
    deps = client.get("/_dash-dependencies").get_json()
    route = next(d for d in deps if "_pages_content.children" in d["output"])
    outputs = [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
               for part in route["output"].strip(".").split("...")]
    values = {"pathname": pathname, "search": ""}
    payload = {
        "output": route["output"],
        "outputs": outputs,
        "inputs": [{**item, "value": values[item["property"]]} for item in route["inputs"]],
        "changedPropIds": [f"{route['inputs'][0]['id']}.pathname"],
        "state": route["state"],
    }
    response = client.post("/_dash-update-component", json=payload, headers={"X-Request-ID": "diag-page-1"})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["X-Request-ID"] == "diag-page-1"
    return response.get_json()["response"]["_pages_content"]["children"]


def _find(node: object, component_id: str) -> dict | None:
    if isinstance(node, dict):
        props = node.get("props", {})
        if props.get("id") == component_id:
            return node
        return next((hit for child in props.values() if (hit := _find(child, component_id))), None)
    if isinstance(node, list):
        return next((hit for child in node if (hit := _find(child, component_id))), None)
    return None


def _text(node: object) -> str:
    """The visible text of a component tree (its ``children``, recursively)."""
    if isinstance(node, dict):
        return _text(node.get("props", {}).get("children"))
    if isinstance(node, list):
        return " ".join(_text(v) for v in node)
    return str(node) if isinstance(node, str | int | float) else ""


def test_diagnostics_page_shows_health_and_freshness(client, demo_store):
    manifest = read_manifest(demo_store)
    assert manifest is not None
    page = _render(client, "/diagnostics")
    assert _find(page, "diagnostics-page") is not None
    assert _text(_find(page, "diag-engine-status")) == "ok"
    assert _text(_find(page, "diag-data-version")) == manifest.version
    assert _text(_find(page, "diag-rows")) == f"{manifest.rows:,}"
    assert _text(_find(page, "diag-app-version")).strip() not in ("", "unknown")
    assert _text(_find(page, "diag-cache-status")) in ("ok", "degraded", "disabled")
    assert _text(_find(page, "diag-last-ingest")).endswith(("ago", "just now"))
    table = _find(page, "diag-ingests")
    assert table is not None and table["type"] == "Table"
    body_rows = json.dumps(table).count('"type": "Tr"') - 1  # minus the header row
    assert body_rows == min(10, len(manifest.history))
    assert manifest.history[0]["file_name"] in _text(table)


def test_diagnostics_page_on_an_empty_store(tmp_path):
    client = create_app(Settings(data_dir=tmp_path)).server.test_client()
    page = _render(client, "/diagnostics")
    assert _text(_find(page, "diag-engine-status")) == "unreachable"
    assert "No ingests yet" in _text(_find(page, "diag-ingests"))


def test_diagnostics_is_in_the_navigation(client):
    html = client.get("/diagnostics")
    assert html.status_code == 200 and b"<html" in html.data.lower()
    layout = client.get("/_dash-layout").get_json()
    assert "/diagnostics" in json.dumps(layout)


def test_a_scoped_viewer_sees_no_store_wide_totals_or_file_names(client):
    from data.scope import Scope, scoped
    from pages.diagnostics import SCOPED_NOTE

    with scoped(Scope.of(branch=["Mombasa"])):
        page = _render(client, "/diagnostics")
    assert _text(_find(page, "diag-engine-status")) == "ok"
    assert _text(_find(page, "diag-rows")) == ""  # shown as a dash, not the store's row count
    assert _text(_find(page, "diag-ingests")) == SCOPED_NOTE
    assert "File — Rows added —" in _text(page)  # the last ingest names no file and no count
