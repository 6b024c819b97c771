"""The optional TOML mapping file: which source column is which canonical column, and how to read
the values (date format, decimal and thousands separators, encoding, delimiter, sheet, and which
column carries the sign of a line whose signs disagree).

Why TOML: it is readable by the finance people who own the exports, it has comments, and Python
reads it without a dependency. A wrong key is an error, never silently ignored: a typo like
``date_fromat`` would otherwise make a whole file parse with the wrong rules.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.headers import TARGETS
from ingest.signs import SIGN_POLICIES

TOP_KEYS = {"encoding", "delimiter", "date_format", "decimal", "thousands", "sheet", "signs", "columns", "constants",
            "filter"}
DELIMITERS = {",", ";", "\t", "|"}
DECIMALS = {".", ","}
THOUSANDS = {",", ".", " ", "'", ""}


class MappingError(ValueError):
    """The mapping file itself is wrong (unknown key, bad separator, unknown canonical name...)."""


@dataclass(frozen=True)
class Mapping:
    """Parsing rules for one source; the defaults suit a plain UTF-8, comma, ISO-date export."""

    columns: dict[str, str] = field(default_factory=dict)  # source header -> canonical name
    constants: dict[str, str] = field(default_factory=dict)  # canonical name -> value for every row
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)  # source header -> kept values
    date_format: str | None = None
    decimal: str = "."
    thousands: str | None = None  # None: "," with a "." decimal, "." with a "," decimal
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    signs: str = "reject"  # or "quantity" / "revenue": that column's sign wins (see ingest.signs)

    @property
    def thousands_separator(self) -> str:
        if self.thousands is not None:
            return self.thousands
        return "," if self.decimal == "." else "."


def _check_target(name: Any, where: str) -> str:
    if name not in TARGETS:
        raise MappingError(f"{where}: {name!r} is not a canonical column; use one of {list(TARGETS)}")
    return name


def _check_date_format(fmt: str) -> str:
    if "%" not in fmt:
        raise MappingError(f"date_format {fmt!r} has no % directives; e.g. \"%d-%m-%y\"")
    try:
        dt.datetime.strptime(dt.date(2024, 12, 31).strftime(fmt), fmt)
    except ValueError as exc:
        raise MappingError(f"date_format {fmt!r} cannot read back its own output: {exc}") from None
    return fmt


def mapping_from_dict(raw: dict[str, Any]) -> Mapping:
    """Validate a parsed TOML document; raises ``MappingError`` naming the offending key."""
    unknown = set(raw) - TOP_KEYS
    if unknown:
        raise MappingError(f"unknown mapping keys {sorted(unknown)}; allowed: {sorted(TOP_KEYS)}")
    columns_raw = raw.get("columns", {})
    constants_raw = raw.get("constants", {})
    filters_raw = raw.get("filter", {})
    for name, table in (("columns", columns_raw), ("constants", constants_raw), ("filter", filters_raw)):
        if not isinstance(table, dict):
            raise MappingError(f"[{name}] must be a table")
    columns = {str(src): _check_target(dst, f"[columns] {src!r}") for src, dst in columns_raw.items()}
    targets = list(columns.values())
    repeated = sorted({t for t in targets if targets.count(t) > 1})
    if repeated:
        raise MappingError(f"[columns] maps several source columns to {repeated}")
    constants = {_check_target(k, "[constants]"): str(v) for k, v in constants_raw.items()}
    both = sorted(set(constants) & set(targets))
    if both:
        raise MappingError(f"{both} given both as a column and as a constant")
    filters: dict[str, tuple[str, ...]] = {}
    for src, values in filters_raw.items():
        values = values if isinstance(values, list) else [values]
        filters[str(src)] = tuple(str(v) for v in values)
    decimal = raw.get("decimal", ".")
    if decimal not in DECIMALS:
        raise MappingError(f"decimal must be one of {sorted(DECIMALS)}, not {decimal!r}")
    thousands = raw.get("thousands")
    if thousands is not None and thousands not in THOUSANDS:
        raise MappingError(f"thousands must be one of {sorted(THOUSANDS)}, not {thousands!r}")
    if thousands is not None and thousands == decimal:
        raise MappingError("decimal and thousands separators must differ")
    delimiter = raw.get("delimiter")
    if delimiter is not None and delimiter not in DELIMITERS:
        raise MappingError(f"delimiter must be one of {sorted(DELIMITERS)}, not {delimiter!r}")
    date_format = raw.get("date_format")
    signs = raw.get("signs", "reject")
    if signs not in SIGN_POLICIES:
        raise MappingError(f"signs must be one of {list(SIGN_POLICIES)}, not {signs!r}")
    return Mapping(
        columns=columns,
        constants=constants,
        filters=filters,
        date_format=_check_date_format(date_format) if date_format else None,
        decimal=decimal,
        thousands=thousands,
        encoding=raw.get("encoding"),
        delimiter=delimiter,
        sheet=raw.get("sheet"),
        signs=signs,
    )


def load_mapping(path: Path) -> Mapping:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"mapping file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{path} is not valid TOML: {exc}") from None
    return mapping_from_dict(raw)
