"""Load validated storage rows into Druid with SQL-based ingestion (the MSQ task engine).

The CLI validates the whole file first (nothing reaches Druid unless every row is valid) and then
calls ``ingest_storage_frame`` with the storage frame. Here:

1. An empty frame is refused before anything is sent: a ``REPLACE`` of zero rows would wipe the
   datasource (``failOnEmptyInsert`` is also set, as a second guard).
2. The rows are written as JSON lines where Druid can read them (``DruidSettings.ingest_method``):
   - ``local``: a directory shared by Mauzo and Druid's middleManager (the compose file mounts
     one volume in both); Druid reads it with the ``local`` input source;
   - ``http``: Mauzo serves the file on a one-off URL (random token, only while the task runs)
     and Druid reads it with the ``http`` input source.
3. ``REPLACE INTO <ds> OVERWRITE ALL`` (mode replace) or ``INSERT INTO <ds>`` (append),
   ``PARTITIONED BY MONTH CLUSTERED BY branch``, is submitted to ``/druid/v2/sql/task`` with
   ``waitUntilSegmentsLoad``: when the task succeeds the new data is queryable.
4. The task is polled, with progress reported to ``on_progress``. Druid publishes a task's
   segments atomically at its end, so a failed task (reported with Druid's own error) or one
   shut down on timeout changes nothing visible.
5. One history row goes to ``<ds>_ingests`` (read by ``DruidEngine.ingest_history``).

Column types come from the frame's dtypes (String -> string, integers -> long, floats -> double),
so this module does not depend on the money columns' names; the one Date column becomes
``__time`` (midnight UTC of the sale date). Only Mauzo-generated names (file paths, validated
column names) appear in the SQL text; the rows themselves never do.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import http.server
import json
import logging
import os
import re
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import polars as pl

from data.engines.druid_client import DruidClient, DruidSettings
from data.engines.druid_engine import DruidEngine, quote_identifier, to_frame
from data.errors import DataLayerError

log = logging.getLogger("mauzo.druid")

CLUSTER_COLUMN = "branch"
PARTITION = "MONTH"
_COLUMN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# Polling survives short outages of the Overlord (or of the network) this many times in a row.
MAX_POLL_ERRORS = 10


class DruidIngestError(Exception):
    """The ingest did not happen; nothing visible changed in Druid."""

    def __init__(self, message: str, task_id: str | None = None) -> None:
        super().__init__(message)
        self.task_id = task_id


class DruidDuplicateFile(DruidIngestError):
    """This file's sha256 is already part of the data in Druid (append without ``force``)."""

    def __init__(self, batch: dict[str, Any]) -> None:
        super().__init__(f"already ingested as batch {batch.get('batch_id')} ({batch.get('file_name')})")
        self.batch = batch


@dataclass(frozen=True)
class TaskProgress:
    """One observation of a running ingestion task."""

    task_id: str
    status: str  # RUNNING | SUCCESS | FAILED (Druid's task status)
    runner_status: str | None  # WAITING | PENDING | RUNNING while it runs
    elapsed_s: float
    rows_read: int | None = None
    segments_loaded: tuple[int, int] | None = None  # (used, total) while waiting for segments to load

    def line(self) -> str:
        parts = [f"task {self.task_id}: {self.status.lower()}"]
        if self.runner_status and self.status == "RUNNING":
            parts[0] += f" ({self.runner_status.lower()})"
        if self.rows_read is not None:
            parts.append(f"{self.rows_read:,} rows read")
        if self.segments_loaded is not None:
            parts.append(f"segments loaded {self.segments_loaded[0]}/{self.segments_loaded[1]}")
        parts.append(f"{self.elapsed_s:.0f} s")
        return ", ".join(parts)


def progress_printer(stream: TextIO | None = None) -> Callable[[TaskProgress], None]:
    """An ``on_progress`` that prints a line whenever the task's state changes."""
    out = stream or sys.stderr
    last: list[str] = [""]

    def show(progress: TaskProgress) -> None:
        key = progress.line().rsplit(", ", 1)[0]
        if key != last[0]:
            last[0] = key
            print(progress.line(), file=out, flush=True)

    return show


# -- SQL ---------------------------------------------------------------------------------------
def _extern_type(dtype: pl.DataType) -> str:
    if dtype == pl.String:
        return "string"
    if dtype.is_integer():
        return "long"
    if dtype.is_float():
        return "double"
    if dtype == pl.Date:
        return "string"  # written as YYYY-MM-DD; only the __time source column may be a date
    raise DruidIngestError(f"no Druid column type for {dtype}")


def _sql_string(text: str) -> str:
    """A SQL string literal (``'`` doubled), for the JSON specs EXTERN takes."""
    return "'" + text.replace("'", "''") + "'"


def time_column(schema: pl.Schema | dict[str, pl.DataType]) -> str:
    """The one Date column of a storage frame: it becomes ``__time``."""
    dates = [n for n, t in schema.items() if t == pl.Date]
    if len(dates) != 1:
        raise DruidIngestError(f"exactly one Date column becomes __time; found {dates or 'none'}")
    return dates[0]


def ingest_sql(datasource: str, schema: pl.Schema | dict[str, pl.DataType], input_source: dict[str, Any],
               mode: str, *, time_from: str, partitioned_by: str = PARTITION,
               cluster_by: str | None = CLUSTER_COLUMN) -> str:
    """The INSERT/REPLACE statement reading JSON lines with ``schema`` from ``input_source``;
    column ``time_from`` (an ISO date or timestamp) becomes ``__time``."""
    if mode not in ("append", "replace"):
        raise ValueError(f"mode must be append or replace, not {mode!r}")
    names = list(schema)
    bad = [n for n in names if not _COLUMN.match(n)]
    if bad:
        raise DruidIngestError(f"column names must be lower-case letters, digits and _: {bad}")
    if time_from not in names:
        raise DruidIngestError(f"no column {time_from!r} to take __time from")
    signature = [{"name": n, "type": _extern_type(t)} for n, t in schema.items()]
    select = [f"TIME_PARSE({quote_identifier(time_from)}) AS __time"]
    select += [quote_identifier(n) for n in names if n != time_from]
    head = (f"REPLACE INTO {quote_identifier(datasource)} OVERWRITE ALL" if mode == "replace"
            else f"INSERT INTO {quote_identifier(datasource)}")
    extern = ", ".join(_sql_string(json.dumps(spec, separators=(",", ":")))
                       for spec in (input_source, {"type": "json"}, signature))
    sql = (f"{head}\nSELECT {', '.join(select)}\nFROM TABLE(EXTERN({extern}))\n"
           f"PARTITIONED BY {partitioned_by}")
    if cluster_by and cluster_by in names:
        sql += f"\nCLUSTERED BY {quote_identifier(cluster_by)}"
    return sql


def task_context(settings: DruidSettings, label: str) -> dict[str, Any]:
    return {
        "sqlQueryId": f"mauzo-{label}-{secrets.token_hex(4)}",
        "waitUntilSegmentsLoad": True,  # the command returns when the data is queryable
        "failOnEmptyInsert": True,  # zero rows must fail, never REPLACE the datasource with nothing
        "maxNumTasks": settings.max_num_tasks,
        "maxParseExceptions": 0,  # the rows were validated: any parse error is a bug, not noise
        "sqlTimeZone": "Etc/UTC",
    }


# -- where Druid reads the rows ----------------------------------------------------------------
class _OneFileHandler(http.server.BaseHTTPRequestHandler):
    """Serves exactly the files registered for this ingest, under a random token."""

    files: dict[str, Path] = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self.files.get(self.path)
        if path is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(path.stat().st_size))
        self.end_headers()
        with open(path, "rb") as handle:
            shutil.copyfileobj(handle, self.wfile)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        log.info("ingest file server: " + format, *args)


class _Staging:
    """Writes row files where Druid can read them and names them as Druid sees them."""

    def __init__(self, settings: DruidSettings) -> None:
        self.settings = settings
        self.token = secrets.token_hex(8)
        self._server: http.server.ThreadingHTTPServer | None = None
        if settings.ingest_method == "local":
            if not settings.ingest_dir:
                raise DruidIngestError("set the ingest directory shared with Druid (DRUID_INGEST_DIR)")
            self.directory = Path(settings.ingest_dir)
            self.directory.mkdir(parents=True, exist_ok=True)
        else:
            if not settings.ingest_http_url:
                raise DruidIngestError("set the URL Druid uses to reach this host (DRUID_INGEST_HTTP_URL)")
            self.directory = Path(tempfile.mkdtemp(prefix="mauzo-druid-"))
            host, _, port = settings.ingest_http_bind.rpartition(":")
            handler = type("Handler", (_OneFileHandler,), {"files": {}})
            self._server = http.server.ThreadingHTTPServer((host or "0.0.0.0", int(port)), handler)
            threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                             name="mauzo-ingest-http", daemon=True).start()
        self._written: list[Path] = []

    def write(self, frame: pl.DataFrame, label: str) -> dict[str, Any]:
        """Write ``frame`` as JSON lines; return the Druid input source that reads it."""
        name = f"mauzo-{label}-{self.token}.json"
        final = self.directory / name
        partial = self.directory / f".{name}.part"
        frame.write_ndjson(partial)
        os.chmod(partial, 0o644)
        os.replace(partial, final)  # Druid never sees a half-written file
        self._written.append(final)
        if self._server is not None:
            url_path = f"/{self.token}/{name}"
            self._server.RequestHandlerClass.files[url_path] = final  # type: ignore[attr-defined]
            return {"type": "http", "uris": [self.settings.ingest_http_url.rstrip("/") + url_path]}
        druid_dir = (self.settings.ingest_druid_dir or str(self.directory)).rstrip("/")
        return {"type": "local", "files": [f"{druid_dir}/{name}"]}

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Serialize ingests that share the directory (batch ids are allocated under it)."""
        if self._server is not None:
            yield
            return
        with open(self.directory / ".mauzo-ingest.lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def close(self) -> None:
        for path in self._written:
            path.unlink(missing_ok=True)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            shutil.rmtree(self.directory, ignore_errors=True)


# -- running a task ----------------------------------------------------------------------------
def _report_progress(task_id: str, status: dict[str, Any], report: dict[str, Any] | None,
                     elapsed: float) -> TaskProgress:
    rows_read = segments = None
    payload = ((report or {}).get("multiStageQuery") or {}).get("payload") or {}
    counters = payload.get("counters") or {}
    stage0 = counters.get("0") if isinstance(counters, dict) else None
    if isinstance(stage0, dict):
        rows_read = sum(sum(channel.get("rows") or [])
                        for worker in stage0.values() if isinstance(worker, dict)
                        for key, channel in worker.items() if key.startswith("input") and isinstance(channel, dict))
    waiter = (payload.get("status") or {}).get("segmentLoadWaiterStatus")
    if isinstance(waiter, dict) and waiter.get("totalSegments"):
        segments = (int(waiter.get("usedSegments") or 0), int(waiter["totalSegments"]))
    return TaskProgress(task_id, str(status.get("status") or status.get("statusCode") or "UNKNOWN"),
                        status.get("runnerStatusCode"), elapsed, rows_read, segments)


def failure_message(status: dict[str, Any], report: dict[str, Any] | None) -> str:
    """Druid's own explanation of a failed task (MSQ error report first, then the status)."""
    payload = ((report or {}).get("multiStageQuery") or {}).get("payload") or {}
    error = ((payload.get("status") or {}).get("errorReport") or {}).get("error") or {}
    message = error.get("errorMessage") or error.get("errorCode")
    return str(message or status.get("errorMsg") or "no error message from Druid")


def run_task(client: DruidClient, sql: str, context: dict[str, Any], *, timeout_s: float, poll_s: float,
             on_progress: Callable[[TaskProgress], None] | None = None) -> str:
    """Submit one SQL task and wait for it; returns its id or raises ``DruidIngestError``."""
    try:
        task_id = client.submit_task(sql, context=context)
    except DataLayerError as exc:
        raise DruidIngestError(f"Druid refused the ingestion task: {exc}") from exc
    started = time.monotonic()
    errors = 0
    while True:
        try:
            status = client.task_status(task_id)
            report = client.task_reports(task_id)
            errors = 0
        except DataLayerError as exc:
            errors += 1
            if errors >= MAX_POLL_ERRORS:
                raise DruidIngestError(f"lost contact with Druid while task {task_id} ran ({exc}); it may still "
                                       "complete: check the Druid console before retrying", task_id) from exc
            time.sleep(poll_s)
            continue
        progress = _report_progress(task_id, status, report, time.monotonic() - started)
        if on_progress is not None:
            on_progress(progress)
        if progress.status == "SUCCESS":
            return task_id
        if progress.status == "FAILED":
            message = failure_message(status, report)
            log.warning("druid task %s failed: %s", task_id, message, extra={"druidTaskId": task_id})
            raise DruidIngestError(f"Druid task {task_id} failed: {message}; nothing was changed", task_id)
        if time.monotonic() - started > timeout_s:
            with contextlib.suppress(DataLayerError):
                client.shutdown_task(task_id)
            raise DruidIngestError(f"Druid task {task_id} did not finish within {timeout_s:.0f} s and was shut "
                                   "down; nothing was changed", task_id)
        time.sleep(poll_s)


# -- the ingest --------------------------------------------------------------------------------
def _max_batch(engine: DruidEngine) -> int:
    best = 0
    for datasource in (engine.settings.history_datasource, engine.settings.datasource):
        if engine.datasource_exists(datasource):
            frame = to_frame(engine.client.sql(
                f'SELECT MAX("batch_id") AS "b" FROM {quote_identifier(datasource)}', name="max_batch"))
            best = max(best, int(frame["b"][0] or 0))
    return best


def find_duplicate(engine: DruidEngine, sha256: str) -> dict[str, Any] | None:
    """The batch of the current data that came from a file with this sha256, if any."""
    settings = engine.settings
    if not engine.datasource_exists(settings.history_datasource) or not engine.datasource_exists(settings.datasource):
        return None
    earlier = to_frame(engine.client.sql(
        f'SELECT "batch_id", "file_name" FROM {quote_identifier(settings.history_datasource)} WHERE "sha256" = ?',
        [sha256], name="duplicate_history"))
    if earlier.is_empty():
        return None
    ids = [int(b) for b in earlier["batch_id"].unique().to_list()]
    present = to_frame(engine.client.sql(
        f'SELECT DISTINCT "batch_id" AS "b" FROM {quote_identifier(settings.datasource)} '
        f'WHERE "batch_id" IN ({", ".join("?" for _ in ids)})', ids, name="duplicate_data"))
    found = set(present["b"].to_list())
    for row in earlier.iter_rows(named=True):
        if row["batch_id"] in found:
            return {"batch_id": row["batch_id"], "file_name": row["file_name"], "sha256": sha256}
    return None


def ingest_storage_frame(
    frame: pl.DataFrame,
    *,
    settings: DruidSettings,
    mode: str,
    file_name: str,
    sha256: str,
    extra: dict[str, Any] | None = None,
    refuse_duplicate: bool = False,
    on_progress: Callable[[TaskProgress], None] | None = None,
    client: DruidClient | None = None,
) -> dict[str, Any]:
    """Load an already-validated storage frame into Druid; returns the history entry.

    Raises ``DruidIngestError`` (``DruidDuplicateFile`` for a refused duplicate) when nothing was
    changed. A history row that cannot be written after a successful ingest is logged and noted in
    the entry (``history_error``); the data itself is in."""
    if mode not in ("append", "replace"):
        raise ValueError(f"mode must be append or replace, not {mode!r}")
    if frame.height == 0:
        raise DruidIngestError("no rows to ingest: nothing was sent to Druid")
    started = time.monotonic()
    engine = DruidEngine(settings, client)
    staging = _Staging(settings)
    try:
        with staging.lock():
            try:
                if refuse_duplicate and mode == "append":
                    duplicate = find_duplicate(engine, sha256)
                    if duplicate is not None:
                        raise DruidDuplicateFile(duplicate)
                batch_id = _max_batch(engine) + 1
            except DataLayerError as exc:
                raise DruidIngestError(f"cannot read the current state of Druid: {exc}") from exc
            rows = frame.with_columns(pl.lit(batch_id, dtype=pl.Int64).alias("batch_id"))
            source = staging.write(rows, f"batch{batch_id:06d}")
            sql = ingest_sql(settings.datasource, rows.schema, source, mode, time_from=time_column(rows.schema))
            task_id = run_task(engine.client, sql, task_context(settings, f"ingest-{batch_id}"),
                               timeout_s=settings.task_timeout_s, poll_s=settings.task_poll_s,
                               on_progress=on_progress)
            entry: dict[str, Any] = {
                "batch_id": batch_id,
                "ingested_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "file_name": file_name,
                "sha256": sha256,
                "rows": frame.height,
                "mode": mode,
                "data_version": None,
                "total_rows": None,
                "duration_s": None,
                "task_id": task_id,
                **(extra or {}),
            }
            try:
                entry["data_version"] = engine.read_data_version()
                total = to_frame(engine.client.sql(f'SELECT COUNT(*) AS "n" FROM {engine.table}', name="total_rows"))
                entry["total_rows"] = int(total["n"][0])
            except DataLayerError as exc:
                log.warning("ingest %s succeeded but the new state could not be read: %s", task_id, exc)
            entry["duration_s"] = round(time.monotonic() - started, 3)
            _append_history(engine, staging, entry, extra or {}, on_progress)
            return entry
    finally:
        staging.close()


def _append_history(engine: DruidEngine, staging: _Staging, entry: dict[str, Any], extra: dict[str, Any],
                    on_progress: Callable[[TaskProgress], None] | None) -> None:
    settings = engine.settings
    row = {k: entry[k] for k in ("ingested_at", "batch_id", "file_name", "sha256", "rows", "mode",
                                 "data_version", "total_rows", "duration_s", "task_id")}
    row["extra"] = json.dumps(extra, sort_keys=True, default=str)
    history = pl.DataFrame([row], schema={
        "ingested_at": pl.String, "batch_id": pl.Int64, "file_name": pl.String, "sha256": pl.String,
        "rows": pl.Int64, "mode": pl.String, "data_version": pl.String, "total_rows": pl.Int64,
        "duration_s": pl.Float64, "task_id": pl.String, "extra": pl.String,
    })
    source = staging.write(history, f"history{entry['batch_id']:06d}")
    sql = ingest_sql(settings.history_datasource, history.schema, source, "append", time_from="ingested_at",
                     partitioned_by="YEAR", cluster_by=None)
    try:
        run_task(engine.client, sql, task_context(settings, f"history-{entry['batch_id']}"),
                 timeout_s=settings.task_timeout_s, poll_s=settings.task_poll_s, on_progress=on_progress)
    except DruidIngestError as exc:
        log.error("ingest %s succeeded but its history row was not written: %s", entry["task_id"], exc)
        entry["history_error"] = str(exc)
