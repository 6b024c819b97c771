"""Stampede protection: one computation per key, within a process and across processes.

Within a process ``data.single_flight.SingleFlight`` coalesces threads on a key. Across processes a
non-blocking ``KeyLocks`` says who computes; the others poll the cache
(see ``app.cache``). Both cross-process locks free themselves when their holder dies: a Redis lock
expires after its TTL, and the kernel drops an ``fcntl`` lock with the holder's file descriptors.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import secrets
from pathlib import Path
from typing import Any, Protocol


class KeyLocks(Protocol):
    """Non-blocking, cross-process mutual exclusion per cache key."""

    def try_acquire(self, key: str) -> object | None:
        """A handle when acquired, None when someone else holds it; raises when the backend fails."""
        ...

    def release(self, handle: object) -> None:
        ...


class LocalLocks:
    """For a process-local cache: ``SingleFlight`` already serializes the process, so always grant."""

    def try_acquire(self, key: str) -> object | None:
        return key

    def release(self, handle: object) -> None:
        return None


class FileLocks:
    """``fcntl`` locks on a fixed set of stripe files under ``directory`` (shared by every worker on
    the host). Striping bounds the number of files and avoids the unlink-while-locked race of one
    file per key; two keys sharing a stripe merely take turns."""

    def __init__(self, directory: Path, stripes: int = 256) -> None:
        self.directory = directory
        self.stripes = stripes
        directory.mkdir(parents=True, exist_ok=True)

    def path_for(self, key: str) -> Path:
        stripe = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") % self.stripes
        return self.directory / f"{stripe:03d}.lock"

    def try_acquire(self, key: str) -> object | None:
        fd = os.open(self.path_for(key), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        return fd

    def release(self, handle: object) -> None:
        assert isinstance(handle, int)
        try:
            fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            os.close(handle)


# Delete the lock only if it is still ours: after our TTL ran out another worker may hold it.
_RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class RedisLocks:
    """``SET name token NX PX ttl`` per key; released by a compare-and-delete script."""

    def __init__(self, client: Any, prefix: str, ttl: float) -> None:
        self.client = client
        self.prefix = prefix
        self.ttl_ms = max(1, int(ttl * 1000))
        self._release = client.register_script(_RELEASE_SCRIPT)

    def name_for(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def try_acquire(self, key: str) -> object | None:
        name, token = self.name_for(key), secrets.token_hex(16)
        if self.client.set(name, token, nx=True, px=self.ttl_ms):
            return name, token
        return None

    def release(self, handle: object) -> None:
        name, token = handle  # type: ignore[misc]
        self._release(keys=[name], args=[token])
