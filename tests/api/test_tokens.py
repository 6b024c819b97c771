"""Optional bearer tokens: figure routes closed, health and OpenAPI open, tokens never logged."""

from __future__ import annotations

import pytest

from tests.api.conftest import TOKENS
from tests.api.routes import FIGURE_ROUTES, HEALTH_ROUTES, assert_error


@pytest.mark.parametrize("route", FIGURE_ROUTES)
def test_figures_need_a_token(http, token_server, route):
    response = http.get(token_server.url + route, timeout=30)
    assert_error(response, 401, "UNAUTHENTICATED")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", [
    f"Bearer {TOKENS[0]}x", f"Bearer {TOKENS[0][:-1]}", "Bearer ", f"Basic {TOKENS[0]}", TOKENS[0], "Bearer ñandú",
])
def test_wrong_tokens_are_401(http, token_server, header):
    response = http.get(token_server.url + "/api/kpis/summary", headers={"Authorization": header.encode()},
                        timeout=30)
    assert_error(response, 401, "UNAUTHENTICATED")


@pytest.mark.parametrize("token", TOKENS)
def test_each_configured_token_opens_the_figures(http, token_server, token):
    for route in ("/api/kpis/summary", "/api/kpis/branches", "/api/filters/options"):
        response = http.get(token_server.url + route, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert response.status_code == 200, (route, response.text[:200])


def test_unknown_protected_path_needs_a_token_before_404(http, token_server):
    assert_error(http.get(token_server.url + "/api/kpis/nothing", timeout=30), 401, "UNAUTHENTICATED")
    response = http.get(token_server.url + "/api/kpis/nothing", timeout=30,
                        headers={"Authorization": f"bearer {TOKENS[1]}"})
    assert_error(response, 404, "NOT_FOUND")


@pytest.mark.parametrize("route", [*HEALTH_ROUTES, "/api/openapi.json"])
def test_health_and_openapi_stay_open(http, token_server, route):
    assert http.get(token_server.url + route, timeout=30).status_code == 200


def test_token_file(http, token_file_server):
    url = token_file_server.url + "/api/kpis/branches"
    assert_error(http.get(url, timeout=30), 401, "UNAUTHENTICATED")
    assert_error(http.get(url, headers={"Authorization": f"Bearer {TOKENS[0]}"}, timeout=30), 401, "UNAUTHENTICATED")
    assert http.get(url, headers={"Authorization": f"Bearer {TOKENS[1]}"}, timeout=30).status_code == 200


def test_tokens_never_reach_the_log(http, token_server):
    http.get(token_server.url + "/api/kpis/summary", headers={"Authorization": f"Bearer {TOKENS[0]}"}, timeout=30)
    http.get(token_server.url + "/api/kpis/summary", headers={"Authorization": f"Bearer {TOKENS[1]}"}, timeout=30)
    log = token_server.log_text()
    assert "/api/kpis/summary" in log
    assert not any(token in log for token in TOKENS)
