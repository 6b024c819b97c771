"""Per-request context the engines read without every function passing it along."""

from __future__ import annotations

import re
from contextvars import ContextVar

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

request_id_var: ContextVar[str | None] = ContextVar("mauzo_request_id", default=None)


def safe_request_id(value: str | None) -> str | None:
    """Return ``value`` when it is a sane request id (length and charset), else None.

    Only ids that pass this check ever reach a SQL comment or an engine context."""
    if value and _SAFE_ID.match(value):
        return value
    return None


def current_request_id() -> str | None:
    return request_id_var.get()
