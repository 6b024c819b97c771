"""Optional bearer tokens for everything under ``/api`` except health checks and the OpenAPI document.

Why optional: on a laptop the API is open; on a shared server ``MAUZO_API_TOKENS`` (comma
separated) or ``MAUZO_API_TOKENS_FILE`` (one per line, ``#`` comments) closes it. Health and the
OpenAPI document stay open so load balancers and tools need no secret. Tokens are compared in
constant time and never logged.
"""

from __future__ import annotations

import hmac
from pathlib import Path

from flask import Flask, current_app, request

from app.config import Settings

# Everything under /api needs the token when tokens are set, except these: failing closed, a new
# route is protected the day it is added.
OPEN_PREFIXES: tuple[str, ...] = ("/api/health", "/api/openapi.json")
EXTENSION_KEY = "mauzo_api_tokens"


class Unauthorized(Exception):
    """The request needs a valid bearer token (rendered as a 401 envelope)."""


def load_tokens(settings: Settings) -> tuple[str, ...]:
    """Tokens from the settings and the token file. A configured but unreadable file is an
    error at startup: failing open would silently publish the figures."""
    tokens = [t.strip() for t in settings.api_tokens.split(",")]
    file_name = settings.api_tokens_file
    if file_name:
        text = Path(file_name).read_text(encoding="utf-8")
        tokens.extend(line.strip() for line in text.splitlines() if not line.strip().startswith("#"))
    return tuple(sorted({t for t in tokens if t}))


def init_tokens(server: Flask) -> None:
    server.extensions[EXTENSION_KEY] = load_tokens(server.config["MAUZO_SETTINGS"])


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def token_matches(given: str, tokens: tuple[str, ...]) -> bool:
    """Constant-time comparison against every token (no early exit reveals which one is close)."""
    given_bytes = given.encode("utf-8", "surrogateescape")
    matched = False
    for token in tokens:
        matched |= hmac.compare_digest(given_bytes, token.encode("utf-8"))
    return matched


def require_token() -> None:
    """Blueprint ``before_request`` hook: raise ``Unauthorized`` for protected paths without a
    valid token when tokens are configured."""
    tokens: tuple[str, ...] = current_app.extensions.get(EXTENSION_KEY, ())
    if not tokens or request.path.startswith(OPEN_PREFIXES):
        return
    given = _bearer(request.headers.get("Authorization"))
    if given is None or not token_matches(given, tokens):
        raise Unauthorized("a valid bearer token is required")
