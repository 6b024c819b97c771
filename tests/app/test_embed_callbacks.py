"""Hand-crafted ``/_dash-update-component`` POSTs against signed embed links, on live servers.

Dash moves its callbacks into the first app that serves a request in a process, so these tests
run the real app under gunicorn (``tests.live.running_app``): one strict server
(``MAUZO_REQUIRE_SIGNED_EMBEDS=1``) and one open server (the default) for reference answers.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from app.config import Settings
from app.embed import BODY_KEY
from app.embed_link import sign
from data.filters import Filters
from data.scope import UNRESTRICTED, Scope
from tests.live import running_app

CHART = "branches-comparison"
LOCKED = Filters.create(start="2025-01-01", end="2025-06-30", branch=["Mombasa"])
WIDER = Filters.create(start="2023-01-01", end="2025-06-30", branch=["Mombasa", "Nakuru", "Kisumu"])
KEY = "embed-callback-key-0123456789"


@pytest.fixture(scope="module")
def servers(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    env = {"MAUZO_SECRET_KEY": KEY, "MAUZO_CACHE": "simple"}
    logs = tmp_path_factory.mktemp("embed-callbacks")
    with (running_app(demo_store, env={**env, "MAUZO_REQUIRE_SIGNED_EMBEDS": "1"}, workers=1,
                      log_path=logs / "strict.log") as strict,
          running_app(demo_store, env=env, workers=1, log_path=logs / "open.log") as open_url):
        for url in (strict, open_url):
            _wait_for_callbacks(url)
        yield {"strict": strict, "open": open_url}


def _wait_for_callbacks(url: str) -> None:
    """Dash copies its callbacks into the app during the first request; a request arriving while
    another is still inside that setup finds none. Wait until the app lists them."""
    for _ in range(100):
        deps = requests.get(url + "/_dash-dependencies", timeout=30)
        if deps.status_code == 200 and any(d["output"] == f"{CHART}.children" for d in deps.json()):
            return
        time.sleep(0.1)
    raise AssertionError(f"{url} never listed its callbacks")


MOMBASA = Scope.of(branch=["Mombasa"])


def _token(filters: Filters = LOCKED, scope: Scope = MOMBASA, now: float | None = None) -> str:
    return sign(Settings(secret_key=KEY), CHART, filters, scope, dt.timedelta(hours=1), now=now)


def _section_post(chart: str, filters: Filters, token: str | None = None) -> dict:
    body: dict = {"output": f"{chart}.children", "outputs": {"id": chart, "property": "children"},
                  "inputs": [{"id": "filters", "property": "data", "value": filters.as_dict()},
                             {"id": "refresh-token", "property": "data", "value": 0}],
                  "changedPropIds": ["filters.data"], "state": []}
    if token is not None:
        body[BODY_KEY] = token
    return body


def _post(url: str, body: dict) -> requests.Response:
    return requests.post(url + "/_dash-update-component", json=body, timeout=60)


def _view(response: requests.Response) -> str:
    assert response.status_code == 200, response.text[:300]
    return json.dumps(response.json()["response"], sort_keys=True)


def test_a_crafted_callback_cannot_widen_a_signed_link(servers):
    locked_view = _view(_post(servers["open"], _section_post(CHART, LOCKED)))
    # The same request made with a link signed for the wider view does show other branches.
    wider_view = _view(_post(servers["strict"], _section_post(CHART, WIDER, _token(WIDER, UNRESTRICTED))))
    assert "Nakuru" in wider_view and "Nakuru" not in locked_view
    for server in ("strict", "open"):
        crafted = _post(servers[server], _section_post(CHART, WIDER, _token()))
        assert _view(crafted) == locked_view, server


def test_the_link_scope_holds_even_without_locked_branches(servers):
    """A link scoped to Mombasa but showing every branch still shows only Mombasa."""
    all_branches = Filters.create(start="2025-01-01", end="2025-06-30")
    crafted = _post(servers["strict"], _section_post(CHART, WIDER, _token(all_branches, Scope.of(branch=["Mombasa"]))))
    assert _view(crafted) == _view(_post(servers["open"], _section_post(CHART, LOCKED)))


def test_a_crafted_url_search_is_replaced_by_the_signed_one(servers):
    body = {"output": "..filter-area.style...nav-area.style..", "outputs": [
                {"id": "filter-area", "property": "style"}, {"id": "nav-area", "property": "style"}],
            "inputs": [{"id": "url", "property": "pathname", "value": "/branches"},
                       {"id": "url", "property": "search", "value": WIDER.to_query_string()}],
            "changedPropIds": ["url.search"], "state": [], BODY_KEY: _token()}
    response = _post(servers["strict"], body)
    hidden = {"display": "none"}  # the signed search carries the link's token: an embedded view
    assert response.json()["response"] == {"filter-area": {"style": hidden}, "nav-area": {"style": hidden}}


def test_a_link_cannot_run_other_callbacks(servers):
    """A page control's callback (here the branch trend's metric switch) is not the link's chart."""
    body = {"output": "branches-trend.children", "outputs": {"id": "branches-trend", "property": "children"},
            "inputs": [{"id": "filters", "property": "data", "value": LOCKED.as_dict()},
                       {"id": "refresh-token", "property": "data", "value": 0},
                       {"id": "branches-trend-metric", "property": "value", "value": "revenue"}],
            "changedPropIds": ["branches-trend-metric.value"], "state": [], BODY_KEY: _token()}
    assert _post(servers["strict"], body).status_code == 403


@pytest.mark.parametrize("case", ["no-token", "altered", "expired", "other-chart"])
def test_refused_callback_requests(servers, case):
    token = {"no-token": None, "altered": _token()[:-2] + "zz", "expired": _token(now=1_000_000_000.0),
             "other-chart": _token()}[case]
    chart = "overview-kpis" if case == "other-chart" else CHART
    response = _post(servers["strict"], _section_post(chart, LOCKED, token))
    assert response.status_code == 403
    assert "Mombasa" not in response.text


def test_unsigned_callbacks_of_an_open_app_still_work(servers):
    assert "Nakuru" in _view(_post(servers["open"], _section_post(CHART, WIDER)))
