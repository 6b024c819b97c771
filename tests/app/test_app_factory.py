"""``create_app`` gives every app it builds all the page callbacks, even when another app of the
same process has served first (Dash hands ``dash.callback`` registrations to the first app only)."""

from __future__ import annotations

from pathlib import Path

from app import create_app
from app.config import Settings
from data.filters import Filters


def _section(app, output: str) -> int:  # type: ignore[no-untyped-def]
    body = {"output": f"{output}.children", "outputs": {"id": output, "property": "children"},
            "inputs": [{"id": "filters", "property": "data", "value": Filters().as_dict()},
                       {"id": "refresh-token", "property": "data", "value": 0}],
            "changedPropIds": ["filters.data"], "state": []}
    return app.server.test_client().post("/_dash-update-component", json=body).status_code


def test_a_second_app_in_the_process_answers_the_page_callbacks(demo_store: Path) -> None:
    first = create_app(Settings(data_dir=demo_store, cache_backend="none"))
    assert first.server.test_client().get("/").status_code == 200
    assert _section(first, "branches-comparison") == 200
    second = create_app(Settings(data_dir=demo_store, cache_backend="none"))
    assert _section(second, "branches-comparison") == 200
    assert _section(second, "sp-leaderboard") == 200
    assert _section(first, "sp-leaderboard") == 200
