"""CSV -> all-string Polars frame, plus the file line number where each record starts.

Polars parses quickly but cannot say which file line a row came from, and quoted fields may span
lines. So the record boundaries are found separately with NumPy: a line feed ends a record only
when an even number of quote characters precede it (doubled quotes keep the parity). The two
views are cross-checked (same record count); if they disagree, e.g. on a stray quote in the
middle of a field, the file is parsed again with Python's ``csv`` module, which is slower but
yields both the values and the line numbers from one parser.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl

from ingest.encoding import DecodeFailure, decode
from ingest.report import MAX_EXAMPLES, Problem, visible
from ingest.sniff import HEAD_BYTES, describe_binary
from ingest.source import ReadError, SourceTable

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
SNIFF_BYTES = 256 * 1024
# A header row is a few hundred bytes; a first line longer than this is not a header (a file with
# no line breaks, or not a table at all). It is refused before Python's csv module sees it.
MAX_HEADER_BYTES = 64 * 1024
# Python's csv module refuses fields over 128 KiB by default ("field larger than field limit").
# Cells are bounded by the checks after parsing instead, where they are reported with their line.
CSV_FIELD_LIMIT = 1 << 30
QUOTE = 34
LF = 10


@dataclass(frozen=True)
class RecordScan:
    """Per data record (header excluded): its first file line, field count and byte span."""

    first_line: np.ndarray
    fields: np.ndarray
    starts: np.ndarray
    ends: np.ndarray


def _count_outside_quotes(text: str, char: str) -> int:
    count, quoted = 0, False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch == char and not quoted:
            count += 1
    return count


def _reader(source: Iterable[str], delimiter: str) -> Iterator[list[str]]:
    csv.field_size_limit(CSV_FIELD_LIMIT)
    return csv.reader(source, delimiter=delimiter, strict=False)


def _split_header(line: str, delimiter: str) -> list[str]:
    return next(_reader([line], delimiter), [])


def _sample_records(text: str, delimiter: str) -> list[list[str]]:
    rows = [r for r in _reader(io.StringIO(text, newline=""), delimiter) if r]
    return rows[:-1] if len(rows) > 2 else rows  # the last record may be cut off by the sample


def sniff_delimiter(sample: str, score: Callable[[list[str]], int] | None = None) -> str | None:
    """Pick the delimiter from the header line and the first records; None for a single column.

    A delimiter qualifies when it appears in the header and splits every sampled record into as
    many fields as the header. One qualifier wins; among several, the one whose header names
    ``score`` recognises best wins; a tie is refused rather than guessed."""
    header = sample.split("\n", 1)[0]
    present = [d for d in DELIMITERS if _count_outside_quotes(header, d) > 0]
    if len(present) <= 1:
        return present[0] if present else None
    consistent = []
    for delim in present:
        rows = _sample_records(sample, delim)
        width = len(rows[0])
        if width > 1 and all(len(r) == width for r in rows):
            consistent.append(delim)
    candidates = consistent or present
    if len(candidates) == 1:
        return candidates[0]
    if score is not None:
        scored = sorted(((score(_split_header(header, d)), d) for d in candidates), reverse=True)
        if scored[0][0] > scored[1][0]:
            return scored[0][1]
    names = " and ".join(DELIMITER_NAMES[d] for d in candidates)
    raise ReadError(Problem(
        None, "delimiter",
        f"cannot tell the delimiter: the header splits cleanly on {names}; "
        "set delimiter in a mapping file or pass --delimiter",
    ))


# The scan reads the bytes in pieces of this size, so its temporary masks stay a few MB (a 1 GB
# file once needed several GB of masks and offsets) and each piece is counted while in cache.
SCAN_CHUNK = 1 << 24


def _offsets(arr: np.ndarray, byte: int) -> np.ndarray:
    """Sorted offsets of ``byte`` in ``arr``, found piece by piece."""
    parts = [np.flatnonzero(arr[pos:pos + SCAN_CHUNK] == byte) + pos for pos in range(0, arr.size, SCAN_CHUNK)]
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def _unquoted(found: np.ndarray, quotes: np.ndarray) -> np.ndarray:
    """The offsets not inside a quoted field (an even number of quote characters precede them)."""
    return found[np.searchsorted(quotes, found) % 2 == 0] if quotes.size else found


def _count_before(arr: np.ndarray, byte: int, quotes: np.ndarray, marks: np.ndarray) -> np.ndarray:
    """For each sorted offset in ``marks``, how many ``byte`` outside quoted fields come before it.
    Piece by piece, so the offsets of every delimiter (ten per line) are never all held at once."""
    out = np.empty(marks.size, dtype=np.int64)
    seen = 0
    for pos in range(0, arr.size, SCAN_CHUNK):
        found = _unquoted(np.flatnonzero(arr[pos:pos + SCAN_CHUNK] == byte) + pos, quotes)
        low, high = np.searchsorted(marks, (pos, pos + SCAN_CHUNK))
        out[low:high] = seen + np.searchsorted(found, marks[low:high])
        seen += found.size
    out[np.searchsorted(marks, arr.size):] = seen
    return out


def scan_records(body: bytes, delimiter: str, first_line: int) -> RecordScan:
    """Record boundaries and field counts of ``body`` (header first), vectorized."""
    arr = np.frombuffer(body, dtype=np.uint8)
    newlines = _offsets(arr, LF)
    quotes = _offsets(arr, QUOTE) if body.find(b'"') >= 0 else np.empty(0, dtype=np.int64)
    if quotes.size:
        closing = np.searchsorted(quotes, newlines) % 2 == 0
        line_index = np.flatnonzero(closing)
        terminators = newlines[closing]
    else:
        line_index = np.arange(newlines.size)
        terminators = newlines
    starts = np.concatenate([[0], terminators + 1])
    ends = np.concatenate([terminators, [arr.size]])
    lines = np.concatenate([[0], line_index + 1]) + first_line
    if starts[-1] >= arr.size:  # the file ends with a line feed: no record after it
        starts, ends, lines = starts[:-1], ends[:-1], lines[:-1]
    # A record's delimiters: those before its end less those before its start (its start follows
    # the previous record's line feed, so both counts come from the ends).
    before_end = _count_before(arr, ord(delimiter), quotes, ends)
    fields = np.diff(before_end, prepend=0) + 1
    fields[ends == starts] = 0
    return RecordScan(lines[1:], fields[1:], starts[1:], ends[1:])


def _fast_parse(body: bytes, delimiter: str, header: list[str], first_line: int) -> tuple[pl.DataFrame, RecordScan]:
    frame = pl.read_csv(
        io.BytesIO(body), separator=delimiter, has_header=True, infer_schema=False,
        quote_char='"', truncate_ragged_lines=True, raise_if_empty=False,
    )
    scan = scan_records(body, delimiter, first_line)
    if frame.height != scan.first_line.size or frame.width != len(header):
        raise ValueError("record boundaries disagree")
    frame.columns = header
    return frame, scan


def _slow_parse(body: bytes, delimiter: str, header: list[str], first_line: int) -> tuple[pl.DataFrame, np.ndarray,
                                                                                       np.ndarray, list[str]]:
    """Python's csv module: one parser for values and line numbers (used when the fast path disagrees)."""
    reader = _reader(io.StringIO(body.decode("utf-8"), newline=""), delimiter)
    next(reader, None)
    width = len(header)
    columns: list[list[str | None]] = [[] for _ in header]
    lines, fields, raw = [], [], []
    consumed = reader.line_num
    for record in reader:
        lines.append(first_line + consumed)
        consumed = reader.line_num
        fields.append(len(record) if record else 0)
        raw.append(delimiter.join(record))
        padded = (record + [None] * width)[:width] if record else [None] * width
        for column, value in zip(columns, padded, strict=True):
            column.append(value)
    frame = pl.DataFrame({f"c{i}": pl.Series(col, dtype=pl.String) for i, col in enumerate(columns)})
    frame.columns = header
    return frame, np.array(lines, dtype=np.int64), np.array(fields, dtype=np.int64), raw


def _ragged_problem(bad: np.ndarray, lines: np.ndarray, fields: np.ndarray, raw: Callable[[int], str],
                    width: int) -> Problem | None:
    if not bad.size:
        return None
    examples = []
    for i in bad[:MAX_EXAMPLES]:
        text = raw(int(i))
        spans = text.count("\n") + 1
        hint = f" (one record over {spans:,} lines: a quote opened here is never closed?)" if spans > 2 else ""
        examples.append((int(lines[i]), f"{fields[i]} fields{hint}: {visible(text[:80])}"))
    return Problem(None, "field_count", f"rows with a different number of fields than the header ({width})",
                   int(bad.size), examples)


def _printable(body: bytes, delimiter: str) -> bool:
    """True when no cell can hold a control character, tab or line break, so the parser may skip
    looking for them in every cell: ASCII without quote characters (none can hide a line break),
    without DEL, and whose only control bytes are the line feeds that end records."""
    if delimiter < " " or not body.isascii() or body.find(b'"') >= 0 or body.find(b"\x7f") >= 0:
        return False
    arr = np.frombuffer(body, dtype=np.uint8)
    controls = sum(int(np.count_nonzero(arr[pos:pos + SCAN_CHUNK] < 32)) for pos in range(0, arr.size, SCAN_CHUNK))
    return controls == body.count(b"\n")


def _blank_rows(frame: pl.DataFrame) -> np.ndarray:
    """Rows whose every cell is empty or whitespace. The first column rules out nearly every row of
    a real file in one cheap pass, so the whole row is looked at only when it leaves some."""
    def empty(column: str) -> pl.Expr:
        return pl.col(column).str.contains(r"^\s*$").fill_null(True)

    if not frame.width or not frame.select(empty(frame.columns[0]).any()).item():
        return np.zeros(frame.height, dtype=bool)
    return frame.select(pl.all_horizontal([empty(c) for c in frame.columns]).alias("b"))["b"].to_numpy()


def read_csv_bytes(data: bytes, *, encoding: str | None = None, delimiter: str | None = None,
                   score: Callable[[list[str]], int] | None = None) -> SourceTable:
    """Parse CSV bytes. ``delimiter`` None means sniff; ``score`` ranks candidate headers."""
    if not data:
        raise ReadError(Problem(None, "empty_file", "the file is empty (0 bytes)", 0))
    if data.isspace():  # not ``strip()``, which copies the whole file
        raise ReadError(Problem(None, "empty_file", "the file holds only blank lines", 0))
    found = describe_binary(data[:HEAD_BYTES], data, text_checks=encoding is None)
    if found is not None:
        what, action = found
        raise ReadError(Problem(None, "file_content", f"this looks like {what}; {action}", 0))
    try:
        text = decode(data, encoding)
    except DecodeFailure as exc:
        raise ReadError(Problem(None, "encoding", f"{exc}; pass --encoding (e.g. cp1252)", 0)) from None
    body = text.data
    stripped = body.lstrip(b"\n")
    if not stripped or stripped.isspace():
        raise ReadError(Problem(None, "empty_file", "the file holds only blank lines", 0))
    first_line = 1 + (len(body) - len(stripped))
    body = stripped
    header_end = body.find(b"\n", 0, MAX_HEADER_BYTES + 1)
    if header_end == -1 and len(body) > MAX_HEADER_BYTES:
        no_break = b"\n" not in body
        length = len(body) if no_break else body.find(b"\n")
        start = body[:60].decode("utf-8", errors="replace")
        raise ReadError(Problem(
            None, "header_too_long",
            f"line {first_line} (the header) is {length:,} bytes long"
            + (", and the file has no line break at all" if no_break else "")
            + f"; a header row is a few hundred bytes, so this is not a CSV table. It starts: \"{visible(start)}...\"",
            0))
    sample = body[:SNIFF_BYTES].decode("utf-8", errors="ignore")
    header_text = sample.split("\n", 1)[0]
    forced = delimiter is not None
    delim = delimiter if forced else sniff_delimiter(sample, score) or ","
    header = [h.strip() for h in _split_header(header_text, delim)]
    notes = [f"encoding {text.encoding}" + (" (detected)" if text.detected else ""),
             f"delimiter {DELIMITER_NAMES.get(delim, repr(delim))}" + ("" if forced else " (detected)")]
    if len(header) == 1:
        others = [d for d in DELIMITERS if d != delim and _count_outside_quotes(header_text, d) > 0]
        if others:
            shown = DELIMITER_NAMES.get(others[0], others[0])
            raise ReadError(Problem(
                None, "delimiter",
                f"wrong delimiter? the file was read as {DELIMITER_NAMES.get(delim, repr(delim))}-separated but "
                f"the header looks `{others[0]}`-separated ({shown}): {header_text[:100]!r}", 0))
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise ReadError(Problem(None, "duplicate_header", f"duplicate column names in the header: {duplicates}", 0))
    try:
        frame, scan = _fast_parse(body, delim, header, first_line)
        lines, fields = scan.first_line, scan.fields
        raw = lambda i: body[scan.starts[i]:scan.ends[i]].decode("utf-8", errors="replace")  # noqa: E731
    except (pl.exceptions.PolarsError, ValueError):
        try:
            frame, lines, fields, raw_rows = _slow_parse(body, delim, header, first_line)
        except csv.Error as exc:
            raise ReadError(Problem(None, "unreadable", f"cannot parse the file as CSV: {exc}", 0)) from None
        raw = raw_rows.__getitem__
        notes.append("parsed with the careful CSV reader (stray quotes or ragged rows)")
    table = SourceTable(frame, pl.Series("line", lines, dtype=pl.Int64), "csv", "line", text.encoding, delim,
                        notes=notes, printable=_printable(body, delim))
    blank = _blank_rows(table.frame)
    bad = np.flatnonzero((fields != len(header)) & ~blank)
    ragged = _ragged_problem(bad, lines, fields, raw, len(header))
    if ragged:
        table.problems.append(ragged)
    if blank.any():
        keep = pl.Series(~blank)
        table.frame, table.lines = table.frame.filter(keep), table.lines.filter(keep)
        table.blank_rows = int(blank.sum())
    return table
