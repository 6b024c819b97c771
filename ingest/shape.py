"""Between reading and parsing: keep the rows a mapping asks for, and line the source columns up
under their canonical names (with mapping constants filling columns the file lacks)."""

from __future__ import annotations

import polars as pl

from ingest.headers import ColumnPlan
from ingest.mapping import Mapping
from ingest.report import Problem
from ingest.source import SourceTable


def apply_row_filters(table: SourceTable, mapping: Mapping) -> tuple[int, list[Problem]]:
    """Drop rows whose filter column value is not listed (e.g. only ``Won`` deals); returns how
    many rows were dropped."""
    problems: list[Problem] = []
    keep = pl.Series("keep", [True] * table.frame.height, dtype=pl.Boolean)
    for column, values in mapping.filters.items():
        if column not in table.frame.columns:
            problems.append(Problem(None, "mapping_column_missing",
                                    f"[filter] names column {column!r}, which the file does not have", 0))
            continue
        text = table.frame[column].cast(pl.String).str.strip_chars()
        keep = keep & text.is_in(list(values)).fill_null(False)
    dropped = int((~keep).sum())
    if dropped:
        table.frame = table.frame.filter(keep)
        table.lines = table.lines.filter(keep)
    return dropped, problems


def canonical_raw(table: SourceTable, plan: ColumnPlan, mapping: Mapping) -> pl.DataFrame:
    """One column per available canonical name, holding the source values unchanged."""
    height = table.frame.height
    columns = [table.frame[source].alias(target) for target, source in plan.sources.items()]
    columns += [pl.Series(target, [value] * height, dtype=pl.String)
                for target, value in mapping.constants.items() if target not in plan.sources]
    return pl.DataFrame(columns)
