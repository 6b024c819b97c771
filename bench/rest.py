"""Per REST endpoint: server time (``metadata.durationMs``) and round trip, uncached vs Redis.

Two gunicorn apps run over the same store, one with ``MAUZO_CACHE=none`` and one with Redis;
requests alternate between them in rounds (uncached, then Redis miss+fill after a flush, then a
Redis hit), so background load on the host lands on every column alike.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from bench.timing import ratio
from tests.live import running_app

PREFIXES = ("/api/kpis/", "/api/filters/")
WARM_UP = 4  # requests per endpoint and app first, so both workers of each app have warm DuckDB


def discover(url: str) -> list[str]:
    """Every parameterless GET figure route the OpenAPI document lists (new ones join by themselves)."""
    document = requests.get(f"{url}/api/openapi.json", timeout=10).json()
    return sorted(path for path, ops in document["paths"].items()
                  if "get" in ops and path.startswith(PREFIXES) and "{" not in path)


def _hit(session: requests.Session, url: str) -> tuple[float, float, bool]:
    """(server ms, round-trip ms, served from cache)."""
    started = time.perf_counter()
    response = session.get(url, timeout=120)
    round_trip = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    metadata = response.json()["metadata"]
    return metadata["durationMs"], round_trip, metadata["cached"]


def bench_endpoints(store: Path, redis_url: str, flush: Callable[[], object], rounds: int,
                    log_dir: Path) -> list[dict[str, Any]]:
    with (running_app(store, env={"MAUZO_CACHE": "none", "REDIS_URL": ""}, workers=2,
                      log_path=log_dir / "uncached.log") as plain,
          running_app(store, env={"MAUZO_CACHE": "redis", "REDIS_URL": redis_url}, workers=2,
                      log_path=log_dir / "redis.log") as cached,
          requests.Session() as session):
        paths = discover(plain)
        for path in paths:
            for _ in range(WARM_UP):
                _hit(session, plain + path)
                _hit(session, cached + path)
        samples: dict[str, dict[str, list[float]]] = {path: {} for path in paths}
        for _ in range(rounds):
            for path in paths:
                server, trip, _ = _hit(session, plain + path)
                flush()
                fill, _, fill_cached = _hit(session, cached + path)
                hit, hit_trip, hit_cached = _hit(session, cached + path)
                assert not fill_cached and hit_cached, f"{path}: expected a miss, then a hit"
                for name, value in (("uncached", server), ("uncached_trip", trip), ("fill", fill),
                                    ("hit", hit), ("hit_trip", hit_trip)):
                    samples[path].setdefault(name, []).append(value)
    rows = []
    for path in paths:
        m = {name: statistics.median(values) for name, values in samples[path].items()}
        rows.append({"endpoint": path, "uncached_ms": m["uncached"], "uncached_round_trip_ms": m["uncached_trip"],
                     "redis_fill_ms": m["fill"], "redis_hit_ms": m["hit"], "redis_round_trip_ms": m["hit_trip"],
                     "ratio": ratio(m["uncached"], m["hit"])})
    return rows
