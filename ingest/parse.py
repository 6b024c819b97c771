"""Source strings -> typed canonical columns, recording every value that cannot be read.

Everything is vectorized Polars. A value that fails to parse becomes null in the typed frame and
a ``Problem`` (column, check, count, first lines with the raw text); its row is kept out of the
later schema checks so one bad cell is reported once, not again as "null not allowed".
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

import polars as pl

from data.schema import UNASSIGNED
from ingest.headers import GROSS_PROFIT
from ingest.mapping import Mapping
from ingest.report import Problem, problem_from_mask
from ingest.schema import CANONICAL_COLUMNS, CANONICAL_SCHEMA, REQUIRED_COLUMNS

OPTIONAL_TEXT = ("item_group", "item_name", "salesperson", "customer")
REQUIRED_TEXT = ("branch", "product_line")
MONEY = ("revenue", "cost", GROSS_PROFIT)
AUTO_DATE_FORMATS = (
    "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S%.f",
    "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S",
    "%d-%b-%Y", "%d %b %Y", "%d-%b-%y", "%m/%d/%Y",
)
EXCEL_NATIVE_DATE = "%Y-%m-%d %H:%M:%S"  # how a real date cell reads as text
_CURRENCY = r"(?i)(kshs|ksh|kes)\.?"
_SPACES = r"[\s\u00a0\u202f]"
# Control characters nobody types into a name: C0 except tab/LF/CR, DEL, and C1 (U+0080-U+009F,
# which in text means a wrong encoding or mojibake). A text cell holding one is rejected.
CONTROL_CHARS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
# Tabs and line breaks inside a (quoted) text cell, with the spaces around them: one space.
_BREAKS = r"[ ]*[\t\n\r\u2028\u2029][\t\n\r\u2028\u2029 ]*"
# Either of the above: one cheap pass over every text column finds the few that need a closer look.
_SPECIAL = r"[\x00-\x1f\x7f-\x9f\u2028\u2029]"


@dataclass
class Parsed:
    frame: pl.DataFrame  # CANONICAL_SCHEMA; null where a value failed to parse
    raw: pl.DataFrame  # the text each canonical value came from, for reports
    bad: pl.Series  # rows with at least one parse problem
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cost_from_gross_profit: bool = False


def missing_columns(available: set[str]) -> list[Problem]:
    """Required columns the file (plus mapping constants) does not provide at all."""
    problems = [
        Problem(name, "missing_column", "required column is missing (map it, or add it to the file)", 0)
        for name in REQUIRED_COLUMNS if name not in available
    ]
    if "cost" not in available and GROSS_PROFIT not in available:
        problems.append(Problem(
            "cost", "missing_column",
            "no cost or gross profit column; map one (or set [constants] cost = 0 if there is truly no cost data)",
            0))
    return problems


def _number_pattern(decimal: str, thousands: str) -> str:
    d = re.escape(decimal)
    exponent = r"([eE][+-]?[0-9]+)?"
    if thousands in ("", " "):
        body = r"[0-9]+"
    else:
        body = rf"([0-9]{{1,3}}({re.escape(thousands)}[0-9]{{3}})+|[0-9]+)"
    return rf"^[+-]?({body}({d}[0-9]*)?|{d}[0-9]+){exponent}$"


def parse_numbers(text: pl.Series, decimal: str, thousands: str) -> pl.Series:
    """``"KSh 1,234.50"``, ``"(1,234.50)"``, ``"-1.234,5"`` (with a decimal comma) -> Float64.

    Thousands separators must group by three, so with the default rules ``"1,5"`` is an error
    (probably a decimal comma) rather than fifteen."""
    if text.dtype.is_numeric():
        return text.cast(pl.Float64)
    pattern = _number_pattern(decimal, thousands)
    cleaned = text.cast(pl.String)
    valid = cleaned.str.contains(pattern)
    # A value the pattern reads as it is has no currency, spaces or brackets to clean away (the
    # pattern allows none of them), so a column of plain numbers, the usual export, skips three
    # regex passes over every value.
    if not valid.fill_null(True).all():
        cleaned = (
            cleaned.str.replace_all(_CURRENCY, "")
            .str.replace_all(_SPACES, "")
            .str.replace(r"^\((.*)\)$", "-${1}")
        )
        valid = cleaned.str.contains(pattern)
    if thousands not in ("", " "):
        cleaned = cleaned.str.replace_all(thousands, "", literal=True)
    if decimal != ".":
        cleaned = cleaned.str.replace_all(decimal, ".", literal=True)
    values = cleaned.cast(pl.Float64, strict=False)
    return pl.select(pl.when(pl.lit(valid)).then(pl.lit(values)).otherwise(None)).to_series().alias(text.name)


def _strptime(text: pl.Series, fmt: str) -> pl.Series:
    if "%H" in fmt:
        return text.str.strptime(pl.Datetime, fmt, strict=False).dt.date()
    return text.str.strptime(pl.Date, fmt, strict=False)


def _plausible(dates: pl.Series) -> int:
    return int(dates.dt.year().is_between(1900, 2200).sum())


def parse_dates(text: pl.Series, fmt: str | None, kind: str) -> tuple[pl.Series, str]:
    """Parse with the mapping's format, or pick the format that reads the most values (day-first
    formats are tried before month-first, as dates are written in Kenya)."""
    if text.dtype == pl.Date:
        return text, "native date"
    if isinstance(text.dtype, pl.Datetime):
        return text.dt.date(), "native timestamp"
    text = text.cast(pl.String).str.strip_chars()
    if fmt:
        dates = _strptime(text, fmt)
        if kind == "xlsx":
            dates = dates.fill_null(_strptime(text, EXCEL_NATIVE_DATE))
        return dates, fmt
    best, best_fmt, best_count = None, AUTO_DATE_FORMATS[0], -1
    for candidate in AUTO_DATE_FORMATS:
        dates = _strptime(text, candidate)
        count = _plausible(dates)
        if count > best_count:
            best, best_fmt, best_count = dates, candidate, count
        if count == text.len() - text.null_count():
            break
    assert best is not None
    return best, best_fmt


def _decimal_hint(failing: pl.Series, mapping: Mapping) -> str:
    """Point at the likely cause when failing values look like ``12,5`` (a decimal comma)."""
    if mapping.decimal == "," or failing.is_empty():
        return ""
    if failing.str.strip_chars().str.contains(r"^[+-]?[0-9]+,[0-9]{1,2}$").any():
        return ' (decimal comma? set decimal = "," in a mapping file)'
    return ""


def _blank(values: pl.Series) -> pl.Series:
    return values.cast(pl.String).str.contains(r"^\s*$").fill_null(True)  # as strip_chars() == "", without copies


def _empty(stripped: pl.Series) -> pl.Series:
    """``_blank`` for values already stripped: no regex pass needed."""
    return stripped.is_null() | (stripped.str.len_bytes() == 0)


def clean_text(values: pl.Series) -> tuple[pl.Series, int]:
    """Strip a text column and turn each tab or line break (with the spaces around it) into one
    space, so ``"Crown\\nSilk 4L"`` groups with ``"Crown Silk 4L"``; returns how many cells changed."""
    text = values.cast(pl.String)
    broken = text.str.strip_chars().str.contains(_BREAKS).fill_null(False)
    cleaned = text.str.replace_all(_BREAKS, " ").str.strip_chars()
    return cleaned, int(broken.sum())


def parse_frame(raw: pl.DataFrame, lines: pl.Series, mapping: Mapping, kind: str, unit: str,
                printable: Collection[str] = ()) -> Parsed:
    """Parse every canonical column present in ``raw`` (canonical names, source values).
    ``printable``: columns known to hold no control character, tab or line break (not looked at)."""
    problems: list[Problem] = []
    notes: list[str] = []
    bad = pl.Series("bad", [False] * raw.height, dtype=pl.Boolean)
    columns: dict[str, pl.Series] = {}
    text_raw = {c: raw[c].cast(pl.String) for c in raw.columns}

    def fail(column: str, check: str, message: str, mask: pl.Series) -> None:
        nonlocal bad
        problem = problem_from_mask(column, check, message, mask, lines, text_raw[column], unit)
        if problem:
            problems.append(problem)
            bad = bad | mask

    def require_values(column: str, parsed: pl.Series | None = None) -> pl.Series:
        # A blank cell never parses: where every value of a column parsed, none is blank (one
        # pass over the column saved).
        if parsed is not None and not parsed.null_count():
            empty = pl.repeat(False, raw.height, dtype=pl.Boolean, eager=True)
        else:
            empty = _blank(raw[column])
        fail(column, "missing_value", "required value is empty", empty)
        return empty

    dates, used = parse_dates(raw["sale_date"], mapping.date_format, kind)
    empty = require_values("sale_date", dates)
    notes.append(f"date format {used}")
    hint = f" (expected {mapping.date_format})" if mapping.date_format else ""
    fail("sale_date", "date_format", f"not a date{hint}", dates.is_null() & ~empty)
    columns["sale_date"] = dates

    thousands = mapping.thousands_separator
    for column in ("quantity", "revenue", "cost", GROSS_PROFIT):
        if column not in raw.columns:
            continue
        values = parse_numbers(raw[column], mapping.decimal, thousands)
        empty = require_values(column, values)
        failing = values.is_null() & ~empty
        fail(column, "number_format", f"not a number{_decimal_hint(text_raw[column].filter(failing), mapping)}",
             failing)
        columns[column] = values

    derived = "cost" not in columns
    if derived:
        columns["cost"] = (columns["revenue"] - columns[GROSS_PROFIT]).alias("cost")
        notes.append("cost derived as revenue - gross profit")
    elif GROSS_PROFIT in columns:
        notes.append("gross profit column ignored: the file has cost")

    broken_cells = 0
    present = [c for c in (*REQUIRED_TEXT, *OPTIONAL_TEXT, "invoice_id") if c in raw.columns]
    checked = [c for c in present if c not in printable]
    special = raw.select([pl.col(c).cast(pl.String).str.contains(_SPECIAL).any().alias(c) for c in checked])

    def text(column: str) -> pl.Series:
        nonlocal broken_cells
        if column not in checked or not special[column][0]:  # the usual case: nothing but printable text
            return raw[column].cast(pl.String).str.strip_chars()
        has_control = text_raw[column].str.contains(CONTROL_CHARS).fill_null(False)
        fail(column, "control_character",
             "contains a control character (corrupt data, binary data or a wrong encoding?)", has_control)
        values, broken = clean_text(raw[column])
        broken_cells += broken
        return values

    for column in REQUIRED_TEXT:
        require_values(column)
        columns[column] = text(column)
    absent = [c for c in OPTIONAL_TEXT if c not in raw.columns]
    if absent:
        notes.append(f"no column for {', '.join(absent)}: every line is {UNASSIGNED}")
    for column in OPTIONAL_TEXT:
        if column in raw.columns:
            values = text(column)
            columns[column] = pl.select(pl.when(pl.lit(_empty(values))).then(pl.lit(UNASSIGNED))
                                        .otherwise(pl.lit(values))).to_series()
        else:
            columns[column] = pl.Series(column, [UNASSIGNED] * raw.height, dtype=pl.String)
    if "invoice_id" in raw.columns:
        ids = text("invoice_id")
        columns["invoice_id"] = pl.select(pl.when(pl.lit(_empty(ids))).then(None).otherwise(pl.lit(ids))).to_series()
    else:
        columns["invoice_id"] = pl.Series("invoice_id", [None] * raw.height, dtype=pl.String)
    if broken_cells:
        notes.append(f"{broken_cells:,} text cell{'s' if broken_cells != 1 else ''} held a tab or line break; "
                     "each became one space")

    frame = pl.DataFrame({name: columns[name].alias(name).cast(CANONICAL_SCHEMA[name]) for name in CANONICAL_COLUMNS})
    if "cost" not in text_raw and GROSS_PROFIT in text_raw:
        text_raw["cost"] = text_raw[GROSS_PROFIT].alias("cost")
    raw_frame = pl.DataFrame([text_raw[c].alias(c) for c in text_raw])
    return Parsed(frame, raw_frame, bad, problems, notes, cost_from_gross_profit=derived)
