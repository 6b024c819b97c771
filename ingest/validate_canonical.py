"""Validate an already-canonical frame (demo data, or a parsed file) against ``SalesLine``."""

from __future__ import annotations

import polars as pl
from pandera.errors import SchemaErrors

from ingest.schema import CANONICAL_COLUMNS, SalesLine


def validate_canonical(frame: pl.DataFrame) -> pl.DataFrame | None:
    """Return Pandera's failure cases, or None when every row is valid."""
    try:
        SalesLine.validate(frame.select(CANONICAL_COLUMNS), lazy=True)
    except SchemaErrors as exc:
        return exc.failure_cases
    return None
