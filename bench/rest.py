"""Per REST endpoint: server time (``metadata.durationMs``) and round trip, with the app served by
gunicorn uncached (``MAUZO_CACHE=none``) and then with Redis, one app at a time."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import requests

from bench.timing import ratio
from tests.live import running_app

PREFIXES = ("/api/kpis/", "/api/filters/")


def discover(url: str) -> list[str]:
    """Every parameterless GET figure route the OpenAPI document lists (new ones join by themselves)."""
    document = requests.get(f"{url}/api/openapi.json", timeout=10).json()
    return sorted(path for path, ops in document["paths"].items()
                  if "get" in ops and path.startswith(PREFIXES) and "{" not in path)


def _hit(session: requests.Session, url: str) -> tuple[float, float, bool]:
    started = time.perf_counter()
    response = session.get(url, timeout=120)
    round_trip = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    metadata = response.json()["metadata"]
    return metadata["durationMs"], round_trip, metadata["cached"]


def _measure(base: str, paths: list[str], repeats: int, expect_cached: bool) -> dict[str, dict[str, float]]:
    results = {}
    with requests.Session() as session:
        for path in paths:
            first = _hit(session, base + path)  # uncached: warm-up; cached: the miss that fills
            samples = [_hit(session, base + path) for _ in range(repeats)]
            if expect_cached:
                assert all(cached for _, _, cached in samples), f"{path} was not served from cache"
            results[path] = {"first_ms": first[0],
                             "server_ms": statistics.median(s[0] for s in samples),
                             "round_trip_ms": statistics.median(s[1] for s in samples)}
    return results


def bench_endpoints(store: Path, redis_url: str, repeats: int, cached_repeats: int,
                    log_dir: Path) -> list[dict[str, Any]]:
    with running_app(store, env={"MAUZO_CACHE": "none", "REDIS_URL": ""}, workers=2,
                     log_path=log_dir / "uncached.log") as url:
        paths = discover(url)
        uncached = _measure(url, paths, repeats, expect_cached=False)
    with running_app(store, env={"MAUZO_CACHE": "redis", "REDIS_URL": redis_url}, workers=2,
                     log_path=log_dir / "redis.log") as url:
        cached = _measure(url, paths, cached_repeats, expect_cached=True)
    return [
        {"endpoint": path,
         "uncached_ms": uncached[path]["server_ms"], "uncached_round_trip_ms": uncached[path]["round_trip_ms"],
         "redis_fill_ms": cached[path]["first_ms"],
         "redis_hit_ms": cached[path]["server_ms"], "redis_round_trip_ms": cached[path]["round_trip_ms"],
         "ratio": ratio(uncached[path]["server_ms"], cached[path]["server_ms"])}
        for path in paths
    ]
