"""A small HTTP client for Druid's SQL, SQL-task and status APIs.

Why our own client: pydruid's DB-API cursor (0.6.9) interpolates escaped values into the SQL text
on the client and never sends Druid's ``parameters``. Here every value travels as a typed dynamic
parameter, so no filter value ever reaches SQL text.

What a query request looks like (see ``build_sql_request``):
- ``parameters``: one ``{"type", "value"}`` per ``?``, typed from the Python value
  (``druid_parameter``); an IN list is one parameter per element, as the compiler emits it;
- ``resultFormat: arrayLines`` with ``header``, ``typesHeader`` and ``sqlTypesHeader``: three
  header lines (names, Druid types, SQL types), one JSON array per row, then a blank line. A
  response without that final blank line was cut off mid-stream and is an error, never a short
  result;
- ``context``: ``sqlQueryId`` derived from the request id, ``timeout`` (ms), ``sqlTimeZone`` UTC and
  the exact/approximate switches of ``druid_dialect``.

Errors are typed: no connection -> ``EngineUnavailable``; Druid's timeout (or no answer in time)
-> ``QueryTimeout``; any other error body -> ``QueryFailed``. Druid's own message goes to the log
(logger ``mauzo.druid``) with the query id, never into the exception text users may see.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
import re
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests
from urllib3.exceptions import ReadTimeoutError

from data.context import current_request_id, safe_request_id
from data.engines.druid_dialect import APPROXIMATE_CONTEXT, EXACT_CONTEXT
from data.errors import EngineUnavailable, QueryFailed, QueryTimeout

log = logging.getLogger("mauzo.druid")

SQL_PATH = "/druid/v2/sql"
SQL_TASK_PATH = "/druid/v2/sql/task"
TASK_PATH = "/druid/indexer/v1/task"
HEALTH_PATH = "/status/health"
STATUS_PATH = "/status"

RESULT_FORMAT = "arrayLines"
HEADER_LINES = 3  # names, Druid runtime types, SQL types
END_OF_RESPONSE = b"\n\n"  # ArrayLinesWriter ends every complete response with a blank line
# Seconds the HTTP read may outlast Druid's own timeout (at most doubling it), so that Druid
# reports its timeout itself rather than the socket.
TIMEOUT_GRACE_S = 5.0
MAX_ERROR_BODY = 64 * 1024

_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_DATASOURCE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_QUERY_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._:-]")


@dataclass(frozen=True)
class DruidSettings:
    """How to reach Druid and load data into it. Built by the caller (``app.config`` wires env
    vars); this module never reads ``os.environ``. ``from_mapping`` documents the proposed names."""

    url: str  # the Router (or a Broker), e.g. http://router:8888
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    datasource: str = "sales_analytics"
    timeout_s: float = 30.0  # Druid's query timeout (context ``timeout``); app.config defaults it to 30 too
    connect_timeout_s: float = 3.0
    approximate: bool = False  # exact distinct counts and TopN unless set (see druid_dialect)
    version_ttl_s: float = 2.0  # how long a host reuses the data version it read from sys.segments
    # Ingest: where Druid reads the validated rows from (see druid_ingest).
    ingest_method: str = "local"  # "local": a directory shared with the Druid services; "http": Mauzo serves it
    ingest_dir: str | None = None  # that directory as Mauzo sees it
    ingest_druid_dir: str | None = None  # ... and as Druid's middleManager sees it (default: the same path)
    ingest_http_bind: str = "0.0.0.0:8765"  # http method: where Mauzo listens while a task reads
    ingest_http_url: str | None = None  # http method: that listener's base URL as Druid reaches it
    task_timeout_s: float = 3600.0
    task_poll_s: float = 2.0
    max_num_tasks: int = 2  # MSQ controller + one worker

    def __post_init__(self) -> None:
        if not re.match(r"^https?://[^/\s]+", self.url or ""):
            raise ValueError(f"Druid URL must be http(s)://host[:port], not {self.url!r}")
        object.__setattr__(self, "url", self.url.rstrip("/"))
        for name in (self.datasource, self.history_datasource):
            if not _DATASOURCE.match(name):
                raise ValueError(f"datasource names are letters, digits and _: {name!r}")
        if self.timeout_s <= 0 or self.connect_timeout_s <= 0 or self.task_timeout_s <= 0:
            raise ValueError("timeouts must be positive")
        if self.ingest_method not in ("local", "http"):
            raise ValueError(f"ingest method must be local or http, not {self.ingest_method!r}")
        if self.max_num_tasks < 2:
            raise ValueError("SQL-based ingestion needs at least 2 tasks (controller + worker)")

    @property
    def history_datasource(self) -> str:
        """Where ingest history lives, so every app host reads the same list."""
        return f"{self.datasource}_ingests"

    @property
    def auth(self) -> tuple[str, str] | None:
        return (self.user, self.password or "") if self.user else None

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> DruidSettings:
        """Settings from a mapping of the proposed variable names (pass ``os.environ`` or a dict)."""
        def text(key: str) -> str | None:
            value = env.get(key, "").strip()
            return value or None

        def number(key: str, default: float) -> float:
            value = text(key)
            return float(value) if value else default

        return cls(
            url=text("DRUID_URL") or "",
            user=text("DRUID_USER"),
            password=env.get("DRUID_PASSWORD") or None,
            datasource=text("DRUID_DATASOURCE") or "sales_analytics",
            timeout_s=number("DRUID_TIMEOUT_S", 30.0),
            connect_timeout_s=number("DRUID_CONNECT_TIMEOUT_S", 3.0),
            approximate=(text("DRUID_APPROXIMATE") or "").lower() in ("1", "true", "yes"),
            version_ttl_s=number("DRUID_VERSION_TTL_S", 2.0),
            ingest_method=(text("DRUID_INGEST_METHOD") or "local").lower(),
            ingest_dir=text("DRUID_INGEST_DIR"),
            ingest_druid_dir=text("DRUID_INGEST_DRUID_DIR"),
            ingest_http_bind=text("DRUID_INGEST_HTTP_BIND") or "0.0.0.0:8765",
            ingest_http_url=text("DRUID_INGEST_HTTP_URL"),
            task_timeout_s=number("DRUID_TASK_TIMEOUT_S", 3600.0),
            max_num_tasks=int(number("DRUID_MAX_NUM_TASKS", 2)),
        )


# -- parameters ------------------------------------------------------------------------------
def _timestamp_text(value: dt.datetime) -> str:
    """ISO-8601 in UTC with milliseconds; naive datetimes are taken as UTC."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _scalar(value: Any) -> tuple[str, Any]:
    if value is None:
        return "VARCHAR", None  # Druid binds a typed null as SQL NULL
    if isinstance(value, bool):
        return "BOOLEAN", value
    if isinstance(value, int):
        if not _LONG_MIN <= value <= _LONG_MAX:
            raise TypeError(f"integer parameter out of BIGINT range: {value}")
        return "BIGINT", value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError("NaN and infinite parameters cannot be sent to Druid")
        return "DOUBLE", value
    if isinstance(value, str):
        return "VARCHAR", value
    if isinstance(value, dt.datetime):
        return "TIMESTAMP", _timestamp_text(value)
    if isinstance(value, dt.date):
        # A sale date is stored as midnight UTC in __time, so a date binds as that instant.
        return "TIMESTAMP", f"{value.isoformat()}T00:00:00.000Z"
    raise TypeError(f"no Druid parameter type for {type(value).__name__}")


def druid_parameter(value: Any) -> dict[str, Any]:
    """One typed dynamic parameter: ``{"type": <Avatica SqlType name>, "value": <JSON value>}``.

    str -> VARCHAR, int -> BIGINT, float -> DOUBLE, bool -> BOOLEAN, date/datetime -> TIMESTAMP (UTC),
    None -> VARCHAR null, list/tuple -> ARRAY (for ``SCALAR_IN_ARRAY``; the compiler does not emit
    it today). Anything else (Decimal, bytes...) raises ``TypeError`` rather than being guessed."""
    if isinstance(value, list | tuple):
        items = [_scalar(v) for v in value]
        if any(kind == "TIMESTAMP" for kind, _ in items):
            raise TypeError("ARRAY parameters hold strings or numbers only")
        return {"type": "ARRAY", "value": [v for _, v in items]}
    kind, wire = _scalar(value)
    return {"type": kind, "value": wire}


def query_id(name: str) -> str:
    """A fresh Druid ``sqlQueryId`` that starts with the request id (so logs join up) and is unique
    per query (Druid cancels every query sharing an id)."""
    request_id = safe_request_id(current_request_id()) or "mauzo"
    return f"{request_id}:{_QUERY_ID_UNSAFE.sub('_', name)[:64]}:{secrets.token_hex(4)}"


# -- results ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class SqlResult:
    """Rows of one SQL query with the column names and types Druid reported."""

    columns: list[str]
    druid_types: list[str]
    sql_types: list[str]
    rows: list[list[Any]]
    query_id: str


def parse_array_lines(body: bytes, query_id_: str) -> SqlResult:
    """Parse an ``arrayLines`` body with three header lines; raise ``QueryFailed`` if truncated."""
    if not body.endswith(END_OF_RESPONSE):
        raise QueryFailed(f"Druid's response to query {query_id_} was cut off (no end-of-results line)")
    lines = body[: -len(END_OF_RESPONSE)].split(b"\n")
    try:
        parsed = [json.loads(line) for line in lines if line]
    except ValueError as exc:
        raise QueryFailed(f"Druid's response to query {query_id_} is not valid arrayLines") from exc
    if len(parsed) < HEADER_LINES or not all(isinstance(p, list) for p in parsed):
        raise QueryFailed(f"Druid's response to query {query_id_} lacks the column header")
    columns, druid_types, sql_types = parsed[0], parsed[1], parsed[2]
    if not len(columns) == len(druid_types) == len(sql_types):
        raise QueryFailed(f"Druid's response to query {query_id_} has an inconsistent header")
    rows = parsed[HEADER_LINES:]
    if any(len(row) != len(columns) for row in rows):
        raise QueryFailed(f"Druid's response to query {query_id_} has rows of the wrong width")
    return SqlResult(columns, druid_types, sql_types, rows, query_id_)


# -- errors ----------------------------------------------------------------------------------
def _error_fields(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body[:MAX_ERROR_BODY])
    except ValueError:
        return {"errorMessage": body[:500].decode("utf-8", "replace")}
    return parsed if isinstance(parsed, dict) else {"errorMessage": str(parsed)[:500]}


def _is_timeout(status: int, fields: Mapping[str, Any]) -> bool:
    context = fields.get("context") if isinstance(fields.get("context"), dict) else {}
    codes = {str(fields.get(k, "")).lower() for k in ("error", "errorCode", "category")}
    codes.add(str(context.get("legacyErrorCode", "")).lower())
    return status == 504 or bool(codes & {"query timeout", "timeout"})


def error_for(status: int, body: bytes, what: str, druid_query_id: str | None) -> Exception:
    """The typed error for a non-200 answer; Druid's own message is logged, not returned."""
    fields = _error_fields(body)
    log.warning(
        "druid answered HTTP %s to %s: %s", status, what, fields.get("errorMessage") or fields.get("error"),
        extra={"druidQueryId": druid_query_id, "druidStatus": status, "druidError": fields.get("error"),
               "druidErrorCode": fields.get("errorCode"), "druidCategory": fields.get("category")},
    )
    if _is_timeout(status, fields):
        return QueryTimeout(f"Druid timed out running {what}")
    if status in (502, 503):
        return EngineUnavailable(f"Druid cannot serve {what} right now (HTTP {status})")
    code = fields.get("errorCode") or fields.get("error") or "error"
    return QueryFailed(f"Druid rejected {what} (HTTP {status}, {code})")


# -- the client ------------------------------------------------------------------------------
class DruidClient:
    """Talks to one Druid Router. Thread-safe: one ``requests.Session`` per thread and process."""

    def __init__(self, settings: DruidSettings) -> None:
        self.settings = settings
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None or getattr(self._local, "pid", None) != os.getpid():
            session = requests.Session()
            session.auth = self.settings.auth
            session.headers["User-Agent"] = "mauzo"
            self._local.session, self._local.pid = session, os.getpid()
        return session

    def _timeouts(self, read_s: float | None = None) -> tuple[float, float]:
        timeout = self.settings.timeout_s
        return self.settings.connect_timeout_s, read_s or timeout + min(TIMEOUT_GRACE_S, timeout)

    def _request(self, method: str, path: str, what: str, *, json_body: Any = None, stream: bool = False,
                 read_s: float | None = None, druid_query_id: str | None = None,
                 missing_ok: bool = False) -> requests.Response | None:
        """Send one request; any answer but 200 becomes a typed error (or None for a 404 when
        ``missing_ok``)."""
        try:
            response = self._session().request(method, self.settings.url + path, json=json_body, stream=stream,
                                               timeout=self._timeouts(read_s))
        except requests.ConnectTimeout as exc:
            raise EngineUnavailable(f"Druid at {self.settings.url} did not accept a connection") from exc
        except requests.ReadTimeout as exc:
            log.warning("druid did not answer %s in time", what, extra={"druidQueryId": druid_query_id})
            raise QueryTimeout(f"Druid did not answer {what} in time") from exc
        except requests.ConnectionError as exc:
            raise EngineUnavailable(f"cannot reach Druid at {self.settings.url}") from exc
        except requests.RequestException as exc:
            raise EngineUnavailable(f"cannot talk to Druid at {self.settings.url}: {type(exc).__name__}") from exc
        if response.status_code == 200:
            return response
        try:
            body = response.raw.read(MAX_ERROR_BODY, decode_content=True) if stream else response.content
        except Exception:  # a broken error body must not hide the status
            body = b""
        finally:
            response.close()
        if missing_ok and response.status_code == 404:
            return None
        raise error_for(response.status_code, body or b"", what, druid_query_id)

    def _read_body(self, response: requests.Response, what: str, druid_query_id: str) -> bytes:
        """The whole body; a connection cut mid-stream is an error, a stall a timeout."""
        chunks: list[bytes] = []
        try:
            for chunk in response.iter_content(chunk_size=256 * 1024):
                chunks.append(chunk)
        except requests.ConnectionError as exc:
            # requests wraps a read timeout inside iter_content in a ConnectionError.
            if any(isinstance(arg, ReadTimeoutError) for arg in exc.args):
                log.warning("druid stalled sending %s", what, extra={"druidQueryId": druid_query_id})
                raise QueryTimeout(f"Druid stopped sending {what}") from exc
            raise QueryFailed(f"Druid's response to {what} was cut off") from exc
        except requests.RequestException as exc:  # ChunkedEncodingError, ContentDecodingError...
            raise QueryFailed(f"Druid's response to {what} was cut off") from exc
        finally:
            response.close()
        return b"".join(chunks)

    # -- SQL ---------------------------------------------------------------------------------
    def query_context(self, druid_query_id: str, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        context: dict[str, Any] = {
            "sqlQueryId": druid_query_id,
            "timeout": int(self.settings.timeout_s * 1000),
            "sqlTimeZone": "Etc/UTC",
            **(APPROXIMATE_CONTEXT if self.settings.approximate else EXACT_CONTEXT),
        }
        context.update(extra or {})
        return context

    def build_sql_request(self, sql: str, params: Sequence[Any] = (), *, druid_query_id: str,
                          context: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The JSON body of ``POST /druid/v2/sql`` (pure: tests and docs show it as is)."""
        return {
            "query": sql,
            "parameters": [druid_parameter(v) for v in params],
            "resultFormat": RESULT_FORMAT,
            "header": True,
            "typesHeader": True,
            "sqlTypesHeader": True,
            "context": self.query_context(druid_query_id, context),
        }

    def sql(self, sql: str, params: Sequence[Any] = (), *, name: str = "query",
            context: Mapping[str, Any] | None = None) -> SqlResult:
        """Run one SELECT and return all its rows (raises the typed errors above)."""
        druid_query_id = query_id(name)
        body = self.build_sql_request(sql, params, druid_query_id=druid_query_id, context=context)
        what = f"query {name} ({druid_query_id})"
        response = self._request("POST", SQL_PATH, what, json_body=body, stream=True,
                                 druid_query_id=druid_query_id)
        assert response is not None
        return parse_array_lines(self._read_body(response, what, druid_query_id), druid_query_id)

    # -- tasks (SQL-based ingestion) ---------------------------------------------------------
    def submit_task(self, sql: str, params: Sequence[Any] = (), *, context: Mapping[str, Any]) -> str:
        """``POST /druid/v2/sql/task``; returns the controller task id."""
        body = {"query": sql, "parameters": [druid_parameter(v) for v in params], "context": dict(context)}
        answer = self._json("POST", SQL_TASK_PATH, "the ingestion task", body)
        task_id = answer.get("taskId") if isinstance(answer, dict) else None
        if not task_id:
            raise QueryFailed("Druid accepted the ingestion task but returned no task id")
        return str(task_id)

    def task_status(self, task_id: str) -> dict[str, Any]:
        answer = self._json("GET", f"{TASK_PATH}/{_path_part(task_id)}/status", f"task {task_id} status")
        status = answer.get("status") if isinstance(answer, dict) else None
        if not isinstance(status, dict):
            raise QueryFailed(f"Druid returned no status for task {task_id}")
        return status

    def task_reports(self, task_id: str) -> dict[str, Any] | None:
        """The MSQ report, or None while the task starts (Druid answers 404 then)."""
        answer = self._json("GET", f"{TASK_PATH}/{_path_part(task_id)}/reports", f"task {task_id} reports",
                            missing_ok=True)
        return answer if isinstance(answer, dict) else None

    def shutdown_task(self, task_id: str) -> None:
        self._json("POST", f"{TASK_PATH}/{_path_part(task_id)}/shutdown", f"task {task_id} shutdown")

    # -- status ------------------------------------------------------------------------------
    def health(self) -> bool:
        """``GET /status/health`` on the Router: liveness only."""
        return self._json("GET", HEALTH_PATH, "the health check") is True

    def status(self) -> dict[str, Any]:
        """``GET /status``: the Druid version and loaded modules."""
        answer = self._json("GET", STATUS_PATH, "the status check")
        return answer if isinstance(answer, dict) else {}

    def _json(self, method: str, path: str, what: str, body: Any = None, missing_ok: bool = False) -> Any:
        response = self._request(method, path, what, json_body=body, read_s=self.settings.timeout_s,
                                 missing_ok=missing_ok)
        if response is None:
            return None
        try:
            return response.json() if response.content else None
        except ValueError as exc:
            raise QueryFailed(f"Druid's answer to {what} is not JSON") from exc
        finally:
            response.close()


def _path_part(value: str) -> str:
    """Task ids come from Druid; still, never let one change the path."""
    return requests.utils.quote(value, safe="")
