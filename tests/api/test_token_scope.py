"""A branch-scoped API token reads only its branches, through every REST route, CSV and GraphQL.

The app runs under gunicorn (``tests.live.running_app``) with one unrestricted token and one token
scoped to Mombasa (``TOKEN:branch=Mombasa``). Whatever a scoped request asks for, its answer must be
the unrestricted answer for Mombasa alone, and no other branch's name may appear in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.routes import ENVELOPE_ROUTES, FIGURE_ROUTES, HEALTH_ROUTES, LIST_ROUTES
from tests.live import running_app

ALL = "all-branches-token-123456"
MOMBASA = "mombasa-token-abcdef123456"
OTHER_BRANCHES = ("Kisumu", "Nakuru", "Eldoret")
GRAPHQL = """query($f: FilterInput) { summary(filters: $f) { lines metrics { revenue { value } } }
  breakdown(filters: $f, dimension: BRANCH) { rows { value revenue } } filterOptions { branches } }"""


@pytest.fixture(scope="module")
def scoped_server(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    tokens_file = tmp_path_factory.mktemp("tokens") / "tokens.txt"
    tokens_file.write_text(f"# the Mombasa shop's intranet\n{MOMBASA}:branch=Mombasa\n", encoding="utf-8")
    log = tmp_path_factory.mktemp("scope-log") / "server.log"
    env = {"MAUZO_API_TOKENS": ALL, "MAUZO_API_TOKENS_FILE": str(tokens_file)}
    with running_app(demo_store, env=env, workers=1, log_path=log) as url:
        yield url, log


def _get(http, url: str, token: str, params: dict | None = None):  # type: ignore[no-untyped-def]
    return http.get(url, params=params or {}, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def _branches(value: object) -> set[str]:
    """Every value under a ``branch`` key anywhere in a JSON answer (customer names may contain a
    town's name, so the text itself is not searched)."""
    if isinstance(value, dict):
        found = {v for k, v in value.items() if k == "branch" and isinstance(v, str)}
        return found.union(*(_branches(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_branches(v) for v in value))
    return set()


def _data(response) -> object:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text[:300]
    return response.json()["data"]


@pytest.mark.parametrize("route", [r for r in ENVELOPE_ROUTES if r not in HEALTH_ROUTES])
def test_scoped_token_sees_only_its_branch(http, scoped_server, route):
    url = scoped_server[0] + route
    scoped = _get(http, url, MOMBASA)
    if route == "/api/filters/options":
        assert _data(scoped)["branches"] == ["Mombasa"]
        assert len(_data(_get(http, url, ALL))["branches"]) > 1
        return
    assert _data(scoped) == _data(_get(http, url, ALL, {"branch": "Mombasa"}))
    assert _branches(_data(scoped)) <= {"Mombasa"}


@pytest.mark.parametrize("route", FIGURE_ROUTES)
def test_a_filter_cannot_widen_a_token_scope(http, scoped_server, route):
    url = scoped_server[0] + route
    asked = {} if route == "/api/filters/options" else {"branch": ["Nakuru", "Kisumu", "Mombasa"]}
    response = _get(http, url, MOMBASA, asked)
    assert response.status_code == 200, response.text[:300]
    assert _branches(_data(response)) <= {"Mombasa"}, route
    if route == "/api/filters/options":
        assert _data(response)["branches"] == ["Mombasa"]
    else:
        assert _data(response) == _data(_get(http, url, ALL, {"branch": "Mombasa"}))


@pytest.mark.parametrize("route", LIST_ROUTES)
def test_csv_exports_are_scoped(http, scoped_server, route):
    url = scoped_server[0] + route
    scoped = _get(http, url, MOMBASA, {"format": "csv", "branch": ["Nakuru", "Mombasa"]})
    assert scoped.status_code == 200 and scoped.headers["Content-Type"].startswith("text/csv")
    expected = _get(http, url, ALL, {"format": "csv", "branch": "Mombasa"})
    assert scoped.text == expected.text
    assert scoped.text != _get(http, url, ALL, {"format": "csv", "branch": ["Nakuru", "Mombasa"]}).text


def test_graphql_is_scoped(http, scoped_server):
    url = scoped_server[0] + "/api/graphql"

    def ask(token: str, filters: dict) -> dict:
        response = http.post(url, json={"query": GRAPHQL, "variables": {"f": filters}},
                             headers={"Authorization": f"Bearer {token}"}, timeout=60)
        assert response.status_code == 200, response.text[:300]
        return response.json()["data"]

    scoped = ask(MOMBASA, {"branch": ["Nakuru", "Mombasa"]})
    assert scoped["filterOptions"]["branches"] == ["Mombasa"]
    assert [row["value"] for row in scoped["breakdown"]["rows"]] == ["Mombasa"]
    mombasa = ask(ALL, {"branch": ["Mombasa"]})
    assert scoped["summary"] == mombasa["summary"]
    assert ask(ALL, {})["summary"]["lines"] > scoped["summary"]["lines"]


def test_an_unscoped_token_still_sees_everything(http, scoped_server):
    options = _data(_get(http, scoped_server[0] + "/api/filters/options", ALL))
    assert set(OTHER_BRANCHES) <= set(options["branches"])


def test_tokens_never_reach_the_log(http, scoped_server):
    _get(http, scoped_server[0] + "/api/kpis/summary", MOMBASA)
    _get(http, scoped_server[0] + "/api/kpis/summary", "wrong-" + MOMBASA)
    text = scoped_server[1].read_text(encoding="utf-8", errors="replace")
    assert MOMBASA not in text and ALL not in text
