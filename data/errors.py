"""Typed errors of the data layer, so callers can tell bad input from a broken store."""

from __future__ import annotations


class DataLayerError(Exception):
    """Base class for every error raised by the data layer."""

    code = "INTERNAL"


class InvalidFilter(DataLayerError):
    """A filter value is malformed (bad date, end before start, unknown dimension...).

    ``details`` maps each offending argument to a human explanation.
    """

    code = "INVALID_ARGUMENT"

    def __init__(self, message: str, details: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.details = details or {}


class EngineUnavailable(DataLayerError):
    """The store cannot be reached or holds no data yet."""

    code = "ENGINE_UNAVAILABLE"


class QueryFailed(DataLayerError):
    """The engine accepted the connection but the query failed."""

    code = "QUERY_FAILED"


class QueryTimeout(QueryFailed):
    """The engine gave up on the query (or never answered) within the configured time.

    A subclass of ``QueryFailed`` so code that handles failed queries also handles this one;
    the REST API can still tell it apart (504 ``QUERY_TIMEOUT``)."""

    code = "QUERY_TIMEOUT"
