"""Optional bearer tokens for everything under ``/api`` except health checks and the OpenAPI document.

Why optional: on a laptop the API is open; on a shared server ``MAUZO_API_TOKENS`` (comma
separated) or ``MAUZO_API_TOKENS_FILE`` (one per line, ``#`` comments) closes it. Health and the
OpenAPI document stay open so load balancers and tools need no secret. Tokens are compared in
constant time and never logged.

A token may carry a branch scope: ``TOKEN:branch=Mombasa|Nakuru`` (the part after the first ``:``
that starts a ``dimension=`` rule; see ``app.access.parse_scope``). Every query a request with that
token causes runs under the scope (``app.access.enter_scope``).
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app, g, request

from app.access import enter_scope, parse_scope
from app.config import Settings
from data.scope import UNRESTRICTED, Scope

# Everything under /api needs the token when tokens are set, except these: failing closed, a new
# route is protected the day it is added.
OPEN_PREFIXES: tuple[str, ...] = ("/api/health", "/api/openapi.json")
EXTENSION_KEY = "mauzo_api_tokens"


class Unauthorized(Exception):
    """The request needs a valid bearer token (rendered as a 401 envelope)."""


# ``TOKEN:dimension=...``: the scope part starts at a ``:`` followed by a dimension rule.
_SCOPED = re.compile(r"^(?P<token>.+?):(?P<scope>[A-Za-z_]+=.*)$")


@dataclass(frozen=True)
class TokenGrant:
    """A bearer token and the scope its requests run under."""

    token: str
    scope: Scope = UNRESTRICTED

    def __repr__(self) -> str:  # never print the secret
        return f"TokenGrant(scope={self.scope.describe()!r})"


def _entries(settings: Settings) -> list[str]:
    entries = settings.api_tokens.split(",")
    file_name = settings.api_tokens_file
    if file_name:
        text = Path(file_name).read_text(encoding="utf-8")
        entries.extend(line for line in text.splitlines() if not line.strip().startswith("#"))
    return [e.strip() for e in entries if e.strip()]


def load_grants(settings: Settings) -> tuple[TokenGrant, ...]:
    """Token grants from the settings and the token file. A configured but unreadable file, or a
    malformed scope, is an error at startup: failing open would silently publish the figures."""
    grants: dict[str, TokenGrant] = {}
    for entry in _entries(settings):
        match = _SCOPED.match(entry)
        token, scope = (match["token"], parse_scope(match["scope"])) if match else (entry, UNRESTRICTED)
        if token in grants and grants[token].scope != scope:
            raise ValueError("an API token is listed twice with different scopes")
        grants[token] = TokenGrant(token, scope)
    return tuple(grants[t] for t in sorted(grants))


def load_tokens(settings: Settings) -> tuple[str, ...]:
    """The tokens alone (without their scopes)."""
    return tuple(grant.token for grant in load_grants(settings))


def init_tokens(server: Flask) -> None:
    server.extensions[EXTENSION_KEY] = load_grants(server.config["MAUZO_SETTINGS"])


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


def matching_grant(given: str, grants: tuple[TokenGrant, ...]) -> TokenGrant | None:
    """The grant whose token equals ``given``, comparing against every token in constant time."""
    given_bytes = given.encode("utf-8", "surrogateescape")
    found: TokenGrant | None = None
    for grant in grants:
        if hmac.compare_digest(given_bytes, grant.token.encode("utf-8")):
            found = grant
    return found


def require_token() -> None:
    """Blueprint ``before_request`` hook: raise ``Unauthorized`` for protected paths without a
    valid token when tokens are configured, and put the request under the token's scope."""
    grants: tuple[TokenGrant, ...] = current_app.extensions.get(EXTENSION_KEY, ())
    if not grants or request.path.startswith(OPEN_PREFIXES) or g.get("mauzo_user"):
        return  # a signed-in user (app.access_login) needs no token; their scope is already in force
    given = _bearer(request.headers.get("Authorization"))
    grant = matching_grant(given, grants) if given is not None else None
    if grant is None:
        raise Unauthorized("a valid bearer token is required")
    enter_scope(grant.scope)
