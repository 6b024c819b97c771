"""The container entry point (docker/entrypoint.sh), run with a stand-in ``mauzo`` on PATH."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.druid.fake_druid import FakeDruid, Reply, closed_port

REPO = Path(__file__).resolve().parents[2]
ENTRYPOINT = REPO / "docker" / "entrypoint.sh"


def run(tmp_path: Path, env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run the entry point; a fake ``mauzo`` records each call's arguments, one line per call."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    calls = tmp_path / "calls.txt"
    fake = bin_dir / "mauzo"
    fake.write_text(f'#!/bin/sh\necho "$*" >> {calls}\n')
    fake.chmod(0o755)
    (bin_dir / "python").symlink_to(sys.executable)
    path = f"{bin_dir}:/usr/bin:/bin"
    done = subprocess.run(["sh", str(ENTRYPOINT), *args], env={"PATH": path, **env}, capture_output=True,
                          text=True, timeout=30)
    return done, calls.read_text().splitlines() if calls.exists() else []


def test_duckdb_loads_demo_data_when_empty_then_serves(tmp_path: Path) -> None:
    done, calls = run(tmp_path, {"MAUZO_WORKERS": "3"})
    assert done.returncode == 0, done.stderr
    assert calls == ["demo --if-empty", "serve --host 0.0.0.0 --port 8050 --workers 3"]


def test_druid_waits_for_the_routers_health_then_serves(tmp_path: Path) -> None:
    with FakeDruid() as druid:
        done, calls = run(tmp_path, {"MAUZO_ENGINE": "druid", "DRUID_URL": druid.url})
        health_checks = druid.of("GET", "/status/health")
    assert done.returncode == 0, done.stderr
    assert health_checks and "router healthy" in done.stderr
    assert calls == ["serve --host 0.0.0.0 --port 8050 --workers 2"]  # no DuckDB demo data on Druid


def test_druid_keeps_asking_while_the_router_is_not_healthy(tmp_path: Path) -> None:
    with FakeDruid() as druid:
        druid.health_reply = Reply(status=503, body=b"")
        done, calls = run(tmp_path, {"MAUZO_ENGINE": "druid", "DRUID_URL": druid.url, "MAUZO_DRUID_WAIT_S": "1"})
        asked = len(druid.of("GET", "/status/health"))
    assert asked >= 1 and "not healthy yet; starting anyway" in done.stderr
    assert calls == ["serve --host 0.0.0.0 --port 8050 --workers 2"]


def test_an_unreachable_router_does_not_block_start_forever(tmp_path: Path) -> None:
    done, calls = run(tmp_path, {"MAUZO_ENGINE": "druid", "DRUID_URL": f"http://127.0.0.1:{closed_port()}",
                                 "MAUZO_DRUID_WAIT_S": "0"})
    assert done.returncode == 0 and "starting anyway" in done.stderr
    assert calls[-1].startswith("serve ")


@pytest.mark.parametrize("command", [["mauzo", "ingest", "/data/sales.csv"], ["true"]])
def test_other_commands_run_as_given(tmp_path: Path, command: list[str]) -> None:
    done, calls = run(tmp_path, {}, *command)
    assert done.returncode == 0, done.stderr
    assert calls == ([" ".join(command[1:])] if command[0] == "mauzo" else [])
