"""The uniform shape every reader returns, whatever the file format."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from ingest.report import Problem


class ReadError(Exception):
    """The file cannot be read as a table at all (empty, undecodable, ambiguous delimiter...)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass
class SourceTable:
    """A file's rows with their original headers, and where each row sits in the file.

    ``lines`` holds, per row, the 1-based file line (CSV; header is line 1), sheet row (XLSX) or
    row number (Parquet) so every report can point at the exact place to fix."""

    frame: pl.DataFrame
    lines: pl.Series
    kind: str  # csv | xlsx | parquet
    unit: str = "line"
    encoding: str | None = None
    delimiter: str | None = None
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    blank_rows: int = 0
    # Every cell is known to hold only printable characters (no control characters, tabs or line
    # breaks): the reader saw it in the bytes, and parsing need not look in each cell again.
    printable: bool = False

    def drop_blank_rows(self) -> SourceTable:
        """Remove rows whose every cell is empty or whitespace (they still count for line numbers)."""
        if self.frame.width == 0 or self.frame.height == 0:
            return self
        text = [pl.col(c).cast(pl.String).str.strip_chars().fill_null("") == "" for c in self.frame.columns]
        blank = self.frame.select(pl.all_horizontal(text).alias("blank"))["blank"]
        count = int(blank.sum())
        if count:
            keep = ~blank
            self.frame = self.frame.filter(keep)
            self.lines = self.lines.filter(keep)
            self.blank_rows += count
        return self
