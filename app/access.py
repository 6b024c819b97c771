"""Who may see what: the data layer's ``Scope`` of each request, set in one place.

Why here and not in each endpoint: ``data.scope.scoped`` is a context variable the query runner
reads, so a request put under a scope before its view runs cannot read past it through any query
(REST, CSV, GraphQL, option lists, Dash callbacks). Each credential (an API token, a signed embed
link, a logged-in user) adds its scope with ``enter_scope``; the teardown hook resets the context
variable so a worker thread never carries one request's scope into the next.

Scope text (tokens file, ``MAUZO_API_TOKENS``, users file): ``branch=Mombasa|Nakuru``, several
dimensions separated by ``;`` (``branch=Mombasa;productLine=Paint``); names are dimension names
or their URL arguments.
"""

from __future__ import annotations

import contextlib

from flask import Flask, g

from data.dimensions import DIMENSIONS
from data.errors import InvalidFilter
from data.scope import UNRESTRICTED, Scope, scoped

_STACK = "mauzo_scope_stack"
_BY_ARG = {d.arg: d.name for d in DIMENSIONS.values()}
# Nothing at all: the scope of a request that may load the app's structure but no figures.
NOTHING = Scope((("branch", ()),))


def parse_scope(text: str) -> Scope:
    """``branch=Mombasa|Nakuru;productLine=Paint`` as a ``Scope``; empty text is unrestricted.
    A malformed rule is an error (a typo must not silently widen a scope)."""
    text = text.strip()
    if not text:
        return UNRESTRICTED
    allowed: dict[str, list[str]] = {}
    for rule in text.split(";"):
        name, sep, values = rule.partition("=")
        name = _BY_ARG.get(name.strip(), name.strip())
        if not sep or name not in DIMENSIONS:
            raise InvalidFilter(f"bad scope rule {rule!r}", {"scope": "use dimension=value|value;dimension=value"})
        allowed.setdefault(name, []).extend(v.strip() for v in values.split("|") if v.strip())
    return Scope.of(**allowed)


def format_scope(scope: Scope) -> str:
    """The inverse of ``parse_scope`` (for logs and listings; never contains a secret)."""
    return ";".join(f"{DIMENSIONS[name].arg}={'|'.join(values)}" for name, values in scope.rules)


def enter_scope(scope: Scope) -> None:
    """Put the rest of this request under ``scope`` as well (scopes only ever narrow)."""
    stack = g.get(_STACK)
    if stack is None:
        stack = g.setdefault(_STACK, contextlib.ExitStack())
    stack.enter_context(scoped(scope))


def init_access(server: Flask) -> None:
    """Reset the request's scope when it ends (Flask runs teardown in the request's context)."""

    @server.teardown_request
    def _leave_scope(_exc: BaseException | None) -> None:
        stack = g.pop(_STACK, None)
        if stack is not None:
            stack.close()
