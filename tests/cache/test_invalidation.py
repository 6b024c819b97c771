"""Never stale: after an ingest, no worker process answers from the old data, even though every
worker had the old answer cached."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from data import queries
from data.filters import Filters
from ingest.storage import commit_lines


def _expected_revenue(store: Path, configure_runner) -> float:  # type: ignore[no-untyped-def]
    configure_runner(store, None)  # uncached, straight from the engine
    return queries.summary(Filters())["revenue"][0]


@pytest.mark.parametrize("kind", ["filesystem", pytest.param("redis", marks=pytest.mark.redis)])
def test_ingest_invalidates_every_workers_cache(kind: str, request: pytest.FixtureRequest, store: Path,
                                                extra_frame: pl.DataFrame, workers,  # type: ignore[no-untyped-def]
                                                configure_runner) -> None:
    env = {"MAUZO_CACHE": kind, "REDIS_URL": ""}
    if kind == "redis":
        env["REDIS_URL"] = request.getfixturevalue("redis_server").url
    pool = [workers(store, env), workers(store, env)]
    old = _expected_revenue(store, configure_runner)
    for worker in pool:
        for _ in range(3):
            reply = worker.request("summary")
            assert reply["revenue"] == old
        assert reply["cached"] is True  # the old answer is in the shared cache
    assert sum(worker.request("health")["stats"].get("computed", 0) for worker in pool) == 1

    commit_lines(extra_frame, data_dir=store, file_name="more", sha256="sha-more", mode="append")
    new = _expected_revenue(store, configure_runner)
    assert new != old

    replies = [worker.request("summary") for _ in range(5) for worker in pool]
    assert [r["revenue"] for r in replies] == [new] * len(replies)
    assert sum(not r["cached"] for r in replies) == 1  # recomputed once, then shared again
