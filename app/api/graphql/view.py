"""``/api/graphql``: strawberry's Flask view inside the ``/api`` blueprint, with REST's guarantees.

Why a nested blueprint: every hook of the ``api`` blueprint (bearer tokens today, token scopes
later) runs before a GraphQL query exactly as before a REST route, while errors raised here still
answer in GraphQL's shape (``data``, ``errors``, ``extensions``) instead of REST's envelope.

What REST's envelope says, GraphQL says in ``extensions`` (see docs/graphql.md): the request id,
whether every query was served from the result cache, the duration; each error carries REST's code
(``errors[].extensions.code``) and, for a bad argument, REST's ``details``. Internal messages never
reach the client: the cause goes to the log under the request id, as in ``app.api.errors``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from cross_web import HTTPException as StrawberryHTTPException
from flask import Blueprint, Response, current_app, g, request
from flask.blueprints import BlueprintSetupState
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.flask.views import GraphQLView
from strawberry.types import ExecutionResult
from werkzeug.exceptions import HTTPException

from app.api.auth import Unauthorized
from app.api.blueprint import api
from app.api.errors import ENGINE_MESSAGE, HTTP_CODES
from app.api.graphql.schema import build_schema
from app.config import Settings
from app.logging_config import ERROR_LOGGER
from app.observability import current_stats, elapsed_ms
from data.errors import EngineUnavailable, InvalidFilter, QueryFailed, QueryTimeout

PATH = "/graphql"  # under the api blueprint's /api prefix
VIEW_EXTENSION = "mauzo_graphql_view"
# A query document, its variables and operation name fit in far less; a larger body is refused
# before it is read (413), so nobody makes a worker parse megabytes of JSON.
MAX_BODY_BYTES = 64 * 1024

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
# The HTTP status of a response without data: the status REST gives the same code.
STATUS_BY_CODE: dict[str, int] = {
    "INVALID_ARGUMENT": 400, PARSE_FAILED: 400, VALIDATION_FAILED: 400,
    "ENGINE_UNAVAILABLE": 503, "QUERY_TIMEOUT": 504, "QUERY_FAILED": 500, "INTERNAL": 500,
}

log = logging.getLogger(ERROR_LOGGER)

graphql = Blueprint("graphql", __name__)


def internal_message(request_id: str | None) -> str:
    return f"internal error; quote request id {request_id} when reporting it"


def response_extensions() -> dict[str, Any]:
    """REST's ``metadata.requestId``, ``cached`` and ``durationMs`` for this request."""
    stats = current_stats()
    return {"requestId": g.get("request_id"), "cached": bool(stats and stats.all_cached), "durationMs": elapsed_ms()}


def _cause(error: GraphQLError) -> BaseException | None:
    """The exception a resolver raised (graphql-core may wrap it in located errors)."""
    cause: BaseException | None = error.original_error
    while isinstance(cause, GraphQLError) and cause.original_error is not None:
        cause = cause.original_error
    return None if isinstance(cause, GraphQLError) else cause


def classify(error: GraphQLError) -> tuple[str, str, dict[str, str]]:
    """(code, public message, details) for one error, logging what the client must not see."""
    cause, request_id = _cause(error), g.get("request_id")
    if isinstance(cause, InvalidFilter):
        return cause.code, str(cause), dict(cause.details)
    if isinstance(cause, EngineUnavailable):
        log.warning("engine unavailable: %s", cause, extra={"requestId": request_id})
        return cause.code, ENGINE_MESSAGE, {}
    if isinstance(cause, QueryTimeout):
        log.warning("query timed out: %s", cause, extra={"requestId": request_id})
        message = f"the query took too long; narrow the filters or try again (request id {request_id})"
        return "QUERY_TIMEOUT", message, {}
    if cause is not None:
        code = "QUERY_FAILED" if isinstance(cause, QueryFailed) else "INTERNAL"
        log.error("graphql error on %s %s", request.method, request.path, exc_info=cause,
                  extra={"requestId": request_id})
        return code, internal_message(request_id), {}
    if error.path is not None:  # a result the schema cannot represent: our bug, not the caller's
        log.error("graphql result error at %s: %s", error.path, error.message, extra={"requestId": request_id})
        return "INTERNAL", internal_message(request_id), {}
    if isinstance(error, GraphQLSyntaxError):
        return PARSE_FAILED, error.message, {}
    return VALIDATION_FAILED, error.message, {}


def format_error(error: GraphQLError) -> dict[str, Any]:
    code, message, details = classify(error)
    formatted = dict(error.formatted)
    formatted["message"] = message
    formatted["extensions"] = {"code": code, "details": details}
    return formatted


def request_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    """A refusal before any GraphQL ran (bad body, token, method): no ``data`` key, as the spec says."""
    body = {"errors": [{"message": message, "extensions": {"code": code, "details": {}}}],
            "extensions": response_extensions()}
    return Response(_dumps(body), status=status, mimetype="application/json", headers=headers)


def _dumps(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _status(payload: dict[str, Any]) -> int:
    """200 with data; without data, the status REST gives the worst error's code."""
    if payload.get("data") is not None:
        return 200
    codes = [e["extensions"]["code"] for e in payload.get("errors", [])]
    return max((STATUS_BY_CODE.get(c, 500) for c in codes), default=500)


class MauzoGraphQLView(GraphQLView):
    """Strawberry's sync Flask view; only the response shape and the refusals are ours."""

    def process_result(self, request: Any, result: ExecutionResult) -> dict[str, Any]:  # type: ignore[override]
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [format_error(e) for e in result.errors]
        payload["extensions"] = response_extensions()
        return payload

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        sub_response.set_data(_dumps(response_data))
        sub_response.status_code = _status(response_data)
        return sub_response

    def dispatch_request(self) -> Response:  # type: ignore[override]
        request.max_content_length = MAX_BODY_BYTES
        try:
            return self.run(request=request)
        except StrawberryHTTPException as exc:
            message = exc.reason
            if exc.status_code == 404:  # GET without a query, from a browser, with the IDE off
                message = "no query: send ?query= (GET) or a JSON body (POST); the GraphiQL IDE is off"
            return request_error(exc.status_code, HTTP_CODES.get(exc.status_code, "INVALID_ARGUMENT"), message)


def _install(state: BlueprintSetupState) -> None:
    """Build this app's view from its settings (an app factory may run more than once per process)."""
    settings: Settings = state.app.config.get("MAUZO_SETTINGS") or Settings.from_env()
    view = MauzoGraphQLView(schema=build_schema(settings), graphql_ide="graphiql" if settings.graphql_ide else None,
                            allow_queries_via_get=True)
    state.app.extensions[VIEW_EXTENSION] = view


def graphql_endpoint() -> Response:
    return current_app.extensions[VIEW_EXTENSION].dispatch_request()


def handle_error(exc: BaseException) -> Response:
    """Errors raised around the view (the api blueprint's token hook, a body over the limit)."""
    if isinstance(exc, Unauthorized):
        return request_error(401, "UNAUTHENTICATED", str(exc), headers={"WWW-Authenticate": 'Bearer realm="mauzo"'})
    if isinstance(exc, HTTPException) and exc.code and exc.code < 500:
        return request_error(exc.code, HTTP_CODES.get(exc.code, "INVALID_ARGUMENT"), exc.description or exc.name)
    log.error("unhandled error on %s %s", request.method, request.path, exc_info=exc,
              extra={"requestId": g.get("request_id")})
    return request_error(500, "INTERNAL", internal_message(g.get("request_id")))


graphql.record(_install)
graphql.add_url_rule(PATH, view_func=graphql_endpoint, methods=["GET", "POST"])
graphql.register_error_handler(Exception, handle_error)
api.register_blueprint(graphql)
