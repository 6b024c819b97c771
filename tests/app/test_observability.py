"""Request ids and request logs on every request: API, Dash pages, callbacks and assets."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from flask import Flask

from app.observability import REQUEST_ID_HEADER, init_observability
from data.context import current_request_id


@pytest.fixture(scope="module")
def live_log(live_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared live server's log (``live_url`` writes it under a ``live*`` temp dir)."""
    (log,) = tmp_path_factory.getbasetemp().glob("live[0-9]*/server.log")
    return log


def _is_uuid4(value: str) -> bool:
    try:
        return uuid.UUID(value).version == 4 and str(uuid.UUID(value)) == value
    except ValueError:
        return False


def _request_lines(log: Path, request_id: str, timeout: float = 5.0) -> list[dict]:
    """The structured request-log lines for one request id (waits for the worker to write them)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()
                 if line.startswith("{") and request_id in line]
        found = [entry for entry in lines if entry.get("logger") == "mauzo.request"]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_sane_request_id_round_trips(http, live_url):
    response = http.get(live_url + "/api/kpis/summary", headers={REQUEST_ID_HEADER: "trace-ABC_123.x:y"}, timeout=30)
    assert response.headers[REQUEST_ID_HEADER] == "trace-ABC_123.x:y"
    assert response.json()["metadata"]["requestId"] == "trace-ABC_123.x:y"


@pytest.mark.parametrize("insane", ["a" * 129, "has space", "semi;colon", "quote'); DROP", "ünïcode", "*/ x /*"])
def test_insane_request_id_is_replaced_by_a_uuid(http, live_url, insane):
    response = http.get(live_url + "/api/health", headers={REQUEST_ID_HEADER: insane.encode()}, timeout=30)
    rid = response.headers[REQUEST_ID_HEADER]
    assert rid != insane and _is_uuid4(rid)
    assert response.json()["metadata"]["requestId"] == rid


def test_missing_request_id_gets_a_fresh_uuid_each_time(http, live_url):
    ids = {http.get(live_url + "/api/health", timeout=30).headers[REQUEST_ID_HEADER] for _ in range(3)}
    assert len(ids) == 3 and all(_is_uuid4(i) for i in ids)


@pytest.mark.parametrize("path", ["/", "/diagnostics", "/_dash-layout", "/_dash-dependencies", "/assets/mauzo.css",
                                  "/assets/no-such-file.css"])
def test_dash_requests_carry_request_ids(http, live_url, path):
    response = http.get(live_url + path, headers={REQUEST_ID_HEADER: "dash-" + path.strip("/").replace("/", "-")},
                        timeout=30)
    assert response.headers[REQUEST_ID_HEADER] == "dash-" + path.strip("/").replace("/", "-")


def test_one_json_log_line_per_api_request(http, live_url, live_log):
    rid = f"log-api-{uuid.uuid4().hex[:12]}"
    response = http.get(live_url + "/api/kpis/branches", params={"limit": 3}, headers={REQUEST_ID_HEADER: rid},
                        timeout=30)
    (line,) = _request_lines(live_log, rid)
    assert line["method"] == "GET" and line["path"] == "/api/kpis/branches" and line["status"] == 200
    assert line["rows"] == 3 == response.json()["metadata"]["rowCount"]
    assert line["cached"] is response.json()["metadata"]["cached"]
    assert isinstance(line["durationMs"], int | float) and line["durationMs"] >= 0
    assert line["level"] == "INFO" and line["ts"]


def test_error_requests_are_logged_with_their_status(http, live_url, live_log):
    rid = f"log-err-{uuid.uuid4().hex[:12]}"
    http.get(live_url + "/api/kpis/branches", params={"limit": -5}, headers={REQUEST_ID_HEADER: rid}, timeout=30)
    (line,) = _request_lines(live_log, rid)
    assert line["status"] == 400 and line["rows"] == 0


def test_dash_callbacks_get_request_ids_and_log_lines(http, live_url, live_log):
    deps = http.get(live_url + "/_dash-dependencies", timeout=30).json()
    route = next(d for d in deps if "_pages_content.children" in d["output"])
    payload = {
        "output": route["output"],
        "outputs": [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True))
                    for p in route["output"].strip(".").split("...")],
        "inputs": [{**i, "value": "/diagnostics" if i["property"] == "pathname" else ""} for i in route["inputs"]],
        "changedPropIds": ["_pages_location.pathname"],
        "state": route["state"],
    }
    rid = f"log-cb-{uuid.uuid4().hex[:12]}"
    response = http.post(live_url + "/_dash-update-component", json=payload, headers={REQUEST_ID_HEADER: rid},
                         timeout=30)
    assert response.status_code == 200 and response.headers[REQUEST_ID_HEADER] == rid
    (line,) = _request_lines(live_log, rid)
    assert line["path"] == "/_dash-update-component" and "_pages_content" in line["callback"]


def test_cached_flag_follows_the_result_cache(http, live_url, live_log):
    """Asking twice for the same view: the second answer comes from the cache when one works."""
    cache = http.get(live_url + "/api/health", timeout=30).json()["data"]["cache"]
    caching = cache["healthy"] and cache.get("status") == "ok"
    params = {"startDate": "2024-02-03", "endDate": "2024-09-17"}  # a view no other test asks for
    first = http.get(live_url + "/api/kpis/branches", params=params, timeout=30).json()["metadata"]
    second_id = f"log-cache-{uuid.uuid4().hex[:12]}"
    second = http.get(live_url + "/api/kpis/branches", params=params, headers={REQUEST_ID_HEADER: second_id},
                      timeout=30).json()["metadata"]
    assert first["cached"] is False
    assert second["cached"] is caching
    (line,) = _request_lines(live_log, second_id)
    assert line["cached"] is caching


def test_request_id_is_in_the_data_layer_context_only_during_the_request():
    """The id the engine tags its SQL with is the one the response carries, and is cleared after."""
    server = Flask(__name__)
    init_observability(server)
    server.add_url_rule("/whoami", "whoami", lambda: {"seen": current_request_id()})
    client = server.test_client()
    response = client.get("/whoami", headers={REQUEST_ID_HEADER: "ctx-7"})
    assert response.get_json() == {"seen": "ctx-7"} and response.headers[REQUEST_ID_HEADER] == "ctx-7"
    generated = client.get("/whoami")
    assert generated.get_json()["seen"] == generated.headers[REQUEST_ID_HEADER]
    assert current_request_id() is None
