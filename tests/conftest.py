"""Shared fixtures: small real stores built from the demo generator or hand-written lines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
import requests

from data import service
from data.engines.duckdb_engine import DuckDBEngine
from ingest.demo import generate
from ingest.storage import commit_lines

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
DEMO_END = dt.date(2025, 6, 30)


def build_store(data_dir: Path, frame: pl.DataFrame, mode: str = "replace", name: str = "fixture") -> Path:
    """Commit canonical lines into a real store under ``data_dir``."""
    commit_lines(frame, data_dir=data_dir, file_name=name, sha256=f"sha-{name}-{frame.height}", mode=mode)
    return data_dir


@pytest.fixture(scope="session")
def demo_frame() -> pl.DataFrame:
    """20k deterministic demo lines ending on a fixed date (tests never depend on today)."""
    return generate(rows=20_000, seed=11, end=DEMO_END)


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory, demo_frame: pl.DataFrame) -> Path:
    """A real DuckDB snapshot store holding ``demo_frame``; treat it as read-only."""
    return build_store(tmp_path_factory.mktemp("demo-store"), demo_frame, name="demo")


@pytest.fixture
def demo_engine(demo_store: Path) -> Iterator[DuckDBEngine]:
    """The process-wide runner pointed at the demo store, uncached."""
    engine = DuckDBEngine(demo_store)
    service.configure(engine)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def live_url(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app served by gunicorn (2 workers) over the demo store, for the whole session."""
    from tests.live import running_app

    log = tmp_path_factory.mktemp("live") / "server.log"
    with running_app(demo_store, log_path=log) as url:
        yield url


@pytest.fixture(scope="session")
def http() -> Iterator[requests.Session]:
    """An HTTP client for the live servers. Each request on a new connection: gunicorn closes an
    idle keep-alive connection after two seconds, and a request sent on it at that moment fails
    with "Remote end closed connection" (seen under load), which no test is about."""
    with requests.Session() as session:
        session.headers["Connection"] = "close"
        yield session
