"""Request ids and structured request logs for every request (pages, callbacks and API).

Why here and not in the API: Dash callbacks run queries too, and an operator chasing a slow
chart needs the same id in the log line, in the response header and in the engine's SQL tag.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from flask import Flask, Response, g, request
from flask.logging import default_handler

from app.logging_config import REQUEST_LOGGER, configure_logging
from data.context import request_id_var, safe_request_id
from data.service import RequestStats, request_stats_var

REQUEST_ID_HEADER = "X-Request-ID"

log = logging.getLogger(REQUEST_LOGGER)


def new_request_id(incoming: str | None) -> str:
    """The caller's id when it is sane (length and charset), else a fresh UUID4."""
    return safe_request_id(incoming) or str(uuid.uuid4())


def current_stats() -> RequestStats | None:
    """Queries the current request ran so far (None outside a request)."""
    return g.get("mauzo_stats")


def elapsed_ms() -> float:
    """Milliseconds since this request started (0 outside a request)."""
    started = g.get("mauzo_started")
    return round((time.perf_counter() - started) * 1000, 1) if started is not None else 0.0


def _start_request() -> None:
    g.mauzo_started = time.perf_counter()
    g.request_id = new_request_id(request.headers.get(REQUEST_ID_HEADER))
    g.mauzo_stats = RequestStats()
    g.mauzo_tokens = (request_id_var.set(g.request_id), request_stats_var.set(g.mauzo_stats))


def _callback_name() -> str | None:
    """For Dash callback requests, the output they update (Dash has already parsed the body)."""
    if not request.path.endswith("_dash-update-component"):
        return None
    body = request.get_json(silent=True)
    output = body.get("output") if isinstance(body, dict) else None
    return str(output)[:200] if output else None


def _finish_request(response: Response) -> Response:
    request_id = g.get("request_id") or new_request_id(None)
    response.headers[REQUEST_ID_HEADER] = request_id
    stats = current_stats()
    fields: dict[str, Any] = {
        "requestId": request_id,
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "durationMs": elapsed_ms(),
        "cached": bool(g.get("mauzo_response_cached") or (stats and stats.all_cached)),
        "queries": len(stats.queries) if stats else 0,
        "rows": g.get("mauzo_rows"),
    }
    callback = _callback_name()
    if callback:
        fields["callback"] = callback
    log.info("%s %s %s", request.method, request.path, response.status_code, extra=fields)
    return response


def _end_request(_exc: BaseException | None) -> None:
    tokens = g.pop("mauzo_tokens", None)
    if tokens:
        request_id_var.reset(tokens[0])
        request_stats_var.reset(tokens[1])


def init_observability(server: Flask) -> None:
    """Install JSON logging and the request-id hooks; runs before any other request hook."""
    configure_logging()
    server.logger.removeHandler(default_handler)
    server.before_request(_start_request)
    server.after_request(_finish_request)
    server.teardown_request(_end_request)
