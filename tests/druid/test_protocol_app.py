"""Protocol tests of the whole app on the Druid engine (MAUZO_ENGINE=druid) against the local fake
Druid: the registry builds the engine from the settings, and Druid's failures reach REST clients
as typed envelopes (504 QUERY_TIMEOUT, 500 QUERY_FAILED, 503 ENGINE_UNAVAILABLE) with nothing leaked."""

from __future__ import annotations

import pytest

from app import create_app
from app.config import Settings
from data.engines.druid_engine import DruidEngine
from data.service import RUNNER_EXTENSION
from tests.druid.fake_druid import FakeDruid, closed_port, error_reply


def _client(tmp_path, url: str):  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path, engine="druid", cache_backend="none", redis_url=None,
                        druid_env={"DRUID_URL": url, "DRUID_TIMEOUT_S": "0.5", "DRUID_CONNECT_TIMEOUT_S": "0.5"})
    app = create_app(settings)
    assert isinstance(app.server.extensions[RUNNER_EXTENSION].engine, DruidEngine)
    return app.server.test_client()


@pytest.mark.parametrize(("reply", "status", "code"), [
    (error_reply(504, "druidException", "Query [q] timed out. SECRET-DETAIL", "TIMEOUT", "legacyQueryException"),
     504, "QUERY_TIMEOUT"),
    (error_reply(400, "druidException", "Column 'x' not found. SECRET-DETAIL", "INVALID_INPUT", "invalidInput"),
     500, "QUERY_FAILED"),
])
def test_druid_failures_become_typed_envelopes(tmp_path, druid: FakeDruid, reply, status, code):
    druid.sql = lambda body: reply
    response = _client(tmp_path, druid.url).get("/api/kpis/summary", headers={"X-Request-ID": "druid-err-1"})
    body = response.get_json()
    assert response.status_code == status and body["error"]["code"] == code
    assert "SECRET-DETAIL" not in response.get_data(as_text=True) and "druid-err-1" in body["error"]["message"]


def test_an_unreachable_router_is_503(tmp_path):
    response = _client(tmp_path, f"http://127.0.0.1:{closed_port()}").get("/api/kpis/branches")
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "ENGINE_UNAVAILABLE"


def test_druid_needs_a_url(tmp_path):
    with pytest.raises(ValueError, match="DRUID_URL"):
        create_app(Settings(data_dir=tmp_path, engine="druid", cache_backend="none", redis_url=None, druid_env={}))
