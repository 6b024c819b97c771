"""Whole REST responses in the shared cache: a repeated request costs one cache GET.

Why on top of the query cache: a hit there still rebuilds the answer (derived metrics and shares
in Polars, records, JSON), about 20 ms against 1.5 ms for ``/api/health``. Here the serialized
data (JSON) or the CSV body is stored, and a hit only adds the per-request metadata (request id,
``cached: true``, duration) to it.

The key holds everything the answer depends on, so a hit is always the answer the route would
compute: the route, its query arguments exactly as sent (names sorted, values in order), the scope
the request runs under (token, user or signed link; a scoped request never gets another scope's
answer) and the store's data version, read before the route runs, so an ingest makes every older
response unreachable at once (a response computed across an ingest is filed under the older version,
never read again). Only 200 answers are stored; a Refresh (``bypass_cache``) and a degraded backend
skip the cache, as for queries.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import struct
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, g, request

from app.api.envelope import CSV_MIMETYPE, JSON_MIMETYPE, envelope_json, metadata
from app.cache import EXTENSION, ResultCache
from data.scope import current_scope
from data.service import bypass_cache_var, get_runner

log = logging.getLogger("mauzo.cache")

MAGIC = b"MZR1"  # Mauzo, REST response, layout 1
_LENGTH = struct.Struct(">I")
KEPT_HEADERS = ("X-Total-Count", "Content-Disposition")  # the rest is added per request by the app's hooks


def response_key() -> str | None:
    """The cache key of the current request, or None when the data version cannot be read (an
    empty or unreachable store: the route then answers its own error)."""
    runner = get_runner()
    try:
        version = runner.engine.data_version()
    except Exception:  # the route reports the store's state itself
        return None
    scope = runner.scope & current_scope()
    args = sorted(request.args.lists())
    canonical = json.dumps([request.method, args, scope.rules], separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:40]
    return f"resp:{request.endpoint}:{digest}:{runner.engine.name}:{version}"


def encode_response(response: Response) -> bytes | None:
    """The stored form of a 200 answer (None for anything else): MAGIC, a JSON header, the body
    (the envelope's data JSON, or the CSV text)."""
    if response.status_code != 200:
        return None
    header: dict[str, Any] = {"headers": {k: response.headers[k] for k in KEPT_HEADERS if k in response.headers}}
    if response.mimetype == JSON_MIMETYPE:
        rendered = g.get("mauzo_data_json")
        if rendered is None:
            return None
        body, meta = rendered[0].encode(), rendered[1]
        header.update(kind="json", filters=meta["filters"], rowCount=meta["rowCount"])
    elif response.mimetype == CSV_MIMETYPE:
        body = response.get_data()
        header.update(kind="csv", rows=g.get("mauzo_rows"))
    else:
        return None
    head = json.dumps(header, separators=(",", ":")).encode()
    return MAGIC + _LENGTH.pack(len(head)) + head + body


def decode_response(payload: bytes) -> Response | None:
    """Rebuild the answer for this request (None when the bytes are not ours)."""
    if payload[:4] != MAGIC:
        return None
    (size,) = _LENGTH.unpack_from(payload, 4)
    header = json.loads(payload[8: 8 + size])
    body = payload[8 + size:]
    if header["kind"] == "csv":
        g.mauzo_rows = header["rows"]
        return Response(body, mimetype=CSV_MIMETYPE, headers=header["headers"])
    meta = metadata(header["filters"], header["rowCount"], cached=True)
    return Response(envelope_json(body.decode(), None, meta), mimetype=JSON_MIMETYPE, headers=header["headers"])


def response_cached(view: Callable[..., Response]) -> Callable[..., Response]:
    """Serve the route's answer from the shared cache when this exact request was answered before
    under the same scope and data version; else run it and store a 200 answer."""

    @functools.wraps(view)
    def cached_view(*args: Any, **kwargs: Any) -> Response:
        cache: ResultCache | None = current_app.extensions.get(EXTENSION)
        key = response_key() if cache is not None and not bypass_cache_var.get() else None
        if cache is None or key is None:
            return view(*args, **kwargs)
        payload = cache.read_bytes(key, "response")
        if payload is not None:
            response = decode_response(payload)
            if response is not None:
                g.mauzo_response_cached = True
                return response
            log.warning("ignoring an unreadable cached response under %s", key)
        response = view(*args, **kwargs)
        stored = encode_response(response)
        if stored is not None:
            cache.write_bytes(key, stored)
        return response

    return cached_view
