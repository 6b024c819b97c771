"""REST under load: gunicorn (as ``mauzo serve`` runs it) on loopback, N concurrent clients for a
bounded time, against /api/health, a cached endpoint (Redis, warmed) and the same endpoint with
caching off; and the peak RSS of the busiest worker."""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import Any

from bench.load import run_load
from bench.proc import descendants, peak_rss_mb
from tests.live import running_app

ENDPOINT = "/api/kpis/salespeople?startDate=2024-07-01&endDate=2025-06-30&branch=Mombasa&branch=Kisumu"


def _server_pid(url: str, log: Path) -> int | None:
    """The ``mauzo serve`` process is the gunicorn master (it execs gunicorn); found by its port."""
    port = url.rsplit(":", 1)[1]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"gunicorn" in b" ".join(cmd) and any(port.encode() in part for part in cmd):
                return int(entry.name)
    return None


def measure_rest(store: Path, redis_url: str, clients: tuple[int, ...], seconds: float, log_dir: Path
                 ) -> dict[str, Any]:
    rows = []
    worker_rss = 0.0
    with (running_app(store, env={"MAUZO_CACHE": "redis", "REDIS_URL": redis_url}, workers=2,
                      log_path=log_dir / "rest-cached.log") as cached,
          running_app(store, env={"MAUZO_CACHE": "none", "REDIS_URL": ""}, workers=2,
                      log_path=log_dir / "rest-uncached.log") as plain):
        targets = {"/api/health": cached + "/api/health", "cached " + ENDPOINT.split("?")[0]: cached + ENDPOINT,
                   "uncached " + ENDPOINT.split("?")[0]: plain + ENDPOINT}
        for url in targets.values():
            for _ in range(4):  # fill the cache and warm both workers of each app
                urllib.request.urlopen(url, timeout=300).read()
        for count in clients:
            results = {name: run_load(url, count, seconds) for name, url in targets.items()}
            health = results["/api/health"].rps
            for name, result in results.items():
                row = {"target": name, **result.summary()}
                row["vs_health"] = result.rps / health if health else None
                rows.append(row)
        for url in (cached, plain):
            master = _server_pid(url, log_dir)
            if master is not None:
                worker_rss = max([worker_rss, *(peak_rss_mb(pid) for pid in descendants(master))])
    return {"rows": rows, "endpoint": ENDPOINT, "worker_peak_rss_mb": worker_rss}
