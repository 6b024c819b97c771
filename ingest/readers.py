"""Read CSV, Excel (.xlsx) and Parquet files into a ``SourceTable``.

CSV and Excel cells come back as strings so parsing (and its error messages) happens in one
place, on the values as the user typed them. Parquet keeps its column types: a typed date or
number needs no parsing, and its rows are reported as ``row N`` (there are no lines).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from ingest.csv_reader import read_csv_bytes
from ingest.report import Problem
from ingest.source import ReadError, SourceTable

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}


def file_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in EXCEL_SUFFIXES:
        return "xlsx"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    raise ReadError(Problem(None, "file_type", f"unsupported file type {suffix!r}: use .csv, .xlsx or .parquet", 0))


def read_excel(path: Path, sheet: str | None = None) -> SourceTable:
    """First (or named) sheet; header on sheet row 1, so data row i sits on sheet row i + 2."""
    try:
        frame = pl.read_excel(path, sheet_name=sheet, infer_schema_length=0, drop_empty_rows=False,
                              raise_if_empty=False)
    except Exception as exc:  # fastexcel raises its own exception types
        raise ReadError(Problem(None, "unreadable", f"cannot read the workbook: {exc}", 0)) from None
    if frame.width == 0:
        raise ReadError(Problem(None, "empty_file", "the sheet is empty", 0))
    frame = frame.rename({c: c.strip() for c in frame.columns})
    lines = pl.int_range(2, frame.height + 2, eager=True, dtype=pl.Int64).alias("line")
    return SourceTable(frame, lines, "xlsx", "line", notes=[f"sheet {sheet or '(first)'}"])


def read_parquet(path: Path) -> SourceTable:
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # polars raises several kinds for a corrupt file
        raise ReadError(Problem(None, "unreadable", f"cannot read the Parquet file: {exc}", 0)) from None
    if frame.width == 0:
        raise ReadError(Problem(None, "empty_file", "the Parquet file has no columns", 0))
    lines = pl.int_range(1, frame.height + 1, eager=True, dtype=pl.Int64).alias("line")
    return SourceTable(frame, lines, "parquet", "row")


def read_source(
    path: Path,
    *,
    data: bytes | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    score: Callable[[list[str]], int] | None = None,
) -> SourceTable:
    """Read any supported file; blank rows are dropped (they still count for line numbers)."""
    kind = file_kind(path)
    if kind == "csv":
        return read_csv_bytes(data if data is not None else path.read_bytes(), encoding=encoding,
                              delimiter=delimiter, score=score)  # drops blank rows itself
    table = read_excel(path, sheet) if kind == "xlsx" else read_parquet(path)
    return table.drop_blank_rows()
