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
from ingest.report import Problem, truncate, visible
from ingest.sniff import describe, describe_binary, read_head
from ingest.source import ReadError, SourceTable

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
UNSUPPORTED_HINTS = {
    ".xls": "an old Excel 97-2003 workbook; open it in Excel and save it as .xlsx or CSV",
    ".ods": "an OpenDocument spreadsheet; save it as .xlsx or CSV",
    ".zip": "extract it first and ingest the file inside",
    ".gz": "decompress it first and ingest the file inside",
    ".json": "export CSV instead",
}


def file_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in EXCEL_SUFFIXES:
        return "xlsx"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    hint = f" ({UNSUPPORTED_HINTS[suffix]})" if suffix in UNSUPPORTED_HINTS else ""
    shown = repr(suffix) if suffix else "(none)"
    raise ReadError(Problem(None, "file_type", f"unsupported file type {shown}: use .csv, .xlsx or .parquet{hint}",
                            0))


def _content_problem(message: str) -> ReadError:
    return ReadError(Problem(None, "file_content", message, 0))


def _error_text(exc: Exception) -> str:
    """An exception from a reader library as one short line (they can quote whole cells)."""
    return visible(truncate(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, 200))


def check_content(path: Path, kind: str) -> None:
    """Refuse an .xlsx or .parquet name whose bytes are something else, saying what they are.

    (CSV content is checked by ``read_csv_bytes``, which has the bytes in hand.)"""
    if kind == "csv":
        return
    head = read_head(path)
    if kind == "xlsx":
        found = describe_binary(head, path) if head.startswith(b"PK") else None
        if found is None:
            what = describe(head, path)
            action = "rename it to .csv" if what.startswith("text") else "save it as .xlsx or export CSV"
            raise _content_problem(f"the file is named {path.suffix} but looks like {what}, not an .xlsx "
                                   f"workbook; {action}")
        if not found[0].startswith("an .xlsx workbook"):
            raise _content_problem(f"the file is named {path.suffix} but looks like {found[0]}; {found[1]}")
    if kind == "parquet" and not head.startswith(b"PAR1"):
        what = describe(head, path)
        action = "rename it to .csv" if what.startswith("text") else "export Parquet or CSV again"
        raise _content_problem(f"the file is named {path.suffix} but looks like {what}, not Parquet; {action}")


def read_excel(path: Path, sheet: str | None = None) -> SourceTable:
    """First (or named) sheet; header on sheet row 1, so data row i sits on sheet row i + 2."""
    try:
        frame = pl.read_excel(path, sheet_name=sheet, infer_schema_length=0, drop_empty_rows=False,
                              raise_if_empty=False)
    except Exception as exc:  # fastexcel raises its own exception types
        raise ReadError(Problem(None, "unreadable", f"cannot read the workbook: {_error_text(exc)}", 0)) from None
    if frame.width == 0:
        raise ReadError(Problem(None, "empty_file", "the sheet is empty", 0))
    frame = frame.rename({c: c.strip() for c in frame.columns})
    lines = pl.int_range(2, frame.height + 2, eager=True, dtype=pl.Int64).alias("line")
    return SourceTable(frame, lines, "xlsx", "line", notes=[f"sheet {sheet or '(first)'}"])


def read_parquet(path: Path) -> SourceTable:
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # polars raises several kinds for a corrupt file
        raise ReadError(Problem(None, "unreadable", f"cannot read the Parquet file: {_error_text(exc)}", 0)) from None
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
    check_content(path, kind)
    if kind == "csv":
        return read_csv_bytes(data if data is not None else path.read_bytes(), encoding=encoding,
                              delimiter=delimiter, score=score)  # drops blank rows itself
    table = read_excel(path, sheet) if kind == "xlsx" else read_parquet(path)
    return table.drop_blank_rows()
