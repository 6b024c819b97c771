"""Settings read from the environment, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Everything configurable about a running Mauzo, with the laptop-friendly defaults."""

    data_dir: Path = field(default_factory=lambda: Path(os.environ.get("MAUZO_DATA_DIR", "var")).resolve())
    engine: str = field(default_factory=lambda: os.environ.get("MAUZO_ENGINE", "duckdb"))
    redis_url: str | None = field(default_factory=lambda: os.environ.get("REDIS_URL") or None)
    cache_timeout: int = field(default_factory=lambda: int(os.environ.get("MAUZO_CACHE_TIMEOUT", "3600")))
    # none | simple | filesystem | redis; empty = redis when REDIS_URL is set, else filesystem.
    cache_backend: str = field(default_factory=lambda: os.environ.get("MAUZO_CACHE", "").strip().lower())
    # Short on purpose: a dead or silent Redis must cost a request a fraction of a second, not 5 s.
    cache_socket_timeout: float = field(
        default_factory=lambda: float(os.environ.get("MAUZO_CACHE_SOCKET_TIMEOUT", "0.5")))
    cache_connect_timeout: float = field(
        default_factory=lambda: float(os.environ.get("MAUZO_CACHE_CONNECT_TIMEOUT", "0.25")))
    # After a backend failure, skip the backend this long (seconds) so requests don't each pay a timeout.
    cache_retry_interval: float = field(
        default_factory=lambda: float(os.environ.get("MAUZO_CACHE_RETRY_INTERVAL", "5")))
    # Stampede lock lifetime (a dead holder's lock frees itself) and how long waiters wait for a result.
    cache_lock_timeout: float = field(default_factory=lambda: float(os.environ.get("MAUZO_CACHE_LOCK_TIMEOUT", "30")))
    cache_wait_timeout: float = field(default_factory=lambda: float(os.environ.get("MAUZO_CACHE_WAIT_TIMEOUT", "35")))
    # Results larger than this (encoded) are returned but not cached.
    cache_max_bytes: int = field(
        default_factory=lambda: int(os.environ.get("MAUZO_CACHE_MAX_BYTES", str(64 * 1024 * 1024))))
    secret_key: str = field(default_factory=lambda: os.environ.get("MAUZO_SECRET_KEY", "mauzo-dev-secret"))
    title: str = "Mauzo"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        return cls(**overrides)  # type: ignore[arg-type]
