"""A local HTTP server that speaks the parts of Druid's API Mauzo uses, for protocol tests.

It is not Druid: it answers SQL with whatever the test scripted, records every request exactly as
received, and runs SQL tasks through scripted states. What it does for real is what the protocol
promises on Druid's side: it reads the rows an ingestion task points at (a ``local`` file or an
``http`` URI, as Druid's middleManager would) while the task runs, and it shapes ``arrayLines``
responses the way Druid's ``ArrayLinesWriter`` does (three header lines, one JSON array per row,
a final blank line), so truncation can be produced on purpose.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def basic_auth(self) -> tuple[str, str] | None:
        value = self.headers.get("authorization", "")
        if not value.startswith("Basic "):
            return None
        user, _, password = base64.b64decode(value[6:]).decode().partition(":")
        return user, password


@dataclass
class Reply:
    """How the server answers one request."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    delay_s: float = 0.0  # before the status line (a slow planner)
    stall_after: int | None = None  # send this many body bytes, then go silent for stall_s
    stall_s: float = 0.0
    cut_after: int | None = None  # send this many body bytes, then drop the connection
    chunked: bool = False


def array_lines(columns: list[str], druid_types: list[str], sql_types: list[str], rows: list[list[Any]],
                *, complete: bool = True) -> bytes:
    """A body as Druid's ArrayLinesWriter writes it (``complete=False``: cut before the end line)."""
    lines = [columns, druid_types, sql_types, *rows]
    body = "\n".join(json.dumps(line, separators=(",", ":")) for line in lines).encode()
    return body + (b"\n\n" if complete else b"")


def sql_reply(columns: list[tuple[str, str, str]], rows: list[list[Any]]) -> Reply:
    """A 200 ``arrayLines`` reply for columns given as (name, druid type, sql type)."""
    names, druid_types, sql_types = (list(part) for part in zip(*columns, strict=True))
    return Reply(body=array_lines(names, druid_types, sql_types, rows), content_type="text/plain")


def error_reply(status: int, error: str, message: str, category: str = "RUNTIME_FAILURE",
                code: str = "general") -> Reply:
    """An error body in Druid's current shape (``DruidException`` rendered by ``ErrorResponse``)."""
    body = {"error": error, "errorCode": code, "persona": "USER", "category": category,
            "errorMessage": message, "context": {}}
    return Reply(status=status, body=json.dumps(body).encode())


@dataclass
class Task:
    """A submitted SQL task and the states it reports, one per status poll (the last repeats)."""

    task_id: str
    request: dict[str, Any]
    states: list[str]
    failure: dict[str, Any] | None = None
    polls: int = 0
    rows_read: list[dict[str, Any]] = field(default_factory=list)
    read_error: str | None = None
    shut_down: bool = False

    @property
    def state(self) -> str:
        return self.states[min(self.polls, len(self.states) - 1)]


_EXTERN_SOURCE = re.compile(r"EXTERN\('((?:[^']|'')*)'")


class FakeDruid:
    """Start with ``with FakeDruid() as druid:``; point a client at ``druid.url``."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.sql: Callable[[dict[str, Any]], Reply] = lambda body: error_reply(
            400, "druidException", "no scripted answer", "INVALID_INPUT", "invalidInput")
        self.health_reply: Reply = Reply(body=b"true")
        self.status_reply: Reply = Reply(body=json.dumps({"version": "35.0.1", "modules": []}).encode())
        self.task_states: list[str] = ["RUNNING", "SUCCESS"]
        self.task_failure: dict[str, Any] | None = None
        self.reports_missing_polls = 1  # the report endpoint answers 404 while a task starts
        self.tasks: dict[str, Task] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeDruid:
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, answers: dict[str, Reply | Callable[[dict[str, Any]], Reply]]) -> None:
        """Answer SQL by the first key found in the query text (a reply, or a function of the body)."""
        def sql(body: dict[str, Any]) -> Reply:
            for key, reply in answers.items():
                if key in body["query"]:
                    return reply(body) if callable(reply) else reply
            return error_reply(400, "druidException", f"no scripted answer for {body['query'][:80]}",
                               "INVALID_INPUT", "invalidInput")
        self.sql = sql

    def queries(self) -> list[dict[str, Any]]:
        """The JSON bodies of every SQL query received, in order."""
        return [r.json for r in self.of("POST", "/druid/v2/sql") if r.path == "/druid/v2/sql"]

    def of(self, method: str, path_prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    # -- tasks -------------------------------------------------------------------------------
    def _submit(self, body: dict[str, Any]) -> Reply:
        task_id = "query-" + str(body.get("context", {}).get("sqlQueryId", len(self.tasks)))
        with self._lock:
            self.tasks[task_id] = Task(task_id, body, list(self.task_states), self.task_failure)
        return Reply(body=json.dumps({"taskId": task_id, "state": "RUNNING"}).encode())

    def _read_input(self, task: Task) -> None:
        """What a middleManager does while the task runs: read the rows the EXTERN names."""
        match = _EXTERN_SOURCE.search(task.request["query"])
        if match is None:
            task.read_error = "no EXTERN input source"
            return
        source = json.loads(match.group(1).replace("''", "'"))
        try:
            if source["type"] == "local":
                texts = [open(path, encoding="utf-8").read() for path in source["files"]]
            else:
                texts = [urllib.request.urlopen(uri, timeout=5).read().decode() for uri in source["uris"]]
        except OSError as exc:
            task.read_error = f"{type(exc).__name__}: {exc}"
            return
        task.rows_read = [json.loads(line) for text in texts for line in text.splitlines() if line]

    def _status(self, task_id: str) -> Reply:
        task = self.tasks.get(task_id)
        if task is None:
            return error_reply(404, "druidException", f"task {task_id} not found", "NOT_FOUND", "notFound")
        with self._lock:
            if task.polls == 0:
                self._read_input(task)
            state = "FAILED" if task.shut_down else task.state
            task.polls += 1
        status = {"id": task_id, "status": state, "statusCode": state,
                  "runnerStatusCode": "RUNNING" if state == "RUNNING" else "NONE", "duration": -1,
                  "errorMsg": (task.failure or {}).get("errorMsg") if state == "FAILED" else None}
        return Reply(body=json.dumps({"task": task_id, "status": status}).encode())

    def _reports(self, task_id: str) -> Reply:
        task = self.tasks.get(task_id)
        if task is None or task.polls <= self.reports_missing_polls:
            return error_reply(404, "druidException", "no report yet", "NOT_FOUND", "notFound")
        state = "FAILED" if task.shut_down else task.state
        status: dict[str, Any] = {"status": state}
        if state == "FAILED" and task.failure:
            status["errorReport"] = {"taskId": task_id, "error": task.failure.get("error", {})}
        if state == "SUCCESS":
            status["segmentLoadWaiterStatus"] = {"state": "SUCCESS", "totalSegments": 3, "usedSegments": 3}
        counters = {"0": {"0": {"input0": {"type": "channel", "rows": [len(task.rows_read)]}}}}
        report = {"multiStageQuery": {"type": "multiStageQuery", "taskId": task_id,
                                      "payload": {"status": status, "counters": counters}}}
        return Reply(body=json.dumps(report).encode())

    def _shutdown(self, task_id: str) -> Reply:
        task = self.tasks.get(task_id)
        if task is not None:
            task.shut_down = True
        return Reply(body=json.dumps({"task": task_id}).encode())

    # -- routing -------------------------------------------------------------------------------
    def route(self, recorded: Recorded) -> Reply:
        method, path = recorded.method, recorded.path
        if method == "POST" and path == "/druid/v2/sql":
            return self.sql(recorded.json)
        if method == "POST" and path == "/druid/v2/sql/task":
            return self._submit(recorded.json)
        task = re.fullmatch(r"/druid/indexer/v1/task/([^/]+)/(status|reports|shutdown)", path)
        if task:
            task_id = urllib.request.unquote(task.group(1))
            return {"status": self._status, "reports": self._reports, "shutdown": self._shutdown}[task.group(2)](
                task_id)
        if method == "GET" and path == "/status/health":
            return self.health_reply
        if method == "GET" and path == "/status":
            return self.status_reply
        return error_reply(404, "druidException", f"no route {path}", "NOT_FOUND", "notFound")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                recorded = Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                                    self.rfile.read(length) if length else b"")
                with fake._lock:
                    fake.requests.append(recorded)
                reply = fake.route(recorded)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                if reply.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                else:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                body = reply.body
                if reply.stall_after is not None:
                    self._write(body[: reply.stall_after], reply.chunked)
                    self.wfile.flush()
                    time.sleep(reply.stall_s)
                    body = body[reply.stall_after:]
                if reply.cut_after is not None:
                    self._write(body[: reply.cut_after], reply.chunked)
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                self._write(body, reply.chunked)
                if reply.chunked:
                    self.wfile.write(b"0\r\n\r\n")

            def _write(self, data: bytes, chunked: bool) -> None:
                if not data:
                    return
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n" if chunked else data)

            do_GET = do_POST = do_DELETE = _serve  # noqa: N815 - http.server's naming

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        return Handler


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
