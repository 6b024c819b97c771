"""``python -m bench --rows 1000000 10000000``: Mauzo's speed at each store size, in one run.

For each size: (1) ingest of a demo CSV of that many lines with full validation, and appends of a
10,000-line file to the store it built; (2) every page's server time (all its sections), uncached,
on the first view after an ingest (cold shared cache) and warm, for the typical view (last 12
months, two branches) and no filter; (3) each page's data by Mauzo's data layer beside naive pandas,
raw lines + Polars and raw SQL; (4) every page in headless Chromium against gunicorn, cold and
warm; (5) REST under load on loopback. Writes ``bench/RESULTS.md`` (with the machine's facts and
its load average at start and end) and the raw figures to ``bench/results/``. Loops are bounded:
rounds and seconds are arguments.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import machine
from bench.ingest_times import measure_ingest
from bench.page_times import Ingests, measure_page_data, measure_pages
from bench.report import BROWSER_COLUMNS, DATA_COLUMNS, INGEST_COLUMNS, PAGE_COLUMNS, REST_COLUMNS, table
from tests.cache.redis_server import RedisServer
from tests.live import free_port

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def _rows(values: list[str]) -> list[int]:
    out = []
    for value in values:
        out += [int(v.replace("_", "")) for v in value.split(",") if v.strip()]
    return out


def _log(text: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {text}", file=sys.stderr, flush=True)


def run_size(rows: int, args: argparse.Namespace, work: Path, redis: RedisServer) -> dict[str, Any]:
    store = work / "store"
    result: dict[str, Any] = {"rows": rows, "load_start": machine.load_average()}
    _log(f"{rows:,} lines: ingest")
    result["ingest"] = measure_ingest(work, store, rows, 1 if rows >= 5_000_000 else args.rounds, args.append_rounds)
    _log(f"{rows:,} lines: pages")
    result["pages"] = measure_pages(store, redis.url, args.rounds)
    _log(f"{rows:,} lines: page data vs pandas / Polars / SQL")
    result["data"] = measure_page_data(store, args.compare_rounds)
    if not args.skip_browser:
        from bench.browser import measure_browser

        _log(f"{rows:,} lines: browser")
        result["browser"] = measure_browser(store, redis.url, args.browser_rounds, Ingests(store).next, work)
    if not args.skip_http:
        from bench.rest_load import measure_rest

        _log(f"{rows:,} lines: REST under load")
        redis.client().flushall()
        result["rest"] = measure_rest(store, redis.url, tuple(args.clients), args.seconds, work)
    result["load_end"] = machine.load_average()
    return result


def render(facts: dict[str, Any], sizes: list[dict[str, Any]], args: argparse.Namespace, started: str,
           load: tuple[tuple[float, ...], tuple[float, ...]]) -> str:
    def loads(value: tuple[float, ...]) -> str:
        return " / ".join(f"{v:.2f}" for v in value)

    packages = ", ".join(f"{k} {v}" for k, v in facts["packages"].items())
    parts = [
        f"# Mauzo benchmark, {started}",
        "Produced by `make bench ROWS=...` (`python -m bench`) in one run. Figures are medians of "
        f"{args.rounds} interleaved rounds (page data: {args.compare_rounds}; browser: {args.browser_rounds}; "
        "ingest of 5M+ lines: 1 round); ratios compare columns of the same run.",
        "## Machine",
        f"- {facts['cores']} cores, {facts['ram_gb']} GB RAM, {facts['cpu']} ({facts['machine']}, Linux "
        f"{facts['kernel']}), shared with other work",
        f"- load average (1 / 5 / 15 min) at start {loads(load[0])}, at end {loads(load[1])}",
        f"- Python {facts['python']}; {packages}",
        f"- {facts['chromium']}; {facts['redis_server']}",
    ]
    for size in sizes:
        n = f"{size['rows']:,}"
        parts += [
            f"## {n} demo lines",
            f"Load average at start {loads(size['load_start'])}, at end {loads(size['load_end'])}.",
            "### 1. Ingest (CSV with full validation) and appending 10,000 lines",
            table([size["ingest"]], INGEST_COLUMNS),
            "### 2. Pages: server time of all sections (in process; typical = last 12 months, 2 branches)",
            "Queries asked / ran / ran twice / answered from the lines are for the uncached view (each "
            "section in its own request, as in the app). Cold = first view after an ingest, Redis cache.",
            table(size["pages"]["rows"], PAGE_COLUMNS),
            "### 3. The same page data: Mauzo's data layer (uncached) vs (a) naive pandas, (b) raw lines + "
            "Polars, (c) raw SQL",
            f"pandas holds every line in memory (loading them took {size['data']['pandas_load_s'] or 0:.1f} s, "
            "not counted per view). Mauzo/(x) below 1 means Mauzo is faster.",
            table(size["data"]["rows"], DATA_COLUMNS),
        ]
        if "browser" in size:
            parts += ["### 4. Browser: navigation until every chart is drawn (headless Chromium, gunicorn, "
                      f"typical view `{size['browser']['query']}`)",
                      "Cold: a new visitor right after an ingest; warm, private window: the same visitor opening the "
                      "page again (HTTP cache, but a private window never keeps V8's compiled code, so all "
                      "JavaScript is compiled again); warm, returning visitor: a regular browser profile that "
                      "has opened every page twice before (V8's code cache in use, as for a daily user).",
                      table(size["browser"]["rows"], BROWSER_COLUMNS)]
        if "rest" in size:
            parts += [f"### 5. REST under load (gunicorn, 2 workers, loopback, {args.seconds:.0f} s per cell)",
                      f"Endpoint `{size['rest']['endpoint']}`; peak RSS of one worker: "
                      f"{size['rest']['worker_peak_rss_mb']:,.0f} MB.",
                      table(size["rest"]["rows"], REST_COLUMNS)]
    return "\n\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--rows", nargs="+", default=["1000000,10000000"], help="store sizes (lines), e.g. 1000000 "
                        "10000000 or 1000000,10000000")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per page and mode (medians)")
    parser.add_argument("--compare-rounds", type=int, default=2, help="rounds for the pandas/Polars/SQL comparison")
    parser.add_argument("--browser-rounds", type=int, default=2)
    parser.add_argument("--append-rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--seconds", type=float, default=8.0, help="duration of each REST load cell")
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--work-dir", type=Path, default=None, help="where stores are built (default: a temp dir)")
    args = parser.parse_args(argv)

    started = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    load_start = machine.load_average()
    facts = machine.facts()
    sizes = []
    base = Path(tempfile.mkdtemp(prefix="mauzo-bench-", dir=args.work_dir))
    redis = RedisServer(base / "redis", free_port()).start()
    try:
        for rows in _rows(args.rows):
            work = base / f"rows-{rows}"
            work.mkdir()
            begun = time.perf_counter()
            sizes.append(run_size(rows, args, work, redis))
            _log(f"{rows:,} lines done in {time.perf_counter() - begun:.0f} s")
            shutil.rmtree(work, ignore_errors=True)
    finally:
        redis.kill()
        shutil.rmtree(base, ignore_errors=True)
    text = render(facts, sizes, args, started, (load_start, machine.load_average()))
    args.out.write_text(text, encoding="utf-8")
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"bench-{stamp}.json").write_text(json.dumps({"facts": facts, "sizes": sizes}, indent=1,
                                                            default=str), encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
