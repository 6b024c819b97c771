"""The ingest CLI hands freed memory back promptly: jemalloc (Polars' allocator) gets its decay
settings before Polars loads, valid (jemalloc warns about any pair it does not know), and a
setting the user made is kept."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO_ROOT

PROBE = ("import ingest, os, polars as pl; pl.DataFrame({'a': list(range(1000))}).sum(); "
         "print(os.environ['_RJEM_MALLOC_CONF'])")


def _probe(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, cwd=REPO_ROOT,
                          env=env)


def test_importing_ingest_sets_a_valid_decay_before_polars_loads() -> None:
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    out = _probe(env)
    assert out.stdout.strip().endswith(",background_thread:true,muzzy_decay_ms:0") and "jemalloc" not in out.stderr


def test_a_users_own_setting_is_kept() -> None:
    out = _probe({**os.environ, "_RJEM_MALLOC_CONF": "dirty_decay_ms:5000"})
    assert out.stdout.strip().endswith(",dirty_decay_ms:5000") and "background_thread" not in out.stdout
    assert "jemalloc" not in out.stderr
