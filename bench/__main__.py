"""``python -m bench``: cached vs uncached time per page and per REST endpoint on 1M demo lines.

Builds a temporary store of demo lines, starts a throwaway redis-server, then measures everything
in one run so the figures are comparable; prints the tables and writes them (plus raw JSON) to
``bench/results/``. Figures are medians; the ratios are the result, absolute ms depend on the host.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from bench.data_layer import bench_pages
from bench.page_sections import page_sections
from bench.pages import PAGES
from bench.report import ENDPOINT_COLUMNS, PAGE_COLUMNS, table
from bench.rest import bench_endpoints
from ingest.demo import generate
from ingest.storage import commit_lines
from tests.cache.redis_server import RedisServer
from tests.live import free_port

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="demo lines in the store")
    parser.add_argument("--rounds", type=int, default=9, help="interleaved measurement rounds (medians)")
    parser.add_argument("--skip-http", action="store_true", help="data layer only (no gunicorn)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="mauzo-bench-") as tmp_name:
        tmp = Path(tmp_name)
        store = tmp / "store"
        started = time.perf_counter()
        frame = generate(rows=args.rows, seed=7, end=dt.date(2025, 6, 30))
        commit_lines(frame, data_dir=store, file_name=f"bench-{args.rows}", sha256=f"bench-{args.rows}",
                     mode="replace")
        del frame
        print(f"store: {args.rows:,} demo lines in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        redis = RedisServer(tmp / "redis", free_port()).start()
        try:
            pages = bench_pages(store, redis.url, args.rounds, PAGES)
            sections = bench_pages(store, redis.url, args.rounds, page_sections(store))
            client = redis.client()
            client.flushall()
            endpoints = [] if args.skip_http else bench_endpoints(store, redis.url, client.flushall, args.rounds, tmp)
        finally:
            redis.kill()

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    host = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    text = "\n\n".join([
        f"# Cache benchmark, {args.rows:,} demo lines, {stamp} ({host})",
        f"Medians in ms of {args.rounds} interleaved rounds (uncached, miss+fill, hit), after a warm-up.",
        "Each page's data-layer query group:",
        table(pages, PAGE_COLUMNS),
        "Each page's section callbacks (queries, figures and tables; what opening the page costs the server):",
        table(sections, PAGE_COLUMNS),
        "Each REST endpoint, served by gunicorn (server time = the envelope's metadata.durationMs):",
        table(endpoints, ENDPOINT_COLUMNS) if endpoints else "(REST endpoints skipped)",
    ])
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"cache-{stamp}.md").write_text(text + "\n", encoding="utf-8")
    raw = {"rows": args.rows, "host": host, "pages": pages, "sections": sections, "endpoints": endpoints}
    (RESULTS / f"cache-{stamp}.json").write_text(json.dumps(raw, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
