"""The real ``mauzo`` entry point in a subprocess: exit codes, output, and kill -9 atomicity."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.demo import generate

GOOD = "2024-02-01,Nakuru,Cement,Bamburi 50kg,Jane Wanjiku,Acme Ltd,1,100.00,80.00,INV-9"


def test_success_prints_one_summary_line_and_writes_report(cli, base_store, tmp_path, make_csv, state):
    path = tmp_path / "ok.csv"
    path.write_text(make_csv([GOOD, GOOD.replace("INV-9", "INV-10")]), encoding="utf-8")
    out = tmp_path / "r.json"
    done = cli("--data-dir", base_store, "ingest", path, "--report", out)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("ingested 2 rows from ok.csv in ") and "rows/s" in lines[0]
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["status"] == "ok" and report["rows"] == 2
    assert report["data_version"] == state(base_store)[0] in lines[0]
    assert {"seconds", "rows_per_s", "sha256"} <= set(report)


def test_rejection_exits_2_with_report_on_stderr(cli, base_store, tmp_path, make_csv, state):
    before = state(base_store)
    path = tmp_path / "bad.csv"
    path.write_text(make_csv([GOOD, GOOD.replace("100.00", '"12,4x"')]), encoding="utf-8")
    out = tmp_path / "r.json"
    done = cli("--data-dir", base_store, "ingest", path, "--report", out)
    assert done.returncode == 2
    assert 'line 3: revenue = "12,4x"' in done.stderr
    assert done.stdout.startswith("rejected bad.csv: 1 problem, 0 rows written")
    assert json.loads(out.read_text(encoding="utf-8"))["problems"][0]["examples"] == [{"line": 3, "value": "12,4x"}]
    assert state(base_store) == before


def test_duplicate_force_dry_run_and_replace_via_cli(cli, base_store, tmp_path, make_csv, state):
    path = tmp_path / "base.csv"  # the very file base_store was built from
    before = state(base_store)
    refused = cli("--data-dir", base_store, "ingest", path)
    assert refused.returncode == 2 and "already in the current data" in refused.stderr
    assert cli("--data-dir", base_store, "ingest", path, "--force", "--dry-run").returncode == 0
    assert state(base_store) == before
    assert cli("--data-dir", base_store, "ingest", path, "--force").returncode == 0
    assert len(state(base_store)[1]) == 6
    assert cli("--data-dir", base_store, "ingest", path, "--mode", "replace").returncode == 0
    assert len(state(base_store)[1]) == 3


def test_mapping_and_delimiter_options(cli, tmp_path, make_csv):
    path = tmp_path / "semi.csv"
    path.write_text(make_csv([GOOD]).replace(",", ";"), encoding="utf-8")
    wrong = cli("--data-dir", tmp_path / "s", "ingest", path, "--delimiter", "comma")
    assert wrong.returncode == 2 and "the header looks `;`-separated" in wrong.stderr
    assert cli("--data-dir", tmp_path / "s", "ingest", path, "--delimiter", ";").returncode == 0
    bad_map = tmp_path / "m.toml"
    bad_map.write_text("[columns]\nX = 'nope'\n", encoding="utf-8")
    done = cli("--data-dir", tmp_path / "s", "ingest", path, "--mapping", bad_map)
    assert done.returncode == 2 and "'nope' is not a canonical column" in done.stderr


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300k demo lines (about 40 MB): big enough that the snapshot write takes a while."""
    path = tmp_path_factory.mktemp("big") / "big.csv"
    generate(rows=300_000, seed=3, end=dt.date(2025, 6, 30)).write_csv(path)
    return path


def _building_bytes(snapshots: Path) -> int | None:
    """Bytes in the private snapshot being built (file + WAL), or None while there is none."""
    files = list(snapshots.glob(".*.building*"))
    if not files:
        return None
    return sum(f.stat().st_size for f in files if f.exists())


@pytest.mark.parametrize(("mode", "min_bytes"), [("append", 0), ("replace", 256 * 1024)])
def test_kill_9_mid_write_leaves_previous_data(mode, min_bytes, big_csv, base_store, state, tmp_path, cli):
    """SIGKILL the ingest while its private snapshot is being written; the old data must be intact.

    append: killed as soon as the copy of the live snapshot appears; replace: killed once rows
    are landing in the new file (it has grown past ``min_bytes``)."""
    before = state(base_store)
    snapshots = base_store / "snapshots"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, "-m", "ingest.cli", "--data-dir", str(base_store), "ingest",
                             str(big_csv), "--mode", mode], env=env, cwd=env["PYTHONPATH"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while (_building_bytes(snapshots) or -1) < min_bytes:
            assert proc.poll() is None, "ingest finished before it was caught writing"
            assert time.monotonic() < deadline, "the snapshot file never appeared"
            time.sleep(0.001)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert state(base_store) == before

    small = tmp_path / "after.csv"
    small.write_text("Date,Branch,Product Line,Qty,Net Sales,Cost\n2024-03-01,Thika,Paint,1,10,5\n", encoding="utf-8")
    done = cli("--data-dir", base_store, "ingest", small)
    assert done.returncode == 0, done.stderr
    version, rows = state(base_store)
    assert version != before[0] and len(rows) == len(before[1]) + 1
    assert not list(snapshots.glob(".*.building")), "the stale half-written snapshot was not cleaned up"
