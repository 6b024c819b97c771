"""Protocol tests for SQL-based ingestion into Druid (``POST /druid/v2/sql/task`` and task polling).

``FakeDruid`` reads the rows each task points at, as Druid's middleManager would, so these tests
check what reaches Druid (statement, context, rows) and what Mauzo does with each task outcome.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import urllib.error
import urllib.request
from pathlib import Path

import polars as pl
import pytest

from data.engines.druid_client import DruidSettings
from data.engines.druid_ingest import (
    DruidDuplicateFile,
    DruidIngestError,
    TaskProgress,
    ingest_storage_frame,
)
from tests.druid.fake_druid import FakeDruid, closed_port, sql_reply

COUNT = [("n", "LONG", "BIGINT")]
SHA = "5e" * 32


def storage_frame() -> pl.DataFrame:
    """Storage rows as the CLI hands them over (money as LONG ten-thousandths of a shilling)."""
    return pl.DataFrame(
        {
            "sale_date": [dt.date(2025, 1, 31), dt.date(2025, 2, 1), dt.date(2025, 2, 1)],
            "invoice_id": ["INV-1", None, "INV-3"],
            "branch": ["Mombasa Road", "Kisumu O'Neil", "Mombasa Road"],
            "product_line": ["Plumbing", "Electrical", "Plumbing"],
            "item_group": ["Pipes", "Cables", "Unassigned"],
            "item_name": ["PVC 1in", 'Cable "2.5mm"', "Tap"],
            "salesperson": ["Achieng", "Baraka", "Achieng"],
            "customer": ["Walk-in", "Acme Ltd", "Acme Ltd"],
            "quantity": [2.0, -1.0, 0.5],
            "revenue_e4": [9_007_199_254_740_993, -125_000, 3],
            "cost_e4": [4_000_000, -100_000, 1],
        },
        schema_overrides={"revenue_e4": pl.Int64, "cost_e4": pl.Int64},
    )


def cluster(druid: FakeDruid, *, present: tuple[str, ...] = ("sales_analytics", "sales_analytics_ingests"),
            max_batch: int = 3, history_sha: str | None = None) -> None:
    druid.answer({
        "INFORMATION_SCHEMA.TABLES": lambda body: sql_reply(COUNT, [[int(body["parameters"][0]["value"] in present)]]),
        'MAX("batch_id")': sql_reply([("b", "LONG", "BIGINT")], [[max_batch]]),
        'WHERE "sha256" = ?': sql_reply([("batch_id", "LONG", "BIGINT"), ("file_name", "STRING", "VARCHAR")],
                                        [[2, "june.csv"]] if history_sha else []),
        'SELECT DISTINCT "batch_id"': sql_reply([("b", "LONG", "BIGINT")], [[2]]),
        "sys.segments": sql_reply([("used", "LONG", "BIGINT"), ("available", "LONG", "BIGINT"),
                                   ("newest", "STRING", "VARCHAR")], [[4, 4, "2025-07-01T00:00:00.000Z"]]),
        'COUNT(*) AS "n" FROM "sales_analytics"': sql_reply(COUNT, [[5403]]),
    })


@pytest.fixture
def ingest_settings(settings: DruidSettings, tmp_path: Path) -> DruidSettings:
    """Mauzo writes to one path; Druid sees the same directory under another (as with a volume
    mounted at different places), here a symlink."""
    mauzo_side = tmp_path / "mauzo-ingest"
    mauzo_side.mkdir()
    druid_side = tmp_path / "druid-view"
    druid_side.symlink_to(mauzo_side)
    return dataclasses.replace(settings, ingest_dir=str(mauzo_side), ingest_druid_dir=str(druid_side),
                               task_poll_s=0.01, task_timeout_s=5.0)


def ingest(settings: DruidSettings, frame: pl.DataFrame | None = None, mode: str = "replace", **kwargs) -> dict:
    return ingest_storage_frame(storage_frame() if frame is None else frame, settings=settings, mode=mode,
                                file_name="june.csv", sha256=SHA, extra={"format": "csv", "source_rows": 3},
                                **kwargs)


def test_replace_is_one_msq_task_over_the_shared_file(druid: FakeDruid, ingest_settings: DruidSettings) -> None:
    cluster(druid)
    entry = ingest(ingest_settings)

    data_task, history_task = druid.tasks.values()
    sql = data_task.request["query"]
    assert sql.startswith('REPLACE INTO "sales_analytics" OVERWRITE ALL\nSELECT TIME_PARSE("sale_date") AS __time,')
    assert sql.rstrip().endswith('PARTITIONED BY MONTH\nCLUSTERED BY "branch"')
    source = json.loads(sql.split("EXTERN('", 1)[1].split("', '", 1)[0])
    assert source["type"] == "local"
    assert source["files"][0].startswith(ingest_settings.ingest_druid_dir + "/mauzo-batch000004-")
    context = data_task.request["context"]
    assert context["waitUntilSegmentsLoad"] is True and context["failOnEmptyInsert"] is True
    assert context["maxNumTasks"] == 2 and context["maxParseExceptions"] == 0
    assert data_task.request["parameters"] == []
    # Druid read every row, exact, and no row value is in the statement.
    expected = storage_frame().with_columns(pl.col("sale_date").dt.to_string("%Y-%m-%d"), batch_id=pl.lit(4))
    assert data_task.read_error is None and data_task.rows_read == expected.to_dicts()
    for value in ("Mombasa", "Kisumu", "Achieng", "Acme", "INV-1", "9007199254740993", "june.csv"):
        assert value not in sql
    assert list(Path(ingest_settings.ingest_dir).iterdir()) == [Path(ingest_settings.ingest_dir) / ".mauzo-ingest.lock"]

    assert entry["batch_id"] == 4 and entry["rows"] == 3 and entry["mode"] == "replace"
    assert entry["task_id"] == data_task.task_id
    assert entry["data_version"] == "2025-07-01T00:00:00.000Z.4.4" and entry["total_rows"] == 5403
    assert entry["format"] == "csv" and "history_error" not in entry


def test_the_history_row_goes_to_the_shared_history_datasource(druid: FakeDruid,
                                                               ingest_settings: DruidSettings) -> None:
    cluster(druid)
    entry = ingest(ingest_settings)
    history_task = list(druid.tasks.values())[1]
    sql = history_task.request["query"]
    assert sql.startswith('INSERT INTO "sales_analytics_ingests"\nSELECT TIME_PARSE("ingested_at") AS __time,')
    assert "PARTITIONED BY YEAR" in sql and "CLUSTERED BY" not in sql and "june.csv" not in sql
    (row,) = history_task.rows_read
    assert row["file_name"] == "june.csv" and row["sha256"] == SHA and row["batch_id"] == 4
    assert row["ingested_at"] == entry["ingested_at"] and row["task_id"] == entry["task_id"]
    assert json.loads(row["extra"]) == {"format": "csv", "source_rows": 3}


def test_append_inserts(druid: FakeDruid, ingest_settings: DruidSettings) -> None:
    cluster(druid)
    ingest(ingest_settings, mode="append")
    data_task = next(iter(druid.tasks.values()))
    assert data_task.request["query"].startswith('INSERT INTO "sales_analytics"\nSELECT ')
    assert "OVERWRITE" not in data_task.request["query"]


def test_the_first_ingest_starts_at_batch_one(druid: FakeDruid, ingest_settings: DruidSettings) -> None:
    cluster(druid, present=())
    assert ingest(ingest_settings)["batch_id"] == 1
    assert not any('MAX("batch_id")' in q["query"] for q in druid.queries())


def test_an_empty_frame_never_reaches_druid(druid: FakeDruid, ingest_settings: DruidSettings) -> None:
    with pytest.raises(DruidIngestError, match="nothing was sent"):
        ingest(ingest_settings, storage_frame().clear())
    assert druid.requests == []


def test_a_failed_task_reports_druids_error_and_writes_no_history(druid: FakeDruid,
                                                                   ingest_settings: DruidSettings) -> None:
    cluster(druid)
    druid.task_states = ["RUNNING", "RUNNING", "FAILED"]
    druid.task_failure = {"errorMsg": "see the report",
                          "error": {"errorCode": "TooManyWarnings",
                                    "errorMessage": "Too many warnings of type CannotParseExternalData"}}
    with pytest.raises(DruidIngestError, match="CannotParseExternalData.*nothing was changed") as raised:
        ingest(ingest_settings)
    assert raised.value.task_id == next(iter(druid.tasks))
    assert len(druid.tasks) == 1  # no history task
    assert [p.name for p in Path(ingest_settings.ingest_dir).iterdir()] == [".mauzo-ingest.lock"]


def test_a_task_that_runs_too_long_is_shut_down(druid: FakeDruid, ingest_settings: DruidSettings) -> None:
    cluster(druid)
    druid.task_states = ["RUNNING"]
    with pytest.raises(DruidIngestError, match="shut down; nothing was changed"):
        ingest(dataclasses.replace(ingest_settings, task_timeout_s=0.2))
    (task,) = druid.tasks.values()
    assert task.shut_down
    assert druid.of("POST", f"/druid/indexer/v1/task/{task.task_id}/shutdown")


def test_progress_is_reported_while_the_task_runs(druid: FakeDruid, ingest_settings: DruidSettings) -> None:
    cluster(druid)
    druid.task_states = ["RUNNING", "RUNNING", "RUNNING", "SUCCESS"]
    seen: list[TaskProgress] = []
    ingest(ingest_settings, on_progress=seen.append)
    data_id = next(iter(druid.tasks))
    states = [p.status for p in seen if p.task_id == data_id]
    assert states[0] == "RUNNING" and states[-1] == "SUCCESS"
    last = [p for p in seen if p.task_id == data_id][-1]
    assert last.rows_read == 3 and last.segments_loaded == (3, 3)
    assert "3 rows read" in last.line() and "segments loaded 3/3" in last.line()


def test_an_appended_duplicate_file_is_refused_before_any_task(druid: FakeDruid,
                                                                ingest_settings: DruidSettings) -> None:
    cluster(druid, history_sha=SHA)
    with pytest.raises(DruidDuplicateFile) as raised:
        ingest(ingest_settings, mode="append", refuse_duplicate=True)
    assert raised.value.batch["batch_id"] == 2 and raised.value.batch["file_name"] == "june.csv"
    assert druid.tasks == {}
    sha_query = next(q for q in druid.queries() if '"sha256" = ?' in q["query"])
    assert sha_query["parameters"] == [{"type": "VARCHAR", "value": SHA}]


def test_http_method_serves_the_rows_only_while_the_task_runs(druid: FakeDruid, settings: DruidSettings) -> None:
    cluster(druid)
    port = closed_port()
    http_settings = dataclasses.replace(settings, ingest_method="http", ingest_http_bind=f"127.0.0.1:{port}",
                                        ingest_http_url=f"http://127.0.0.1:{port}/", task_poll_s=0.01)
    ingest(http_settings)
    data_task = next(iter(druid.tasks.values()))
    source = json.loads(data_task.request["query"].split("EXTERN('", 1)[1].split("', '", 1)[0])
    (uri,) = source["uris"]
    assert source["type"] == "http" and uri.startswith(f"http://127.0.0.1:{port}/")
    assert data_task.read_error is None and len(data_task.rows_read) == 3
    with pytest.raises(urllib.error.URLError):  # the one-off server is gone
        urllib.request.urlopen(uri, timeout=2)


def test_http_method_serves_nothing_but_the_registered_file(druid: FakeDruid, settings: DruidSettings) -> None:
    cluster(druid)
    port = closed_port()
    http_settings = dataclasses.replace(settings, ingest_method="http", ingest_http_bind=f"127.0.0.1:{port}",
                                        ingest_http_url=f"http://127.0.0.1:{port}", task_poll_s=0.01)
    guesses: list[int] = []

    def probe(progress: TaskProgress) -> None:
        if not guesses:
            for path in ("/", "/etc/passwd", "/../mauzo-batch000004.json"):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2)
                    guesses.append(200)
                except urllib.error.HTTPError as exc:
                    guesses.append(exc.code)

    ingest(http_settings, on_progress=probe)
    assert guesses == [404, 404, 404]


def test_local_method_needs_the_shared_directory(druid: FakeDruid, settings: DruidSettings) -> None:
    with pytest.raises(DruidIngestError, match="DRUID_INGEST_DIR"):
        ingest(settings)
    assert druid.requests == []
