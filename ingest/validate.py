"""Run the canonical Pandera model on parsed rows and turn its failure cases into ``Problem``s.

Pandera reports failures by row position in the frame it saw; the caller passes the file line of
each of those rows and the raw text, so the report can say ``line 1,204: sale_date = "2031-01-01"``.
"""

from __future__ import annotations

import polars as pl

from ingest.report import MAX_EXAMPLES, Problem
from ingest.schema import today
from ingest.validate_canonical import validate_canonical


def _message(check: str) -> str:
    if check == "not_in_future":
        return f"date in the future (after {today().isoformat()})"
    if check == "not_before_1990":
        return "date before 1990 (a two-digit year read as four digits?)"
    if check.startswith("in_range"):
        return "value out of the plausible range"
    if check.startswith("str_length"):
        return "text too long (or empty)"
    if check == "not_nullable":
        return "value missing"
    return f"failed check {check}"


def check_rows(frame: pl.DataFrame, lines: pl.Series, raw: pl.DataFrame, unit: str) -> list[Problem]:
    """Schema checks on rows that parsed cleanly; returns one problem per (column, check)."""
    failures = validate_canonical(frame)
    if failures is None:
        return []
    problems: list[Problem] = []
    schema_level = failures.filter(pl.col("index").is_null())
    for row in schema_level.iter_rows(named=True):
        problems.append(Problem(row["column"], row["check"], f"schema: {row['failure_case']}", 0))
    row_level = (
        failures.filter(pl.col("index").is_not_null())
        .group_by("column", "check", maintain_order=True)
        .agg(pl.col("index").unique().sort().alias("rows"), pl.col("failure_case").alias("cases"))
    )
    for row in row_level.iter_rows(named=True):
        column, rows = row["column"], row["rows"]
        examples = []
        for position in rows[:MAX_EXAMPLES]:
            value = raw[column][position] if column in raw.columns else str(frame[column][position])
            examples.append((int(lines[position]), value))
        problems.append(Problem(column, row["check"], _message(row["check"]), len(rows), examples, unit))
    return problems
