"""A separate Python process playing one app worker: real cache, real (counted) DuckDB engine.

Run as ``python -m tests.cache.worker --data-dir D [--delay S]``; the cache comes from the
environment exactly as in the app (``MAUZO_CACHE``, ``REDIS_URL``, ``MAUZO_CACHE_*``). It answers
one JSON request per stdin line with one JSON line. ``Worker`` is the parent's handle on it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


def _summary(stats_cached: list[bool]) -> dict[str, Any]:
    from data import queries, service
    from data.filters import Filters

    with service.collect_stats() as stats:
        row = queries.summary(Filters()).row(0, named=True)
    stats_cached.append(stats.all_cached)
    return {"revenue": row["revenue"], "lines": row["lines"], "cached": stats.all_cached}


def _burst(threads: int, ready_dir: str, go_file: str) -> list[dict[str, Any]]:
    """``threads`` threads each announce themselves, wait for the go file, then query at once."""
    results: list[dict[str, Any]] = []
    lock = threading.Lock()

    def one(index: int) -> None:
        Path(ready_dir, f"{os.getpid()}-{index}").touch()
        while not os.path.exists(go_file):
            time.sleep(0.001)
        outcome = _summary([])
        with lock:
            results.append(outcome)

    pool = [threading.Thread(target=one, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return results


def serve(data_dir: Path, delay: float) -> None:
    from flask import Flask

    from app.cache import cache_health, init_cache
    from app.config import Settings
    from data import service
    from data.engines.duckdb_engine import DuckDBEngine
    from data.sql import QuerySpec, compile_query
    from tests.cache.counting import CountingEngine

    server = Flask("cache-worker")
    cache = init_cache(server, Settings.from_env(data_dir=data_dir))
    engine = CountingEngine(DuckDBEngine(data_dir), delay=delay)
    service.configure(engine, cache)
    print(json.dumps({"ready": True, "pid": os.getpid()}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        op = request["op"]
        if op == "summary":
            reply: Any = _summary([])
        elif op == "burst":
            reply = {"results": _burst(request["threads"], request["ready_dir"], request["go_file"])}
        elif op == "keys":
            from data.filters import Filters

            specs = [QuerySpec("summary", filters=Filters.from_args(args), aggregates=("revenue", "lines"))
                     for args in request["filters"]]
            reply = {"keys": [service.query_key(engine, compile_query(s, engine.dialect)) for s in specs]}
        elif op == "health":
            reply = cache_health(server)
        elif op == "exit":
            return
        else:
            reply = {"error": f"unknown op {op}"}
        if isinstance(reply, dict):
            reply["executions"] = engine.executions
            reply["version"] = engine.data_version()
        print(json.dumps(reply, default=str), flush=True)


class Worker:
    """Parent side: start the process, send requests, read replies."""

    def __init__(self, data_dir: Path, env: dict[str, str], delay: float = 0.0) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.cache.worker", "--data-dir", str(data_dir), "--delay", str(delay)],
            cwd=REPO_ROOT, env={**os.environ, **env}, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        hello = self.receive()
        assert hello.get("ready"), hello
        self.pid: int = hello["pid"]

    def send(self, op: str, **fields: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        self.proc.stdin.flush()

    def receive(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"worker exited with {self.proc.wait()}")
        return json.loads(line)

    def request(self, op: str, **fields: Any) -> dict[str, Any]:
        self.send(op, **fields)
        return self.receive()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send("exit")
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    serve(args.data_dir, args.delay)


if __name__ == "__main__":
    main()
