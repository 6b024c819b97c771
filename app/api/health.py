"""Open routes: health checks, the OpenAPI document and the ``/api`` catch-all.

Why a catch-all: Dash serves its page shell for any unknown GET path, so without it
``GET /api/typo`` would answer 200 with HTML instead of a 404 envelope.
"""

from __future__ import annotations

from flask import Response, current_app, request
from werkzeug.exceptions import MethodNotAllowed, NotFound

from app.api import status
from app.api.blueprint import api
from app.api.envelope import envelope, json_response
from app.api.errors import ENGINE_MESSAGE
from app.api.openapi import openapi_document

ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


def _store_response(report: dict) -> Response:
    """200 with the report, or 503 ``ENGINE_UNAVAILABLE`` (report included) when unreachable."""
    if report["reachable"] is False:
        error = {"code": "ENGINE_UNAVAILABLE", "message": ENGINE_MESSAGE, "details": {}}
        return json_response(envelope(report, None, 1, error=error), status=503)
    return json_response(envelope(report, None, 1))


@api.get("/health")
def health() -> Response:
    """Liveness plus the cache's state. A degraded cache degrades the status but never the HTTP
    code: the app still answers, only slower."""
    cache = status.cache_status(current_app)
    data = {"status": "ok" if cache["healthy"] else "degraded", "app": status.app_info(), "cache": cache}
    return json_response(envelope(data, None, 1))


@api.get("/health/db")
def health_db() -> Response:
    return _store_response(status.store_status())


@api.get("/health/druid")
def health_druid() -> Response:
    return _store_response(status.druid_status())


@api.get("/openapi.json")
def openapi() -> Response:
    """The raw OpenAPI document (not enveloped: tools such as schemathesis load it directly)."""
    return json_response(openapi_document())


def _real_methods(path: str) -> set[str]:
    """Methods that routes other than the catch-all serve at ``path``."""
    return {
        method
        for rule in current_app.url_map.iter_rules()
        if rule.rule == path and rule.endpoint != not_found_endpoint()
        for method in (rule.methods or ())
    }


def not_found_endpoint() -> str:
    return f"{api.name}.{not_found.__name__}"


@api.route("", methods=ANY_METHOD)
@api.route("/", methods=ANY_METHOD)
@api.route("/<path:_rest>", methods=ANY_METHOD)
def not_found(_rest: str = "") -> Response:
    """405 when the path exists for other methods, else 404 (both as envelopes)."""
    allowed = _real_methods(request.path)
    if allowed:
        raise MethodNotAllowed(valid_methods=sorted(allowed))
    raise NotFound(f"no API route {request.path[:200]}; see /api/openapi.json")


@api.after_request
def honest_allow_header(response: Response) -> Response:
    """Flask answers OPTIONS with every method of every rule matching the path, which includes the
    catch-all's; advertise only what the path really serves."""
    if request.method == "OPTIONS":
        allowed = _real_methods(request.path)
        if allowed:
            response.headers["Allow"] = ", ".join(sorted(allowed | {"OPTIONS"}))
    return response
