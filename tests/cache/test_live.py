"""The real app (gunicorn, 2 workers) over real HTTP with a real Redis: shared cache, invalidation
on ingest, and Redis dying and coming back without a single failed request."""

from __future__ import annotations

import time
from pathlib import Path

import polars as pl
import pytest
import requests

from data import queries
from data.filters import Filters
from ingest.storage import commit_lines
from tests.cache.redis_server import RedisServer
from tests.live import running_app

pytestmark = pytest.mark.redis


def _summary(url: str) -> tuple[float, bool]:
    response = requests.get(f"{url}/api/kpis/summary", timeout=10)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["data"]["metrics"]["revenue"]["value"], body["metadata"]["cached"]


def _cache_health(url: str) -> dict:
    response = requests.get(f"{url}/api/health", timeout=10)
    assert response.status_code == 200
    return response.json()["data"]["cache"]


def test_two_gunicorn_workers_share_redis_and_survive_it(store: Path, extra_frame: pl.DataFrame, tmp_path: Path,
                                                         redis_server: RedisServer,  # type: ignore[no-untyped-def]
                                                         configure_runner) -> None:
    configure_runner(store, None)
    old = queries.kpis(Filters())["metrics"]["revenue"]["value"]
    env = {"REDIS_URL": redis_server.url, "MAUZO_CACHE": "", "MAUZO_CACHE_RETRY_INTERVAL": "0.5"}
    with running_app(store, env=env, workers=2, log_path=tmp_path / "server.log") as url:
        first = [_summary(url) for _ in range(20)]
        assert {revenue for revenue, _ in first} == {old}
        assert [cached for _, cached in first].count(False) == 1  # one computation for both workers
        assert redis_server.client().keys("mauzo:r1:duckdb:*")
        assert _cache_health(url)["status"] == "ok"

        commit_lines(extra_frame, data_dir=store, file_name="more", sha256="sha-more", mode="append")
        new = queries.kpis(Filters())["metrics"]["revenue"]["value"]
        assert new != old
        after = [_summary(url) for _ in range(20)]
        assert {revenue for revenue, _ in after} == {new}

        redis_server.kill()
        during = [_summary(url) for _ in range(10)]
        assert {revenue for revenue, _ in during} == {new}
        assert not any(cached for _, cached in during)
        health = _cache_health(url)
        assert health["status"] == "degraded" and health["healthy"] is False

        redis_server.start()
        time.sleep(0.6)  # past the back-off interval
        resumed = [_summary(url) for _ in range(10)]
        assert {revenue for revenue, _ in resumed} == {new}
        assert resumed[-1][1] is True
        assert redis_server.client().keys("mauzo:r1:duckdb:*")
