"""Shared fixture of the pipeline tests: the process runner pointed at a real store of the public
CRM data (built once per module), and restored afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from data import service
from data.engines.duckdb_engine import DuckDBEngine
from tests.pipeline.crm_store import build_crm_store


@pytest.fixture(scope="module")
def crm_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBEngine]:
    engine = DuckDBEngine(build_crm_store(tmp_path_factory.mktemp("crm")))
    previous = service.get_runner()
    service.configure(engine)
    yield engine
    service.configure(previous.engine, previous.cache)
    engine.close()
