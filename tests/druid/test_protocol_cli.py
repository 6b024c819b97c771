"""Protocol tests of ``mauzo ingest --engine druid`` against the local fake Druid: the file is
validated locally first (a bad file sends nothing), then loaded through SQL-based ingestion."""

from __future__ import annotations

from pathlib import Path

from data.engines.druid_client import DruidSettings
from ingest.pipeline import ingest_file
from tests.druid.fake_druid import FakeDruid, error_reply
from tests.druid.test_protocol_ingest import cluster, ingest_settings  # noqa: F401  (fixture)

GOOD = ("sale_date,invoice_id,branch,product_line,item_name,salesperson,customer,quantity,revenue,cost\n"
        "2025-01-02,A1,Mombasa,Cement,Bamburi 50kg,Jane,Acme,2,1234.5678,1000.0001\n"
        "2025-01-03,A2,Kisumu,Paint,Crown 4L,Ali,Beta,1,99.99,80\n")


def test_a_valid_file_is_loaded_into_druid_exactly(tmp_path: Path, druid: FakeDruid,
                                                   ingest_settings: DruidSettings):  # noqa: F811
    cluster(druid)
    source = tmp_path / "sales.csv"
    source.write_text(GOOD, encoding="utf-8")
    result = ingest_file(source, data_dir=tmp_path / "local", mode="replace", druid=ingest_settings)
    assert result.ok, result.report.text()
    task = next(iter(druid.tasks.values()))
    assert task.request["query"].startswith('REPLACE INTO "sales_analytics" OVERWRITE ALL')
    assert [r["revenue_e4"] for r in task.rows_read] == [12_345_678, 999_900]
    assert [r["cost_e4"] for r in task.rows_read] == [10_000_001, 800_000]
    assert not (tmp_path / "local" / "manifest.json").exists()  # nothing went to the local store


def test_a_bad_file_sends_nothing(tmp_path: Path, druid: FakeDruid, ingest_settings: DruidSettings):  # noqa: F811
    cluster(druid)
    source = tmp_path / "bad.csv"
    source.write_text(GOOD + "2025-01-04,A3,Kisumu,Paint,Crown 4L,Ali,Beta,1,12.4x,80\n", encoding="utf-8")
    result = ingest_file(source, data_dir=tmp_path / "local", mode="replace", druid=ingest_settings)
    assert result.exit_code == 2 and not druid.tasks and not druid.of("POST", "/druid/v2/sql/task")


def test_a_failed_task_is_reported_as_a_rejection(tmp_path: Path, druid: FakeDruid,
                                                  ingest_settings: DruidSettings):  # noqa: F811
    cluster(druid)
    druid.task_states = ["RUNNING", "FAILED"]
    druid.task_failure = {"errorCode": "TooManyWarnings", "errorMessage": "row 2 is not valid"}
    source = tmp_path / "sales.csv"
    source.write_text(GOOD, encoding="utf-8")
    result = ingest_file(source, data_dir=tmp_path / "local", mode="append", druid=ingest_settings)
    assert result.exit_code == 2
    assert [p.check for p in result.report.problems] == ["druid_failed"]


def test_unreachable_druid_is_a_rejection_not_a_traceback(tmp_path: Path, druid: FakeDruid,
                                                          ingest_settings: DruidSettings):  # noqa: F811
    druid.sql = lambda body: error_reply(503, "druidException", "no broker", "SERVICE_UNAVAILABLE")
    source = tmp_path / "sales.csv"
    source.write_text(GOOD, encoding="utf-8")
    result = ingest_file(source, data_dir=tmp_path / "local", mode="append", druid=ingest_settings)
    (problem,) = result.report.problems
    assert result.exit_code == 2 and problem.check in ("druid_failed", "druid_unavailable")
    assert "Traceback" not in result.report.text()
