"""CSV formula-injection defence, the one rule used by every CSV the app writes (dashboard
downloads in ``components.exports`` and ``/api/...?format=csv`` in ``app.api.envelope``).

Names come from ingested files: a salesperson called ``=1+1`` or a product line called
``=HYPERLINK("http://evil","x")`` would run as a formula when the CSV is opened in a spreadsheet.
As OWASP recommends (CSV Injection), a *text* cell that starts with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return gets a leading single quote, so spreadsheets show it as text. Only text
is touched: numbers (negative ones too) stay numbers; a text cell "-5" from a name column is text
and is neutralised. The Excel export needs none of this (it writes strings as strings).
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

FORMULA_START = re.compile(r"^[=+\-@\t\r]")
QUOTE = "'"


def safe_text(text: str) -> str:
    """``text`` made inert for spreadsheets (unchanged unless it starts like a formula)."""
    return QUOTE + text if FORMULA_START.match(text) else text


def safe_cell(value: Any) -> Any:
    """A CSV cell value: text neutralised, every other type returned as is."""
    return safe_text(value) if isinstance(value, str) else value


def safe_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column (String, Categorical, Enum) neutralised; other columns untouched."""
    text_columns = [name for name, dtype in frame.schema.items()
                    if dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum)]
    return frame.with_columns(
        pl.when(pl.col(name).cast(pl.String).str.contains(FORMULA_START.pattern))
        .then(pl.lit(QUOTE) + pl.col(name).cast(pl.String))
        .otherwise(pl.col(name).cast(pl.String))
        .alias(name)
        for name in text_columns
    )
