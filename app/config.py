"""Settings read from the environment: the only module that reads ``os.environ``.

Everything else receives a ``Settings`` value (the app factory, the engines, the cache, the API
tokens, the CLI), so what a deployment can configure is listed here and in docs/configuration.md,
and a test can build any configuration without touching the process environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# The laptop's secret key: public (it is in this file), so nothing it signs can be trusted. Signing
# embed links, requiring them, or turning a login on refuses to work with it (app.embed_link).
DEV_SECRET_KEY = "mauzo-dev-secret"


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def _flag(name: str, default: bool) -> bool:
    """An on/off variable: 1/true/yes/on or 0/false/no/off; anything else stops the start."""
    text = _env(name).strip().lower()
    if not text:
        return default
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be 1/true/yes/on or 0/false/no/off, got {text!r}")


@dataclass(frozen=True)
class Settings:
    """Everything configurable about a running Mauzo, with the laptop-friendly defaults."""

    data_dir: Path = field(default_factory=lambda: Path(_env("MAUZO_DATA_DIR", "var")).resolve())
    # Which engine serves queries: a name in data.engines.registry (duckdb, druid).
    engine: str = field(default_factory=lambda: _env("MAUZO_ENGINE", "duckdb").strip().lower() or "duckdb")
    duckdb_threads: int | None = field(default_factory=lambda: int(_env("MAUZO_DUCKDB_THREADS") or 0) or None)
    redis_url: str | None = field(default_factory=lambda: _env("REDIS_URL") or None)
    cache_timeout: int = field(default_factory=lambda: int(_env("MAUZO_CACHE_TIMEOUT", "3600")))
    # none | simple | filesystem | redis; empty = redis when REDIS_URL is set, else filesystem.
    cache_backend: str = field(default_factory=lambda: _env("MAUZO_CACHE").strip().lower())
    # Short on purpose: a dead or silent Redis must cost a request a fraction of a second, not 5 s.
    cache_socket_timeout: float = field(default_factory=lambda: float(_env("MAUZO_CACHE_SOCKET_TIMEOUT", "0.5")))
    cache_connect_timeout: float = field(default_factory=lambda: float(_env("MAUZO_CACHE_CONNECT_TIMEOUT", "0.25")))
    # After a backend failure, skip the backend this long (seconds) so requests don't each pay a timeout.
    cache_retry_interval: float = field(default_factory=lambda: float(_env("MAUZO_CACHE_RETRY_INTERVAL", "5")))
    # Stampede lock lifetime (a dead holder's lock frees itself) and how long waiters wait for a result.
    cache_lock_timeout: float = field(default_factory=lambda: float(_env("MAUZO_CACHE_LOCK_TIMEOUT", "30")))
    cache_wait_timeout: float = field(default_factory=lambda: float(_env("MAUZO_CACHE_WAIT_TIMEOUT", "35")))
    # Results larger than this (encoded) are returned but not cached.
    cache_max_bytes: int = field(default_factory=lambda: int(_env("MAUZO_CACHE_MAX_BYTES", str(64 * 1024 * 1024))))
    # Secrets are left out of the settings' repr, so logging a Settings value never shows them.
    secret_key: str = field(default_factory=lambda: _env("MAUZO_SECRET_KEY", DEV_SECRET_KEY), repr=False)
    # The key before the last rotation: signed embed links made with it still verify while it is set.
    secret_key_previous: str = field(default_factory=lambda: _env("MAUZO_SECRET_KEY_PREVIOUS"), repr=False)
    # Embedding (docs/embedding.md): anonymous viewers get only signed /embed links; who may frame us.
    require_signed_embeds: bool = field(default_factory=lambda: _flag("MAUZO_REQUIRE_SIGNED_EMBEDS", False))
    frame_ancestors: str = field(default_factory=lambda: _env("MAUZO_FRAME_ANCESTORS").strip() or "'self'")
    referrer_policy: str = field(
        default_factory=lambda: _env("MAUZO_REFERRER_POLICY").strip() or "strict-origin-when-cross-origin")
    # Optional login for the whole app (docs/security.md): "" (off), "basic" (users file of hashed
    # passwords) or "proxy" (a reverse proxy authenticates and names the user in a header).
    auth: str = field(default_factory=lambda: _env("MAUZO_AUTH").strip().lower())
    users_file: str = field(default_factory=lambda: _env("MAUZO_USERS_FILE").strip())
    auth_proxy_header: str = field(
        default_factory=lambda: _env("MAUZO_AUTH_PROXY_HEADER").strip() or "X-Forwarded-User")
    # Bearer tokens for /api (comma separated) and/or a file of them (one per line, # comments).
    api_tokens: str = field(default_factory=lambda: _env("MAUZO_API_TOKENS"), repr=False)
    api_tokens_file: str = field(default_factory=lambda: _env("MAUZO_API_TOKENS_FILE").strip())
    # The Data page (docs/upload.md): an upload larger than this (MB, decimals allowed) is refused
    # before its body is read.
    max_upload_mb: float = field(default_factory=lambda: float(_env("MAUZO_MAX_UPLOAD_MB", "200")))
    log_level: str = field(default_factory=lambda: _env("MAUZO_LOG_LEVEL", "INFO").strip().upper() or "INFO")
    # Apache Druid (MAUZO_ENGINE=druid): every DRUID_* variable (router URL, auth, datasource,
    # timeouts, ingest method...), turned into DruidSettings by the engine registry; see docs/druid.md.
    druid_env: dict[str, str] = field(
        default_factory=lambda: {k: v for k, v in os.environ.items() if k.startswith("DRUID_")}, repr=False)
    # GraphQL (/api/graphql): the GraphiQL IDE (off unless asked for), introspection, and the limits a
    # query document must stay within (docs/graphql.md).
    graphql_ide: bool = field(default_factory=lambda: _flag("MAUZO_GRAPHQL_IDE", False))
    graphql_introspection: bool = field(default_factory=lambda: _flag("MAUZO_GRAPHQL_INTROSPECTION", True))
    graphql_max_depth: int = field(default_factory=lambda: int(_env("MAUZO_GRAPHQL_MAX_DEPTH", "6")))
    graphql_max_tokens: int = field(default_factory=lambda: int(_env("MAUZO_GRAPHQL_MAX_TOKENS", "1000")))
    graphql_max_aliases: int = field(default_factory=lambda: int(_env("MAUZO_GRAPHQL_MAX_ALIASES", "15")))
    title: str = "Mauzo"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def has_dev_secret(self) -> bool:
        """Whether the secret key is still the public development default (or empty)."""
        return self.secret_key.strip() in ("", DEV_SECRET_KEY)

    @property
    def druid_url(self) -> str | None:
        return self.druid_env.get("DRUID_URL", "").strip() or None

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        return cls(**overrides)  # type: ignore[arg-type]


def settings() -> Settings:
    """The settings of this process as the environment gives them now."""
    return Settings.from_env()
