"""Protocol tests for ``POST /druid/v2/sql``: what the client sends and how it reads answers.

The server is ``FakeDruid`` (a local HTTP server), not Druid: these tests pin the wire protocol
documented in Druid's SQL API, they do not prove Druid accepts the SQL (that is ``test_live``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import logging
import time

import polars as pl
import pytest

from data.context import request_id_var
from data.engines.base import CompiledQuery
from data.engines.druid_client import DruidClient, DruidSettings, druid_parameter
from data.engines.druid_engine import DruidEngine
from data.errors import EngineUnavailable, QueryFailed, QueryTimeout
from tests.druid.fake_druid import FakeDruid, Reply, array_lines, closed_port, error_reply, sql_reply

BRANCHES = ("Mombasa Road", "Kisumu O'Neil")  # a quote, so pasting it into SQL would show
LEADERBOARD = CompiledQuery(
    name="breakdown.salesperson",
    sql=("SELECT salesperson, COALESCE(SUM(revenue_e4), 0) AS revenue, COUNT(*) AS lines FROM \"sales_analytics\" "
         "WHERE __time >= CAST(? AS TIMESTAMP) AND __time <= CAST(? AS TIMESTAMP) AND branch IN (?, ?) "
         "GROUP BY salesperson ORDER BY revenue DESC, salesperson ASC LIMIT ?"),
    params=(dt.date(2025, 1, 1), dt.date(2025, 6, 30), *BRANCHES, 10),
)
ROWS = [["Achieng", 12_345_678_901_234, 3], ["Baraka", 0, 1]]
LEADERBOARD_REPLY = sql_reply([("salesperson", "STRING", "VARCHAR"), ("revenue", "LONG", "BIGINT"),
                               ("lines", "LONG", "BIGINT")], ROWS)


def test_leaderboard_request_is_typed_parameters_and_context(druid: FakeDruid, settings: DruidSettings) -> None:
    druid.sql = lambda body: LEADERBOARD_REPLY
    token = request_id_var.set("req-42")
    try:
        DruidEngine(settings).execute(LEADERBOARD)
    finally:
        request_id_var.reset(token)

    (sent,) = druid.of("POST", "/druid/v2/sql")
    assert sent.headers["content-type"] == "application/json"
    body = sent.json
    assert body["parameters"] == [
        {"type": "TIMESTAMP", "value": "2025-01-01T00:00:00.000Z"},
        {"type": "TIMESTAMP", "value": "2025-06-30T00:00:00.000Z"},
        {"type": "VARCHAR", "value": "Mombasa Road"},
        {"type": "VARCHAR", "value": "Kisumu O'Neil"},
        {"type": "BIGINT", "value": 10},
    ]
    assert (body["resultFormat"], body["header"], body["typesHeader"], body["sqlTypesHeader"]) == (
        "arrayLines", True, True, True)
    context = body["context"]
    assert context["sqlQueryId"].startswith("req-42:breakdown.salesperson:")
    assert context["timeout"] == 2000
    assert context["sqlTimeZone"] == "Etc/UTC"
    assert context["useApproximateCountDistinct"] is False
    assert context["useGroupingSetForExactDistinct"] is True
    assert context["useApproximateTopN"] is False
    assert body["query"] == LEADERBOARD.sql  # sent as compiled: no value was pasted into it
    for value in (*BRANCHES, "Kisumu", "2025-01-01", "2025-06-30"):
        assert value not in body["query"]
    assert body["query"].count("?") == len(body["parameters"])


def test_the_sales_table_is_the_configured_datasource(settings: DruidSettings) -> None:
    assert DruidEngine(settings).table_name("sales") == '"sales_analytics"'
    custom = DruidEngine(DruidSettings(url=settings.url, datasource="shop_2"))
    assert custom.table_name("sales") == '"shop_2"' and custom.table_name("crm") == '"crm"'


def test_each_query_gets_its_own_druid_query_id(druid: FakeDruid, settings: DruidSettings) -> None:
    """Druid cancels every query sharing an id, so ids must not repeat within a request."""
    druid.sql = lambda body: LEADERBOARD_REPLY
    engine = DruidEngine(settings)
    engine.execute(LEADERBOARD)
    engine.execute(LEADERBOARD)
    ids = [r.json["context"]["sqlQueryId"] for r in druid.of("POST", "/druid/v2/sql")]
    assert len(set(ids)) == 2 and all(i.startswith("mauzo:") for i in ids)


def test_basic_auth_header_only_when_configured(druid: FakeDruid) -> None:
    druid.health_reply = Reply(body=b"true")
    DruidClient(DruidSettings(url=druid.url, user="mauzo", password="s3cret:x")).health()
    DruidClient(DruidSettings(url=druid.url)).health()
    with_auth, without = druid.of("GET", "/status/health")
    assert with_auth.basic_auth == ("mauzo", "s3cret:x")
    assert "authorization" not in without.headers


def test_settings_never_show_the_password() -> None:
    settings = DruidSettings(url="http://router:8888", user="mauzo", password="s3cret")
    assert "s3cret" not in repr(settings)


def test_results_become_typed_frames(druid: FakeDruid, settings: DruidSettings) -> None:
    druid.sql = lambda body: sql_reply(
        [("period", "LONG", "TIMESTAMP"), ("branch", "STRING", "VARCHAR"), ("revenue", "LONG", "BIGINT"),
         ("units", "DOUBLE", "DOUBLE"), ("first_sale", "LONG", "TIMESTAMP")],
        [["2025-02-01T00:00:00.000Z", "Mombasa", 9_007_199_254_740_993, 2.5, "2025-02-03T00:00:00.000Z"],
         ["2025-03-01T00:00:00.000Z", None, -40_000, 0, None]])
    frame = DruidEngine(settings).execute(CompiledQuery("trend", "SELECT 1"))
    assert frame.schema == pl.Schema({"period": pl.Date, "branch": pl.String, "revenue": pl.Int64,
                                      "units": pl.Float64, "first_sale": pl.Date})
    assert frame.row(0) == (dt.date(2025, 2, 1), "Mombasa", 9_007_199_254_740_993, 2.5, dt.date(2025, 2, 3))
    assert frame.row(1) == (dt.date(2025, 3, 1), None, -40_000, 0.0, None)  # 2**53 + 1 stays exact


def test_an_empty_result_keeps_its_columns_and_types(druid: FakeDruid, settings: DruidSettings) -> None:
    druid.sql = lambda body: sql_reply([("salesperson", "STRING", "VARCHAR"), ("revenue", "LONG", "BIGINT")], [])
    frame = DruidEngine(settings).execute(LEADERBOARD)
    assert frame.is_empty()
    assert frame.schema == pl.Schema({"salesperson": pl.String, "revenue": pl.Int64})


@pytest.mark.parametrize("reply", [
    pytest.param(Reply(body=array_lines(["a"], ["LONG"], ["BIGINT"], [[1], [2]], complete=False),
                       content_type="text/plain"), id="no-final-blank-line"),
    pytest.param(Reply(body=array_lines(["a"], ["LONG"], ["BIGINT"], [[1], [2]]),
                       content_type="text/plain", cut_after=30), id="connection-dropped"),
    pytest.param(Reply(body=array_lines(["a"], ["LONG"], ["BIGINT"], [[1], [2]]), content_type="text/plain",
                       chunked=True, cut_after=30), id="chunked-stream-dropped"),
    pytest.param(Reply(body=b'["a"]\n["LONG"]\n\n', content_type="text/plain"), id="header-incomplete"),
])
def test_a_truncated_stream_is_an_error_never_a_short_result(druid: FakeDruid, settings: DruidSettings,
                                                              reply: Reply) -> None:
    druid.sql = lambda body: reply
    with pytest.raises(QueryFailed) as raised:
        DruidEngine(settings).execute(LEADERBOARD)
    assert not isinstance(raised.value, QueryTimeout)


def test_a_complete_stream_cut_only_by_the_test_would_parse(druid: FakeDruid, settings: DruidSettings) -> None:
    """The same rows, sent whole, are read: the truncation cases above fail for the cut alone."""
    druid.sql = lambda body: Reply(body=array_lines(["a"], ["LONG"], ["BIGINT"], [[1], [2]]),
                                   content_type="text/plain", chunked=True)
    assert DruidEngine(settings).execute(LEADERBOARD)["a"].to_list() == [1, 2]


def test_druid_error_bodies_are_typed_and_druids_message_only_logged(
        druid: FakeDruid, settings: DruidSettings, caplog: pytest.LogCaptureFixture) -> None:
    secret = "Column 'revenue_e4' not found in table 'sales_analytics'"
    druid.sql = lambda body: error_reply(400, "druidException", secret, "INVALID_INPUT", "invalidInput")
    with caplog.at_level(logging.WARNING, logger="mauzo.druid"), pytest.raises(QueryFailed) as raised:
        DruidEngine(settings).execute(LEADERBOARD)
    assert type(raised.value) is QueryFailed
    assert secret not in str(raised.value) and "HTTP 400" in str(raised.value)
    (record,) = [r for r in caplog.records if r.name == "mauzo.druid"]
    assert secret in record.getMessage()
    assert record.druidQueryId == druid.requests[-1].json["context"]["sqlQueryId"]
    assert record.druidCategory == "INVALID_INPUT"


@pytest.mark.parametrize(("reply", "error"), [
    (error_reply(504, "druidException", "Query [x] timed out.", "TIMEOUT", "legacyQueryException"), QueryTimeout),
    (Reply(status=500, body=json.dumps({"error": "Query timeout", "errorMessage": "timed out",
                                        "errorClass": "org.apache.druid.query.QueryTimeoutException"}).encode()),
     QueryTimeout),
    (error_reply(500, "druidException", "NullPointerException", "DEFENSIVE"), QueryFailed),
    (error_reply(429, "druidException", "Too many concurrent queries", "CAPACITY_EXCEEDED"), QueryFailed),
    (error_reply(401, "druidException", "Unauthorized", "UNAUTHORIZED"), QueryFailed),
    (Reply(status=503, body=b"<html>no broker</html>", content_type="text/html"), EngineUnavailable),
    (Reply(status=502, body=b"", content_type="text/html"), EngineUnavailable),
])
def test_status_and_body_map_to_error_types(druid: FakeDruid, settings: DruidSettings, reply: Reply,
                                            error: type[Exception]) -> None:
    druid.sql = lambda body: reply
    with pytest.raises(error) as raised:
        DruidEngine(settings).execute(LEADERBOARD)
    assert type(raised.value) is error


def test_no_answer_in_time_is_a_query_timeout(druid: FakeDruid) -> None:
    settings = DruidSettings(url=druid.url, timeout_s=0.3, connect_timeout_s=1.0)
    druid.sql = lambda body: Reply(body=b"", delay_s=1.5)
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        DruidEngine(settings).execute(LEADERBOARD)
    assert time.monotonic() - started < 1.4  # gave up after timeout + grace (0.6 s), not at the reply


def test_a_stream_that_stalls_mid_body_is_a_query_timeout(druid: FakeDruid) -> None:
    settings = DruidSettings(url=druid.url, timeout_s=0.3, connect_timeout_s=1.0)
    druid.sql = lambda body: Reply(body=LEADERBOARD_REPLY.body, content_type="text/plain", stall_after=20,
                                   stall_s=1.5)
    with pytest.raises(QueryTimeout):
        DruidEngine(settings).execute(LEADERBOARD)


def test_connection_refused_is_engine_unavailable() -> None:
    settings = DruidSettings(url=f"http://127.0.0.1:{closed_port()}", timeout_s=1.0, connect_timeout_s=0.5)
    started = time.monotonic()
    with pytest.raises(EngineUnavailable):
        DruidEngine(settings).execute(LEADERBOARD)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(("value", "expected"), [
    ("Nairobi", {"type": "VARCHAR", "value": "Nairobi"}),
    (7, {"type": "BIGINT", "value": 7}),
    (2.5, {"type": "DOUBLE", "value": 2.5}),
    (True, {"type": "BOOLEAN", "value": True}),
    (None, {"type": "VARCHAR", "value": None}),
    (dt.date(2024, 2, 29), {"type": "TIMESTAMP", "value": "2024-02-29T00:00:00.000Z"}),
    (dt.datetime(2024, 2, 29, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=3))),
     {"type": "TIMESTAMP", "value": "2024-02-29T20:30:00.000Z"}),
    (["a", "b"], {"type": "ARRAY", "value": ["a", "b"]}),
])
def test_parameter_types(value: object, expected: dict) -> None:
    assert druid_parameter(value) == expected


@pytest.mark.parametrize("value", [decimal.Decimal("1.5"), b"x", float("nan"), 2**63, [dt.date(2024, 1, 1)]])
def test_values_without_a_safe_druid_type_are_refused_before_sending(druid: FakeDruid, settings: DruidSettings,
                                                                     value: object) -> None:
    with pytest.raises(TypeError):
        DruidEngine(settings).execute(CompiledQuery("q", "SELECT ?", (value,)))
    assert druid.requests == []
