"""Every failure under ``/api`` becomes an error envelope, never an HTML page.

Why both blueprint and app-level handlers: errors in our views reach the blueprint's handlers,
but an unknown method or path is rejected by the router before any blueprint is chosen.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException, InternalServerError

from app.api.auth import Unauthorized
from app.api.envelope import envelope, json_response
from app.logging_config import ERROR_LOGGER
from data.errors import DataLayerError, EngineUnavailable, InvalidFilter, QueryFailed, QueryTimeout

API_PREFIX = "/api"

log = logging.getLogger(ERROR_LOGGER)

HTTP_CODES: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    503: "ENGINE_UNAVAILABLE",
    504: "QUERY_TIMEOUT",
}
QUERY_FAILED = "QUERY_FAILED"

ENGINE_MESSAGE = "the data store is unavailable or holds no data yet; try again after the next ingest"


def error_response(status: int, code: str, message: str, details: dict[str, str] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    error = {"code": code, "message": message, "details": details or {}}
    return json_response(envelope(None, None, 0, error=error), status=status, headers=headers)


def _internal(exc: BaseException | None, code: str = "INTERNAL") -> Response:
    """500 with the request id and nothing else: exception text may hold SQL or paths."""
    request_id = g.get("request_id")
    if exc is not None:
        log.error("unhandled error on %s %s", request.method, request.path, exc_info=exc,
                  extra={"requestId": request_id})
    return error_response(500, code, f"internal error; quote request id {request_id} when reporting it")


def handle_api_error(exc: BaseException) -> Response:
    """Map any exception raised while serving ``/api`` to its envelope and status."""
    if isinstance(exc, InvalidFilter):
        return error_response(400, exc.code, str(exc), dict(exc.details))
    if isinstance(exc, Unauthorized):
        return error_response(401, "UNAUTHENTICATED", str(exc),
                              headers={"WWW-Authenticate": 'Bearer realm="mauzo"'})
    if isinstance(exc, EngineUnavailable):
        log.warning("engine unavailable: %s", exc, extra={"requestId": g.get("request_id")})
        return error_response(503, exc.code, ENGINE_MESSAGE)
    if isinstance(exc, QueryTimeout):
        log.warning("query timed out: %s", exc, extra={"requestId": g.get("request_id")})
        return error_response(504, "QUERY_TIMEOUT", f"the query took too long; narrow the filters or try again "
                                                    f"(request id {g.get('request_id')})")
    if isinstance(exc, QueryFailed):
        return _internal(exc, QUERY_FAILED)  # the engine's own message stays in the log
    if isinstance(exc, DataLayerError):
        return _internal(exc)
    if isinstance(exc, InternalServerError):
        return _internal(None)  # Flask has already logged the original exception
    if isinstance(exc, HTTPException) and exc.code and exc.code < 500:
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        code = HTTP_CODES.get(exc.code, "INVALID_ARGUMENT" if exc.code < 500 else "INTERNAL")
        return error_response(exc.code, code, exc.description or exc.name, headers=headers)
    return _internal(exc)


def _app_level(exc: HTTPException) -> Response | HTTPException:
    """Envelope for ``/api`` paths; the default page for everything else (Dash owns those)."""
    if request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/"):
        return handle_api_error(exc)
    return exc


def install_app_handlers(server: Flask) -> None:
    """Router-level errors (unknown method, failures outside our views) for ``/api`` paths."""
    server.register_error_handler(HTTPException, _app_level)
    server.register_error_handler(InternalServerError, _app_level)
