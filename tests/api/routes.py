"""The API surface the issue asks for, written out independently of the server's code."""

from __future__ import annotations

LIST_ROUTES: tuple[str, ...] = (
    "/api/kpis/trend",
    "/api/kpis/salespeople",
    "/api/kpis/salespeople/product-mix",
    "/api/kpis/products",
    "/api/kpis/product-lines",
    "/api/kpis/branches",
    "/api/kpis/branches/trend",
    "/api/kpis/customers",
)
PIPELINE_ROUTES: tuple[str, ...] = (
    "/api/pipeline/summary",
    "/api/pipeline/win-rates",
    "/api/pipeline/funnel",
    "/api/pipeline/cycle",
    "/api/pipeline/open",
    "/api/pipeline/assignment",
)
FIGURE_ROUTES: tuple[str, ...] = ("/api/kpis/summary", *LIST_ROUTES, "/api/filters/options", *PIPELINE_ROUTES)
HEALTH_ROUTES: tuple[str, ...] = ("/api/health", "/api/health/db", "/api/health/druid")
ENVELOPE_ROUTES: tuple[str, ...] = (*FIGURE_ROUTES, *HEALTH_ROUTES)
ALL_ROUTES: tuple[str, ...] = (*ENVELOPE_ROUTES, "/api/openapi.json")

ENVELOPE_KEYS = {"data", "error", "metadata"}
METADATA_KEYS = {"requestId", "generatedAt", "filters", "rowCount", "cached", "durationMs"}
ERROR_KEYS = {"code", "message", "details"}


def assert_envelope(body: dict, request_id: str | None = None) -> None:
    """The exact envelope shape; ``request_id`` is the X-Request-ID header to match."""
    assert set(body) == ENVELOPE_KEYS, body.keys()
    meta = body["metadata"]
    assert set(meta) == METADATA_KEYS, meta.keys()
    assert isinstance(meta["rowCount"], int) and meta["rowCount"] >= 0
    assert isinstance(meta["cached"], bool)
    assert isinstance(meta["durationMs"], int | float) and meta["durationMs"] >= 0
    assert meta["generatedAt"].endswith("Z")
    if request_id is not None:
        assert meta["requestId"] == request_id
    if body["error"] is not None:
        assert set(body["error"]) == ERROR_KEYS
        assert isinstance(body["error"]["details"], dict)


def assert_error(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    """A JSON error envelope (never HTML) with this status and code; returns the body."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert_envelope(body, response.headers["X-Request-ID"])
    assert body["error"]["code"] == code
    assert body["data"] is None or status == 503
    return body
