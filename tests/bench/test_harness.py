"""Fast checks of the benchmark harness itself (not of Mauzo's speed): its load generator counts
what it should, its three comparison paths compute the same figures as the data layer, and its
report and facts are complete."""

from __future__ import annotations

import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from bench import baselines, machine
from bench.load import run_load
from bench.proc import measured
from bench.report import PAGE_COLUMNS, table
from data import queries
from data.filters import Filters
from data.store import SnapshotStore


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like gunicorn

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = b'{"ok": true}'
        self.send_response(500 if self.path.startswith("/fail") else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_load_generator_counts_answers_errors_and_stops_in_time(server: str) -> None:
    ok = run_load(server + "/ok", clients=4, seconds=0.5)
    assert ok.ok > 0 and ok.errors == 0 and ok.seconds < 3
    assert ok.percentile(0.5) is not None and ok.percentile(0.5) <= ok.percentile(0.99)  # type: ignore[operator]
    failing = run_load(server + "/fail", clients=2, seconds=0.3)
    assert failing.ok == 0 and failing.errors > 0


def test_load_generator_targets_loopback_only() -> None:
    with pytest.raises(ValueError, match="loopback"):
        run_load("http://example.com/", clients=1, seconds=0.1)


def test_child_processes_are_measured() -> None:
    run = measured(["platform"])
    assert run.returncode == 0 and run.seconds > 0 and run.peak_rss_mb > 1


def test_report_tables_show_every_column_and_ratios_with_two_decimals() -> None:
    row = {"page": "Overview", "view": "all", "sections": 4, "uncached_ms": 1234.5, "cold_ms": 12.25,
           "warm_ms": 3.0, "cold_vs_uncached": 0.5}
    text = table([row], PAGE_COLUMNS)
    assert text.count("\n") == 2 and "| Overview | all | 4 |" in text and "1,234" in text and "| 0.50 |" in text


def test_machine_facts_name_what_the_figures_depend_on() -> None:
    facts = machine.facts()
    assert facts["cores"] and facts["ram_gb"] > 0 and facts["cpu"] and facts["packages"]["duckdb"]
    assert len(machine.load_average()) == 3


def test_comparison_paths_compute_the_data_layers_figures(demo_store: Path, demo_engine: object) -> None:
    """pandas, Polars and raw SQL give the same revenue, transactions and customers per salesperson
    as ``queries.breakdown`` (so the timing compares like with like)."""
    filters = Filters.create(start=dt.date(2024, 7, 1), end=dt.date(2025, 6, 30), branch=["Mombasa", "Kisumu"])
    expected = {r["salesperson"]: (r["revenue"], r["transactions"], r["customers"])
                for r in queries.breakdown(filters, "salesperson").to_dicts()}
    store = SnapshotStore(demo_store)
    con = duckdb.connect(str(store.snapshot_path(store.manifest())), read_only=True,
                         config={"access_mode": "READ_ONLY"})
    try:
        by_sql = baselines.sql_page(con, "Salespeople", filters)[0]
        by_polars = baselines.polars_page(con, "Salespeople", filters)[0]
        by_pandas = baselines.pandas_page(baselines.load_pandas(con), "Salespeople", filters)[0].reset_index()
    finally:
        con.close()
    for frame in (by_sql.to_dicts(), by_polars.to_dicts(), by_pandas.to_dict("records")):
        got = {r["salesperson"]: (round(int(r["revenue"]) / 10_000, 2), int(r["transactions"]), int(r["customers"]))
               for r in frame}
        assert got == expected
