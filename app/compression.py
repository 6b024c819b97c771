"""Compressed responses (Flask-Compress): the page's JavaScript is about 9 MB as files and a third of
that compressed; callback answers (figures as JSON) shrink the same way.

The compressed form of a static file (a component bundle or an asset: same URL, same bytes) is kept
per process, so Plotly's 4.8 MB is compressed once per worker, not once per visitor. Anything else
(pages, callbacks, the API) is compressed per response and never kept.
"""

from __future__ import annotations

from flask import Flask, Request
from flask_compress import Compress

# Dash's bundles and ``assets/``; their bytes depend on the URL alone.
STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/")
_NOT_KEPT = "-"


class StaticOnlyCache:
    """Flask-Compress cache backend that keeps compressed static files and nothing else (the key
    of any other response is ``_NOT_KEPT``, which it never stores)."""

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        return self._data.get(key)

    def set(self, key: str, value: bytes) -> None:
        if not key.endswith(";" + _NOT_KEPT):
            self._data[key] = value


def cache_key(request: Request) -> str:
    """The full URL (the fingerprint or ``?m=`` is part of it) for a static GET, else not kept."""
    if request.method == "GET" and request.path.startswith(STATIC_PREFIXES):
        return request.full_path
    return _NOT_KEPT


def init_compression(server: Flask) -> None:
    """Compress with the best algorithm the browser accepts (zstd, brotli, gzip, deflate: Flask-Compress
    defaults and levels, which cost a few ms per 100 KB)."""
    server.config.setdefault("COMPRESS_CACHE_BACKEND", StaticOnlyCache)
    server.config.setdefault("COMPRESS_CACHE_KEY", cache_key)
    Compress(server)
