"""Schemathesis against the live app, every operation of the OpenAPI document: no 5xx, and every
response (status, content type, headers, body) conforms to the document.

The schema is loaded from ``app.api.openapi`` at import (schemathesis' fixture-based loader
breaks on pytest 9: it writes ``node._nodeid``); ``test_served_document_is_this_one`` proves
it is the very document the live server serves.
"""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.api.openapi import openapi_document

MAX_EXAMPLES = int(os.environ.get("MAUZO_SCHEMATHESIS_EXAMPLES", "12"))
# Not ``positive_data_acceptance``: some schema-valid requests are refused on purpose and
# documented as 400 (a date before 1900, endDate before startDate).
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]

# Invalid data must be refused with a 4xx. 414 is among them: long repeated filters can exceed the
# HTTP server's request-line limit, which answers before the app does.
CONFIG = SchemathesisConfig.from_dict({"checks": {"negative_data_rejection": {
    "expected-statuses": [400, 401, 404, 405, 414]}}})

schema = schemathesis.openapi.from_dict(openapi_document(), config=CONFIG)


def test_served_document_is_this_one(http, live_url):
    assert http.get(live_url + "/api/openapi.json", timeout=30).json() == openapi_document()


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case, live_url):  # type: ignore[no-untyped-def]
    case.call_and_validate(base_url=live_url, checks=CHECKS, timeout=30)
