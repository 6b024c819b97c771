"""Servers for the API tests: the shared live app plus instances in other configurations.

Every server is the real app under gunicorn (``tests.live.running_app``); only the store or the
environment differs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from data.schema import STORAGE_FORMAT
from data.store import MANIFEST, Manifest
from tests.live import running_app

TOKENS = ("alpha-token-1234567890", "beta-token-0987654321")


@dataclass(frozen=True)
class Server:
    url: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="session")
def live_log(live_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared live server's log (``live_url`` writes it under a ``live*`` temp dir)."""
    (log,) = tmp_path_factory.getbasetemp().glob("live[0-9]*/server.log")
    return log


def _serve(tmp: pytest.TempPathFactory, data_dir: Path, name: str, env: dict[str, str] | None = None):
    log = tmp.mktemp(f"{name}-log") / "server.log"
    return running_app(data_dir, env=env, workers=1, log_path=log), log


@pytest.fixture(scope="session")
def token_server(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The demo store with ``MAUZO_API_TOKENS`` set."""
    ctx, log = _serve(tmp_path_factory, demo_store, "tokens", {"MAUZO_API_TOKENS": ",".join(TOKENS)})
    with ctx as url:
        yield Server(url, log)


@pytest.fixture(scope="session")
def token_file_server(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Tokens from ``MAUZO_API_TOKENS_FILE`` (comments and blank lines ignored)."""
    token_file = tmp_path_factory.mktemp("token-file") / "tokens.txt"
    token_file.write_text(f"# api tokens\n\n{TOKENS[1]}\n", encoding="utf-8")
    ctx, log = _serve(tmp_path_factory, demo_store, "token-file", {"MAUZO_API_TOKENS_FILE": str(token_file)})
    with ctx as url:
        yield Server(url, log)


@pytest.fixture(scope="session")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A store directory nobody has ingested into yet."""
    ctx, log = _serve(tmp_path_factory, tmp_path_factory.mktemp("empty-store"), "empty")
    with ctx as url:
        yield Server(url, log)


def build_broken_store(data_dir: Path) -> Path:
    """A readable snapshot whose ``sales`` table lacks the money columns: the store answers
    health checks but every figure query fails inside DuckDB (a real schema drift)."""
    snapshot = data_dir / "snapshots" / "000001-broken.duckdb"
    snapshot.parent.mkdir(parents=True)
    con = duckdb.connect(str(snapshot))
    con.execute("CREATE TABLE sales (sale_date DATE, branch VARCHAR)")
    con.execute("INSERT INTO sales VALUES ('2025-01-01', 'Nairobi CBD')")
    con.close()
    manifest = Manifest(version="000001-broken", snapshot="snapshots/000001-broken.duckdb", rows=1,
                        created_at="2025-01-01T00:00:00+00:00", storage_format=STORAGE_FORMAT)
    (data_dir / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    return data_dir


@pytest.fixture(scope="session")
def broken_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    ctx, log = _serve(tmp_path_factory, build_broken_store(tmp_path_factory.mktemp("broken-store")), "broken")
    with ctx as url:
        yield Server(url, log)
