"""Live suite against a real Druid: ingest the demo data, then every REST endpoint's figures must
equal the DuckDB engine's on the same data.

Skipped (with the reason shown) unless ``DRUID_URL`` names a Druid router. Against the compose
cluster, from a checkout (docs/druid.md)::

    MAUZO_ENGINE=druid docker compose --profile druid up -d --build
    DRUID_URL=http://localhost:8888 DRUID_INGEST_METHOD=http DRUID_INGEST_HTTP_BIND=0.0.0.0:8765 \\
      DRUID_INGEST_HTTP_URL=http://host.docker.internal:8765 \\
      .venv/bin/pytest -m druid_live tests/druid/test_live.py -v

It writes only to its own datasource (``DRUID_LIVE_DATASOURCE``, default ``mauzo_live_test``) and
that datasource's ``_ingests`` history, replacing them on every run.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from data.engines.druid_client import DruidSettings
from data.engines.druid_engine import DruidEngine
from data.engines.druid_ingest import DruidIngestError, ingest_storage_frame, progress_printer
from ingest.storage import to_storage

pytestmark = [
    pytest.mark.druid_live,
    pytest.mark.skipif(not os.environ.get("DRUID_URL"),
                       reason="live Druid suite: set DRUID_URL to a Druid router (see docs/druid.md)"),
    pytest.mark.timeout(1800),
]

LIVE_DATASOURCE = os.environ.get("DRUID_LIVE_DATASOURCE", "mauzo_live_test")


@pytest.fixture(scope="module")
def live_settings() -> DruidSettings:
    return DruidSettings.from_mapping({**os.environ, "DRUID_DATASOURCE": LIVE_DATASOURCE})


@pytest.fixture(scope="module")
def loaded(live_settings: DruidSettings, demo_frame: pl.DataFrame) -> dict[str, Any]:
    """The demo lines (the same ones the DuckDB ``demo_store`` holds), ingested into Druid."""
    return ingest_storage_frame(to_storage(demo_frame), settings=live_settings, mode="replace",
                                file_name="demo-live", sha256="live-" + LIVE_DATASOURCE,
                                on_progress=progress_printer())


def test_ingest_lands_every_line(loaded: dict[str, Any], live_settings: DruidSettings,
                                 demo_frame: pl.DataFrame) -> None:
    engine = DruidEngine(live_settings)
    info = engine.info()
    assert info.reachable, info.detail
    assert info.rows == demo_frame.height == loaded["total_rows"]
    assert info.data_version == loaded["data_version"]
    history = engine.ingest_history(1)
    assert history["task_id"][0] == loaded["task_id"]


def test_a_failed_task_changes_nothing(loaded: dict[str, Any], live_settings: DruidSettings,
                                       demo_frame: pl.DataFrame, tmp_path: Path) -> None:
    """Druid cannot read the rows (a path it does not have): the task fails, the data stays."""
    engine = DruidEngine(live_settings)
    before = engine.read_data_version()
    broken = dataclasses.replace(live_settings, ingest_method="local", ingest_dir=str(tmp_path),
                                 ingest_druid_dir="/nonexistent/mauzo")
    with pytest.raises(DruidIngestError, match="failed"):
        ingest_storage_frame(to_storage(demo_frame.head(5)), settings=broken, mode="replace",
                             file_name="broken", sha256="broken")
    assert engine.read_data_version() == before
    assert engine.info().rows == demo_frame.height


# -- every REST endpoint, DuckDB vs Druid --------------------------------------------------------
@pytest.fixture(scope="module")
def apps(loaded: dict[str, Any], demo_store: Path, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[str, str]]:
    from tests.live import running_app

    druid_env = {k: v for k, v in os.environ.items() if k.startswith("DRUID_")}
    druid_env.update(MAUZO_ENGINE="druid", DRUID_DATASOURCE=LIVE_DATASOURCE, MAUZO_CACHE="none")
    logs = tmp_path_factory.mktemp("live-druid")
    with running_app(demo_store, env={"MAUZO_CACHE": "none", "MAUZO_ENGINE": "duckdb"},
                     log_path=logs / "duckdb.log") as duckdb_url, \
         running_app(logs, env=druid_env, log_path=logs / "druid.log") as druid_url:
        yield duckdb_url, druid_url


def _get(base: str, path: str, params: list[tuple[str, str]]) -> dict[str, Any]:
    url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=120) as answer:
        return json.load(answer)


def _same(a: Any, b: Any, where: str) -> None:
    """Equal, except that float sums may differ in the last bits (Druid and DuckDB add in different
    orders); money is already rounded to the cent by the data layer, so it must match exactly."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert set(a) == set(b), where
        for key in a:
            _same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), (where, a, b)
    else:
        assert a == b, (where, a, b)


def _figure_routes(base: str) -> list[str]:
    with urllib.request.urlopen(base + "/api/openapi.json", timeout=30) as answer:
        paths = json.load(answer)["paths"]
    return sorted(p for p, ops in paths.items() if "get" in ops and p.startswith(("/api/kpis/", "/api/filters/")))


def test_every_endpoint_matches_duckdb(apps: tuple[str, str]) -> None:
    duckdb_url, druid_url = apps
    options = _get(duckdb_url, "/api/filters/options", [])["data"]
    branches = sorted(options["branches"])[:2]
    lines = sorted(options.get("productLines", []))[:1]
    views: list[list[tuple[str, str]]] = [
        [],
        [("startDate", "2025-01-01"), ("endDate", "2025-06-30"), *(("branch", b) for b in branches)],
        [("startDate", "2024-10-01"), ("endDate", "2025-03-31"), *(("productLine", p) for p in lines)],
    ]
    routes = _figure_routes(duckdb_url)
    assert "/api/kpis/salespeople" in routes
    for path in routes:
        for params in views:
            expected, actual = _get(duckdb_url, path, params), _get(druid_url, path, params)
            assert actual["error"] is None, (path, params, actual["error"])
            _same(expected["data"], actual["data"], f"{path}?{urllib.parse.urlencode(params)}")
