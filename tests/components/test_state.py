"""The shared data state: empty, error (with the request id) and content, never a traceback."""

from __future__ import annotations

import pytest

from components.state import EMPTY_MESSAGE, NoData, render_section
from data.context import request_id_var
from data.errors import EngineUnavailable, InvalidFilter, QueryFailed
from tests.dash_tree import text_of


def _raise(exc: Exception):  # type: ignore[no-untyped-def]
    def build():  # type: ignore[no-untyped-def]
        raise exc
    return build


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (QueryFailed("boom /secret/path"), "The figures could not be computed."),
        (RuntimeError("internal detail"), "Something went wrong while building this view."),
        (EngineUnavailable("store at /srv/var is empty"), "The sales store is not available"),
        (InvalidFilter("bad", {"startDate": "expected YYYY-MM-DD"}), "startDate: expected YYYY-MM-DD"),
    ],
)
def test_failures_become_an_error_panel_with_the_request_id(exc, expected):
    token = request_id_var.set("req-123")
    try:
        out = render_section(_raise(exc))
    finally:
        request_id_var.reset(token)
    text = text_of(out)
    assert expected in text and "Request id: req-123" in text
    assert "/secret/path" not in text and "/srv/var" not in text and "internal detail" not in text
    assert out.to_plotly_json()["props"]["data-state"] == "error"


def test_empty_and_content():
    assert EMPTY_MESSAGE in text_of(render_section(_raise(NoData())))
    assert render_section(lambda: "figures") == "figures"
