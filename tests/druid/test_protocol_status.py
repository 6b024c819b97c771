"""Protocol tests for the Druid engine's health report, data version and ingest history."""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

import pytest

from data.engines.druid_client import DruidSettings
from data.engines.druid_engine import DruidEngine
from data.errors import EngineUnavailable
from tests.druid.fake_druid import FakeDruid, Reply, closed_port, sql_reply

SEGMENTS_COLUMNS = [("used", "LONG", "BIGINT"), ("available", "LONG", "BIGINT"), ("newest", "STRING", "VARCHAR")]
COUNT = [("n", "LONG", "BIGINT")]


def segments(used: int, available: int, newest: str | None) -> Reply:
    return sql_reply(SEGMENTS_COLUMNS, [[used, available, newest]])


def tables(*present: str):
    return lambda body: sql_reply(COUNT, [[int(body["parameters"][0]["value"] in present)]])


HISTORY_ROW = ["2025-07-01T09:30:00+00:00", 4, "june.csv", "ab" * 32, 1200, "append", "2025-07-01T09:29:58.000Z.3.3",
               5400, 41.5, "query-mauzo-ingest-4-1a2b", json.dumps({"format": "csv", "source_rows": 1203})]
HISTORY = sql_reply(
    [("ingested_at", "STRING", "VARCHAR"), ("batch_id", "LONG", "BIGINT"), ("file_name", "STRING", "VARCHAR"),
     ("sha256", "STRING", "VARCHAR"), ("rows", "LONG", "BIGINT"), ("mode", "STRING", "VARCHAR"),
     ("data_version", "STRING", "VARCHAR"), ("total_rows", "LONG", "BIGINT"), ("duration_s", "DOUBLE", "DOUBLE"),
     ("task_id", "STRING", "VARCHAR"), ("extra", "STRING", "VARCHAR")], [HISTORY_ROW])


def test_data_version_comes_from_sys_segments(druid: FakeDruid, settings: DruidSettings) -> None:
    druid.answer({"sys.segments": segments(12, 12, "2025-07-01T09:29:58.000Z")})
    assert DruidEngine(settings).data_version() == "2025-07-01T09:29:58.000Z.12.12"
    (query,) = druid.queries()
    assert "FROM sys.segments" in query["query"] and "sales_analytics" not in query["query"]
    assert query["parameters"] == [{"type": "VARCHAR", "value": "sales_analytics"}]


def test_data_version_changes_with_appended_and_newly_loaded_segments(druid: FakeDruid,
                                                                      settings: DruidSettings) -> None:
    """An append into an existing month keeps the version string of its time chunk: the segment
    counts must still change the data version, and so must segments becoming available."""
    engine = DruidEngine(settings)
    versions = []
    for used, available in ((3, 3), (4, 3), (4, 4)):
        druid.answer({"sys.segments": segments(used, available, "2025-07-01T09:29:58.000Z")})
        versions.append(engine.read_data_version())
    assert len(set(versions)) == 3


def test_data_version_is_reused_for_its_ttl_then_read_again(druid: FakeDruid, settings: DruidSettings) -> None:
    druid.answer({"sys.segments": segments(1, 1, "v1")})
    engine = DruidEngine(dataclasses.replace(settings, version_ttl_s=0.3))
    first = engine.data_version()
    druid.answer({"sys.segments": segments(2, 2, "v2")})
    assert engine.data_version() == first  # within the TTL: no query
    assert len(druid.queries()) == 1
    time.sleep(0.35)
    assert engine.data_version() == "v2.2.2"
    assert len(druid.queries()) == 2


def test_an_empty_datasource_is_engine_unavailable(druid: FakeDruid, settings: DruidSettings) -> None:
    druid.answer({"sys.segments": segments(0, 0, None)})
    with pytest.raises(EngineUnavailable, match="no data yet"):
        DruidEngine(settings).data_version()


def _healthy_cluster(druid: FakeDruid, with_history: bool = True) -> None:
    present = ("sales_analytics", "sales_analytics_ingests") if with_history else ("sales_analytics",)
    druid.answer({
        "INFORMATION_SCHEMA.TABLES": tables(*present),
        'COUNT(*) AS "n" FROM "sales_analytics"': sql_reply(COUNT, [[5400]]),
        "sys.segments": segments(3, 3, "2025-07-01T09:29:58.000Z"),
        '"sales_analytics_ingests" ORDER BY __time DESC': HISTORY,
    })


def test_info_reports_router_version_datasource_rows_and_last_ingest(druid: FakeDruid,
                                                                     settings: DruidSettings) -> None:
    _healthy_cluster(druid)
    info = DruidEngine(settings).info()
    assert (info.engine, info.reachable, info.rows) == ("druid", True, 5400)
    assert info.data_version == "2025-07-01T09:29:58.000Z.3.3"
    assert "Druid 35.0.1" in info.detail and "router healthy" in info.detail and "present" in info.detail
    assert info.last_ingest is not None and info.last_ingest["file_name"] == "june.csv"
    assert [r.path for r in druid.requests[:2]] == ["/status/health", "/status"]


def test_info_without_history_has_no_last_ingest(druid: FakeDruid, settings: DruidSettings) -> None:
    _healthy_cluster(druid, with_history=False)
    info = DruidEngine(settings).info()
    assert info.reachable and info.last_ingest is None


def test_info_when_the_datasource_is_missing(druid: FakeDruid, settings: DruidSettings) -> None:
    druid.answer({"INFORMATION_SCHEMA.TABLES": tables()})
    info = DruidEngine(settings).info()
    assert info.reachable is False and info.rows is None
    assert "missing" in info.detail and "35.0.1" in info.detail


def test_info_when_the_router_is_down() -> None:
    info = DruidEngine(DruidSettings(url=f"http://127.0.0.1:{closed_port()}", connect_timeout_s=0.5)).info()
    assert info.reachable is False and "cannot reach Druid" in info.detail


def test_ingest_history_reads_the_shared_history_datasource(druid: FakeDruid, settings: DruidSettings) -> None:
    _healthy_cluster(druid)
    history = DruidEngine(settings).ingest_history(5)
    row: dict[str, Any] = history.row(0, named=True)
    assert row["batch_id"] == 4 and row["ingested_at"] == "2025-07-01T09:30:00+00:00"
    assert row["format"] == "csv" and row["source_rows"] == 1203  # the extra keys, as the DuckDB store has them
    assert "extra" not in history.columns
    query = druid.queries()[-1]
    assert query["parameters"] == [{"type": "BIGINT", "value": 5}]


def test_ingest_history_is_empty_before_the_first_ingest(druid: FakeDruid, settings: DruidSettings) -> None:
    druid.answer({"INFORMATION_SCHEMA.TABLES": tables("sales_analytics")})
    assert DruidEngine(settings).ingest_history().is_empty()
