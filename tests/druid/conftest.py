"""Fixtures for the Druid protocol tests: a fake Druid on a random local port and settings for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from data.engines.druid_client import DruidSettings
from tests.druid.fake_druid import FakeDruid


@pytest.fixture
def druid() -> Iterator[FakeDruid]:
    with FakeDruid() as fake:
        yield fake


@pytest.fixture
def settings(druid: FakeDruid) -> DruidSettings:
    return DruidSettings(url=druid.url, timeout_s=2.0, connect_timeout_s=1.0, version_ttl_s=60.0)
