"""Choose and build the Flask-Caching backend (plus its stampede lock) from the settings.

``MAUZO_CACHE`` picks ``none | simple | filesystem | redis``; unset means Redis when ``REDIS_URL``
is set, else a filesystem cache under ``MAUZO_DATA_DIR/cache`` that every gunicorn worker on the
host shares. The Redis client is built from the URL with short timeouts and no retries, because
redis-py 8's defaults (5 s timeouts, up to 10 retries) turn a dead Redis into hung requests.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from flask import Flask
from flask_caching import Cache

from app.cache_lock import FileLocks, KeyLocks, LocalLocks, RedisLocks
from app.config import Settings

log = logging.getLogger("mauzo.cache")

KINDS = ("none", "simple", "filesystem", "redis")
KEY_PREFIX = "mauzo:"
LOCK_PREFIX = "mauzo:lock:"
FILESYSTEM_THRESHOLD = 5000  # entries before cachelib prunes; old data versions age out first


@dataclass
class Backend:
    """A configured Flask-Caching ``Cache`` with the lock that guards its keys."""

    kind: str
    cache: Cache
    locks: KeyLocks
    detail: str
    ping: Callable[[], None]


def choose_kind(settings: Settings) -> str:
    kind = settings.cache_backend or ("redis" if settings.redis_url else "filesystem")
    if kind not in KINDS:
        raise ValueError(f"MAUZO_CACHE={kind!r} is not one of {', '.join(KINDS)}")
    if kind == "redis" and not settings.redis_url:
        raise ValueError("MAUZO_CACHE=redis needs REDIS_URL")
    return kind


def redacted(url: str) -> str:
    """The URL without its password, for health output and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _flask_cache(server: Flask, config: dict[str, object]) -> Cache:
    cache = Cache(config={"CACHE_KEY_PREFIX": KEY_PREFIX, **config})
    cache.init_app(server)
    return cache


def _redis(server: Flask, settings: Settings) -> Backend:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    assert settings.redis_url
    # Connecting is lazy: a Redis that is down at start-up costs nothing here.
    client = redis.Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.cache_socket_timeout,
        socket_connect_timeout=settings.cache_connect_timeout,
        retry=Retry(NoBackoff(), 0),
    )
    # cachelib's RedisCache accepts a ready client as its host (its documented alternative to a
    # host name), so the cache and the stampede locks share one pool with the same timeouts.
    cache = _flask_cache(server, {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_HOST": client,
                                  "CACHE_DEFAULT_TIMEOUT": settings.cache_timeout})
    locks = RedisLocks(client, LOCK_PREFIX, settings.cache_lock_timeout)
    return Backend("redis", cache, locks, redacted(settings.redis_url), lambda: client.ping() and None)


def _filesystem(server: Flask, settings: Settings) -> Backend:
    root = settings.data_dir / "cache"
    results, lock_dir = root / "results", root / "locks"
    cache = _flask_cache(server, {"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": str(results),
                                  "CACHE_THRESHOLD": FILESYSTEM_THRESHOLD,
                                  "CACHE_DEFAULT_TIMEOUT": settings.cache_timeout})

    def ping() -> None:
        if not os.access(results, os.W_OK):
            raise PermissionError(f"{results} is not writable")

    return Backend("filesystem", cache, FileLocks(lock_dir), str(root), ping)


def _simple(server: Flask, settings: Settings) -> Backend:
    cache = _flask_cache(server, {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 500,
                                  "CACHE_DEFAULT_TIMEOUT": settings.cache_timeout})
    return Backend("simple", cache, LocalLocks(), "in-process (not shared between workers)", lambda: None)


def build_backend(server: Flask, settings: Settings) -> Backend | None:
    """The backend the settings ask for, or None for no caching. A filesystem cache that cannot
    be created (read-only data dir) falls back to an in-process one rather than failing start-up."""
    kind = choose_kind(settings)
    if kind == "none":
        return None
    if kind == "redis":
        return _redis(server, settings)
    if kind == "filesystem":
        try:
            return _filesystem(server, settings)
        except OSError as exc:
            log.warning("filesystem cache unavailable under %s (%s); using an in-process cache",
                        Path(settings.data_dir) / "cache", exc)
    return _simple(server, settings)
