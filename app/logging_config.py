"""The one logging configuration of the app: JSON lines on stderr, each tagged with the request id.

Why one module: gunicorn, Flask and our own loggers must agree on one format so operators can
grep a request id across the request line, its errors and the engine's SQL tags.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any

from app.config import Settings
from data.context import current_request_id

REQUEST_LOGGER = "mauzo.request"
ERROR_LOGGER = "mauzo.error"

# Attributes every LogRecord has; anything else was passed through ``extra=`` and is emitted.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {"message", "asctime"}
_HANDLER_NAME = "mauzo-json"


class RequestIdFilter(logging.Filter):
    """Stamp every record with the current request id, so Flask's own error logs carry it too."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "requestId", None):
            record.requestId = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; fields passed with ``extra=`` become top-level keys."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, separators=(",", ":"))


def configure_logging(level: str | None = None) -> None:
    """Install the JSON handler on the root logger once per process (safe to call again)."""
    root = logging.getLogger()
    if any(getattr(h, "name", None) == _HANDLER_NAME for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.name = _HANDLER_NAME
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(level or Settings.from_env().log_level)
