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
    secret_key: str = field(default_factory=lambda: os.environ.get("MAUZO_SECRET_KEY", "mauzo-dev-secret"))
    title: str = "Mauzo"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        return cls(**overrides)  # type: ignore[arg-type]
