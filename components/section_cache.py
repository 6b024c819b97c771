"""Whole page sections in the shared cache: a warm view costs one cache GET per section.

Why on top of the query cache: a hit there still rebuilds the section (Polars derivations, the
Plotly figures, the component tree and its JSON), 20-150 ms per section, several hundred ms per
page. Here the section's JSON, exactly what the Dash callback sends, is stored; a hit returns it
decoded (plain dicts, which Dash serializes to the same JSON).

Never stale: the key holds everything a section's output depends on. The section (module and
name), its ``Filters`` (stable ``cache_key``) and extra inputs, the scope the request runs under
(a scoped viewer never gets another scope's section), the engine and the store's data version,
read before the section runs (an ingest makes every older entry unreachable; a section computed
across an ingest is filed under the older version), and a fingerprint of the code that builds
sections (``components/``, ``pages/``, ``data/``), so a new release never serves figures drawn by
the old one. Sections are data-anchored (periods, "as of" dates), never clock-anchored.
Exceptions (no data, errors) are never stored; Refresh (``bypass_cache``) recomputes and stores.
Without a cache (tests, ``MAUZO_CACHE=none``) a section runs as if undecorated.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import g, has_request_context
from plotly.io.json import to_json_plotly

from data.filters import Filters
from data.scope import current_scope
from data.service import QueryRunner, bypass_cache_var, get_runner

log = logging.getLogger("mauzo.cache")

_CODE_DIRS = ("components", "pages", "data")


@functools.cache
def code_fingerprint() -> str:
    """sha256 of the sources that draw sections (read once per process)."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for folder in _CODE_DIRS:
        for path in sorted((root / folder).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def section_key(runner: QueryRunner, fn: Callable[..., Any], filters: Filters, extra: tuple[Any, ...]) -> str | None:
    """The cache key of one section render, or None when the data version cannot be read (the
    section then reports the store's state itself)."""
    try:
        version = runner.engine.data_version()
    except Exception:  # noqa: BLE001 - an empty or unreachable store: no caching, the section explains
        return None
    scope = runner.scope & current_scope()
    canonical = json.dumps([filters.cache_key(), list(extra), scope.rules], separators=(",", ":"), default=str)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:40]
    return f"section:{fn.__module__}.{fn.__qualname__}:{digest}:{runner.engine.name}:{version}:{code_fingerprint()}"


def cached_section(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn(filters, *extra)`` served from the shared cache when the same section was rendered
    before for the same key (see the module doc); otherwise run and stored."""

    @functools.wraps(fn)
    def cached(filters: Filters, *extra: Any) -> Any:
        runner = get_runner()
        cache = runner.cache
        if cache is None or not hasattr(cache, "read_bytes"):
            return fn(filters, *extra)
        key = section_key(runner, fn, filters, extra)
        if key is None:
            return fn(filters, *extra)
        if not bypass_cache_var.get():
            payload = cache.read_bytes(key, "section")
            if payload is not None:
                try:
                    section = json.loads(payload)
                except ValueError:
                    log.warning("ignoring an unreadable cached section under %s", key)
                else:
                    _mark_cached()
                    return section
        out = fn(filters, *extra)
        cache.write_bytes(key, to_json_plotly(out).encode())
        return out

    return cached


def _mark_cached() -> None:
    """Say so in the request's log line (``cached``): a hit runs no query to report it."""
    if has_request_context():
        g.mauzo_response_cached = True
