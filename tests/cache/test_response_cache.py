"""Whole REST responses from the shared cache (``app.cache_response``), over real HTTP with gunicorn
and a real Redis: a repeat is one cache GET with fresh metadata, never another scope's answer,
never an answer from before an ingest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
import requests

from ingest.storage import commit_lines
from tests.cache.redis_server import RedisServer
from tests.live import free_port, running_app

pytestmark = pytest.mark.redis

ALL = "response-cache-all-0123456789"
MOMBASA = "response-cache-mombasa-0123456789"
ROUTE = "/api/kpis/branches?startDate=2024-07-01&endDate=2025-06-30&branch=Mombasa&branch=Kisumu"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory,
        small_frame: pl.DataFrame) -> Iterator[tuple[str, Path, Path, RedisServer]]:
    """(url, store, server log, redis): one gunicorn worker over a store of its own, Redis cache."""
    base = tmp_path_factory.mktemp("response-cache")
    store = base / "store"
    commit_lines(small_frame, data_dir=store, file_name="small", sha256="sha-small", mode="replace")
    redis_server = RedisServer(base / "redis", free_port()).start()
    env = {"MAUZO_CACHE": "redis", "REDIS_URL": redis_server.url, "MAUZO_API_TOKENS": f"{ALL},{MOMBASA}:branch=Mombasa"}
    try:
        with running_app(store, env=env, workers=1, log_path=base / "server.log") as url:
            yield url, store, base / "server.log", redis_server
    finally:
        redis_server.kill()


def _get(url: str, token: str = ALL) -> requests.Response:
    response = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 200, response.text[:300]
    return response


def _log_line(log: Path, request_id: str) -> dict:
    for line in log.read_text(encoding="utf-8").splitlines():
        if line.startswith("{") and request_id in line:
            record = json.loads(line)
            if record.get("logger") == "mauzo.request" and record.get("requestId") == request_id:
                return record
    raise AssertionError(f"no request log line for {request_id}")


def _revenue(response: requests.Response) -> dict[str, float]:
    return {row["branch"]: row["revenue"] for row in response.json()["data"]}


def test_a_repeat_is_served_whole_with_fresh_metadata(app) -> None:  # type: ignore[no-untyped-def]
    url, _, log, redis_server = app
    first, second = _get(url + ROUTE), _get(url + ROUTE)
    one, two = first.json(), second.json()
    assert one["metadata"]["cached"] is False and two["metadata"]["cached"] is True
    assert one["data"] == two["data"] and one["error"] is two["error"] is None
    assert two["metadata"]["requestId"] == second.headers["X-Request-ID"] != one["metadata"]["requestId"]
    for name in ("filters", "rowCount"):
        assert two["metadata"][name] == one["metadata"][name]
    assert second.headers["X-Total-Count"] == first.headers["X-Total-Count"]
    assert redis_server.client().keys("mauzo:r1:resp:*")
    line = _log_line(log, two["metadata"]["requestId"])
    assert (line["cached"], line["queries"], line["rows"]) == (True, 0, two["metadata"]["rowCount"])


def test_csv_repeat_is_the_same_file(app) -> None:  # type: ignore[no-untyped-def]
    url = app[0] + ROUTE + "&format=csv&limit=1&offset=1"
    first, second = _get(url), _get(url)
    assert second.text == first.text and first.text.count("\n") == 2
    for name in ("Content-Type", "Content-Disposition", "X-Total-Count"):
        assert second.headers[name] == first.headers[name]
    assert second.headers["X-Request-ID"] != first.headers["X-Request-ID"]


def test_a_scoped_token_never_gets_another_scopes_answer(app) -> None:  # type: ignore[no-untyped-def]
    url = app[0] + "/api/kpis/branches?startDate=2024-01-01"
    everything = _get(url)
    assert _get(url).json()["metadata"]["cached"] is True
    assert len(_revenue(everything)) > 1
    scoped = [_get(url, MOMBASA) for _ in range(2)]
    assert [r.json()["metadata"]["cached"] for r in scoped] == [False, True]
    for response in scoped:
        assert _revenue(response) == {"Mombasa": _revenue(everything)["Mombasa"]}
    assert set(_revenue(_get(url))) == set(_revenue(everything))


def test_an_ingest_makes_cached_responses_unreachable(app, extra_frame: pl.DataFrame) -> None:  # type: ignore[no-untyped-def]
    url, store, _, _ = app
    before = _get(url + "/api/kpis/summary")
    assert _get(url + "/api/kpis/summary").json()["metadata"]["cached"] is True
    commit_lines(extra_frame, data_dir=store, file_name="more", sha256="sha-more", mode="append")
    after = _get(url + "/api/kpis/summary").json()
    assert after["metadata"]["cached"] is False
    assert after["data"]["metrics"]["revenue"]["value"] != before.json()["data"]["metrics"]["revenue"]["value"]


def test_errors_are_not_stored(app) -> None:  # type: ignore[no-untyped-def]
    url, _, _, redis_server = app
    keys = set(redis_server.client().keys("mauzo:r1:resp:*"))
    for _ in range(2):
        response = requests.get(url + "/api/kpis/branches?startDate=2024-13-01",
                                headers={"Authorization": f"Bearer {ALL}"}, timeout=30)
        assert response.status_code == 400
    assert set(redis_server.client().keys("mauzo:r1:resp:*")) == keys
