"""Result caching for the data layer: shared by every worker, never stale, never an outage.

Never stale: keys come from ``data.service.query_key`` and carry the store's data version, so an
ingest makes every older entry unreachable in every process at once. No stampede: a miss is
computed once (``SingleFlight`` per process, a per-key backend lock across processes) while the
others wait, bounded, for the value. Never an outage: any backend error opens a ``Breaker``; the
request is served uncached and the backend is skipped for a short interval.

``init_cache`` returns the ``ResultCache`` the query runner uses (None = no caching);
``cache_health`` reports what the cache is doing, for ``/api/health`` and ``/diagnostics``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import polars as pl
from flask import Flask

from app.cache_backend import Backend, build_backend, choose_kind
from app.cache_breaker import Breaker
from app.cache_codec import CodecError, decode, encode
from app.config import Settings
from data.single_flight import SingleFlight

log = logging.getLogger("mauzo.cache")

EXTENSION = "mauzo_cache"
KEY_VERSION = "r1"  # bump with the codec layout: old entries are then simply never read
_UNAVAILABLE = object()  # the backend failed or is being skipped (degraded mode)
_POLL_MIN, _POLL_MAX = 0.005, 0.05


class ResultCache:
    """``get_or_compute``/``store`` over one Flask-Caching backend (implements ``ResultCache`` of
    ``data.service``). ``cached`` in results means "this call did not run the query": a hit, or
    the result of an identical query another request was already running."""

    def __init__(self, backend: Backend, settings: Settings) -> None:
        self.backend = backend
        self.timeout = settings.cache_timeout
        self.wait_timeout = settings.cache_wait_timeout
        self.max_bytes = settings.cache_max_bytes
        self.breaker = Breaker(backend.kind, settings.cache_retry_interval)
        self.flights = SingleFlight()
        self._stats: Counter[str] = Counter()
        self._stats_lock = threading.Lock()
        self._writer: ThreadPoolExecutor | None = None
        self._queued: dict[str, pl.DataFrame] = {}  # key -> frame, until its write is done
        self._writer_pid = 0

    # -- counters (per process; for health output and tests) ------------------------------
    def _count(self, name: str) -> None:
        with self._stats_lock:
            self._stats[name] += 1

    def stats(self) -> dict[str, int]:
        with self._stats_lock:
            return dict(self._stats)

    # -- guarded backend access -----------------------------------------------------------
    def _call(self, during: str, fn: Callable[[], Any]) -> Any:
        """Run a backend operation; on any error (or while degraded) return ``_UNAVAILABLE``."""
        if not self.breaker.allow():
            self._count("skipped")
            return _UNAVAILABLE
        try:
            result = fn()
        except Exception as exc:  # redis, OS and cachelib errors alike must not reach the request
            self._count("errors")
            self.breaker.failure(exc, during)
            return _UNAVAILABLE
        self.breaker.success()
        return result

    def _read(self, full_key: str) -> Any:
        """The cached frame, None on a miss, or ``_UNAVAILABLE``."""
        with self._stats_lock:
            queued = self._queued.get(full_key)
        if queued is not None:  # computed here, still on its way to the backend
            return queued
        payload = self._call("get", lambda: self.backend.cache.get(full_key))
        if payload is None or payload is _UNAVAILABLE:
            return payload
        try:
            return decode(payload)
        except CodecError as exc:
            # A miss: whoever computes the value overwrites it. Not deleted here, which could
            # remove a good value written since this read.
            log.warning("ignoring unreadable cache entry %s: %s", full_key, exc)
            return None

    def _write(self, full_key: str, frame: pl.DataFrame) -> None:
        payload = encode(frame)
        if len(payload) > self.max_bytes:
            self._count("too_large")
            return

        def put() -> None:
            if not self.backend.cache.set(full_key, payload, timeout=self.timeout):
                raise OSError(f"{self.backend.kind} cache refused the write")

        self._call("set", put)

    def read_bytes(self, key: str, count: str) -> bytes | None:
        """A raw value stored by ``write_bytes`` (None on a miss or while degraded); one backend GET.
        ``count`` names the hit counter (``{count}_hits`` / ``{count}_misses``)."""
        payload = self._call("get", lambda: self.backend.cache.get(f"{KEY_VERSION}:{key}"))
        if isinstance(payload, bytes):
            self._count(f"{count}_hits")
            return payload
        self._count(f"{count}_misses")
        return None

    def write_bytes(self, key: str, payload: bytes) -> None:
        """Store raw bytes under ``key`` (skipped when larger than ``MAUZO_CACHE_MAX_BYTES``)."""
        if len(payload) > self.max_bytes:
            self._count("too_large")
            return
        self._call("set", lambda: self.backend.cache.set(f"{KEY_VERSION}:{key}", payload, timeout=self.timeout))

    def _write_behind(self, full_key: str, frame: pl.DataFrame, handle: object) -> None:
        """Encode and store ``frame``, then release the key's lock, on this process's writer thread:
        the request that computed it answers at once (a 10M-line customer table took 46 ms to
        encode and store). Other processes keep waiting for the value while the lock is held, as
        before; at exit the interpreter waits for the writes still queued."""
        def write() -> None:
            try:
                self._write(full_key, frame)
            finally:
                with self._stats_lock:
                    self._queued.pop(full_key, None)
                self._release(handle)

        with self._stats_lock:
            self._queued[full_key] = frame
            if self._writer is None or self._writer_pid != os.getpid():  # none yet, or forked
                self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mauzo-cache-write")
                self._writer_pid = os.getpid()
                self._queued = {key: value for key, value in self._queued.items() if key == full_key}
            writer = self._writer
        writer.submit(write)

    def flush(self) -> None:
        """Wait for the values queued by ``_write_behind`` to be stored."""
        with self._stats_lock:
            writer = self._writer if self._writer_pid == os.getpid() else None
        if writer is not None:
            writer.submit(lambda: None).result()

    def _release(self, handle: object) -> None:
        # Never skipped by the breaker: an unreleased file lock would block the key for good.
        try:
            self.backend.locks.release(handle)
        except Exception as exc:  # a Redis lock we cannot delete expires on its own
            log.debug("could not release cache lock: %s", exc)

    # -- the ResultCache protocol ---------------------------------------------------------
    def get_or_compute(self, key: str, compute: Callable[[], pl.DataFrame]) -> tuple[pl.DataFrame, bool]:
        full_key = f"{KEY_VERSION}:{key}"
        hit = self._read(full_key)
        if isinstance(hit, pl.DataFrame):
            self._count("hits")
            return hit, True
        self._count("misses")
        (frame, cached), led = self.flights.run(full_key, lambda: self._fill(full_key, compute), self.wait_timeout)
        if not led:
            self._count("coalesced")
            return frame, True
        return frame, cached

    def store(self, key: str, frame: pl.DataFrame) -> None:
        """Overwrite the entry with a fresh frame (the UI's Refresh recomputed it); after any
        queued write, so an older value cannot land over it."""
        self.flush()
        self._write(f"{KEY_VERSION}:{key}", frame)

    def _compute(self, compute: Callable[[], pl.DataFrame]) -> pl.DataFrame:
        self._count("computed")
        return compute()

    def _fill(self, full_key: str, compute: Callable[[], pl.DataFrame]) -> tuple[pl.DataFrame, bool]:
        """Compute once across processes: whoever takes the key's lock computes and stores; the
        others poll for the value until the lock frees (then one of them takes over) or they
        have waited ``wait_timeout`` (then they compute for themselves)."""
        deadline = time.monotonic() + self.wait_timeout
        delay = _POLL_MIN
        while True:
            handle = self._call("lock", lambda: self.backend.locks.try_acquire(full_key))
            if handle is _UNAVAILABLE:
                return self._compute(compute), False
            if handle is not None:
                try:
                    found = self._read(full_key)  # filled while we were waiting for the lock?
                    if isinstance(found, pl.DataFrame):
                        return found, True
                    frame = self._compute(compute)
                    if found is not _UNAVAILABLE:
                        self._write_behind(full_key, frame, handle)
                        handle = None  # the writer releases it once the value is stored
                    return frame, False
                finally:
                    if handle is not None:
                        self._release(handle)
            found = self._read(full_key)
            if isinstance(found, pl.DataFrame):
                return found, True
            if found is _UNAVAILABLE:
                return self._compute(compute), False
            if time.monotonic() >= deadline:
                self._count("wait_timeouts")
                log.warning("waited %.1f s for another worker to fill %s; computing it here",
                            self.wait_timeout, full_key)
                return self._compute(compute), False
            time.sleep(delay)
            delay = min(delay * 2, _POLL_MAX)

    # -- health ---------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """ok / degraded for this process; pings the backend unless it is in back-off."""
        report: dict[str, Any] = {"backend": self.backend.kind, "status": "ok", "detail": self.backend.detail}
        if self.breaker.allow():
            self._call("ping", self.backend.ping)
        if not self.breaker.allow() or self.breaker.degraded:
            report["status"] = "degraded"
            report["detail"] = (f"{self.backend.detail}: {self.breaker.last_error}; serving uncached, "
                                f"retrying in {self.breaker.retry_in():.1f} s")
        report["stats"] = self.stats()
        return report


def init_cache(server: Flask, settings: Settings) -> ResultCache | None:
    """Build the cache the settings ask for and remember it on the server (None = no caching)."""
    backend = build_backend(server, settings)
    cache = ResultCache(backend, settings) if backend is not None else None
    server.extensions[EXTENSION] = cache
    if cache is None:
        log.info("result caching disabled (MAUZO_CACHE=%s)", choose_kind(settings))
    else:
        log.info("result cache: %s (%s)", backend.kind, backend.detail)  # type: ignore[union-attr]
    return cache


def cache_health(server: Flask) -> dict[str, Any]:
    """``{"backend", "status": ok|degraded|disabled, "detail", "stats"}`` for health checks."""
    cache: ResultCache | None = server.extensions.get(EXTENSION)
    if cache is None:
        return {"backend": "none", "status": "disabled", "detail": "result caching is not configured"}
    return cache.health()
