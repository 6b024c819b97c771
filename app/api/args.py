"""Query-argument parsing for the REST routes: every bad argument is reported at once.

Why strict: a misspelt argument (``startdate``) silently ignored would return unfiltered figures
that look plausible; an unknown argument is a 400 naming it instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from data.errors import InvalidFilter
from data.filters import Filters

FILTER_ARGS: tuple[str, ...] = ("startDate", "endDate", "branch", "productLine", "salesperson")
PAGING_ARGS: tuple[str, ...] = ("limit", "offset")
# Single-valued arguments: given empty (``?startDate=``) they are an error, not "absent", so a
# client that failed to fill one in hears about it instead of getting unfiltered figures.
NON_EMPTY_ARGS: frozenset[str] = frozenset({"startDate", "endDate", "limit", "offset", "format", "metric", "grain"})
FORMATS: tuple[str, ...] = ("json", "csv")

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000
MAX_OFFSET = 1_000_000
MAX_TEXT_LENGTH = 200
# Dates outside this window are certainly typos, and far-off ones overflow the previous-period
# arithmetic (a period of N days before 0001-01-01 does not exist).
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2999, 12, 31)


@dataclass(frozen=True)
class ArgSpec:
    """What one route accepts besides ``format``."""

    filters: bool = True
    paging: bool = False
    choices: Mapping[str, Sequence[str]] = field(default_factory=dict)
    defaults: Mapping[str, str] = field(default_factory=dict)
    text: tuple[str, ...] = ()

    def names(self) -> set[str]:
        names = {"format", *self.choices, *self.text}
        if self.filters:
            names.update(FILTER_ARGS)
        if self.paging:
            names.update(PAGING_ARGS)
        return names


@dataclass(frozen=True)
class ParsedArgs:
    filters: Filters | None
    fmt: str
    limit: int
    offset: int
    values: dict[str, str | None]


def _last(args: Mapping[str, list[str]], name: str) -> str | None:
    values = args.get(name) or []
    return values[-1] if values else None


def _int_arg(raw: str | None, name: str, default: int, low: int, high: int, details: dict[str, str]) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        details[name] = f"expected an integer from {low} to {high}"
        return default
    if not low <= value <= high:
        details[name] = f"must be from {low} to {high}, got {value}"
    return value


def _filters(args: Mapping[str, list[str]], details: dict[str, str]) -> Filters | None:
    try:
        filters = Filters.from_args({k: v for k, v in args.items() if k in FILTER_ARGS})
    except InvalidFilter as exc:
        details.update(exc.details)
        return None
    for name, value in (("startDate", filters.start), ("endDate", filters.end)):
        if value is not None and not MIN_DATE <= value <= MAX_DATE:
            details[name] = f"must be between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}"
    return filters


def parse_args(args: Mapping[str, list[str]], spec: ArgSpec) -> ParsedArgs:
    """Validate ``request.args.to_dict(flat=False)``; raise ``InvalidFilter`` naming every bad argument."""
    details: dict[str, str] = {}
    for name in sorted(set(args) - spec.names()):
        details[name[:60]] = "unknown argument"
    for name in sorted(NON_EMPTY_ARGS & set(args)):
        if any(value == "" for value in args[name]):
            details[name] = "given but empty; leave the argument out instead"
    fmt = (_last(args, "format") or "json").strip().lower()
    if fmt not in FORMATS:
        details["format"] = f"must be one of {list(FORMATS)}"
    filters = _filters(args, details) if spec.filters else None
    limit = offset = 0
    if spec.paging:
        limit = _int_arg(_last(args, "limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT, details)
        offset = _int_arg(_last(args, "offset"), "offset", 0, 0, MAX_OFFSET, details)
    values: dict[str, str | None] = {}
    for name, allowed in spec.choices.items():
        value = _last(args, name) or spec.defaults.get(name)
        if value not in allowed:
            details[name] = f"must be one of {list(allowed)}"
        values[name] = value
    for name in spec.text:
        value = (_last(args, name) or "").strip()
        if len(value) > MAX_TEXT_LENGTH:
            details[name] = f"at most {MAX_TEXT_LENGTH} characters"
        values[name] = value or None
    if details:
        raise InvalidFilter("invalid arguments: " + ", ".join(sorted(details)), details)
    return ParsedArgs(filters=filters, fmt=fmt, limit=limit, offset=offset, values=values)
