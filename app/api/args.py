"""Query-argument parsing for the REST routes: every bad argument is reported at once.

Why strict: a misspelt argument (``startdate``) silently ignored would return unfiltered figures
that look plausible; an unknown argument is a 400 naming it instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from data.errors import InvalidFilter
from data.filters import MAX_DATE, MIN_DATE, Filters, filter_args

# Every filter argument (dates, then each declared filter dimension); ``compare`` only where a
# route compares periods.
FILTER_ARGS: tuple[str, ...] = tuple(a for a in filter_args() if a != "compare")
COMPARE_ARG = "compare"
PAGING_ARGS: tuple[str, ...] = ("limit", "offset")
# Single-valued arguments: given empty (``?startDate=``) they are an error, not "absent", so a
# client that failed to fill one in hears about it instead of getting unfiltered figures.
NON_EMPTY_ARGS: frozenset[str] = frozenset({"startDate", "endDate", "limit", "offset", "format", "metric", "grain",
                                             COMPARE_ARG})
FORMATS: tuple[str, ...] = ("json", "csv")

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000
MAX_OFFSET = 1_000_000
MAX_TEXT_LENGTH = 200
__all__ = ["MAX_DATE", "MIN_DATE", "ArgSpec", "ParsedArgs", "parse_args"]


@dataclass(frozen=True)
class ArgSpec:
    """What one route accepts besides ``format``."""

    filters: bool = True
    compare: bool = False  # the route compares periods: accepts ``compare``
    paging: bool = False
    choices: Mapping[str, Sequence[str]] = field(default_factory=dict)
    defaults: Mapping[str, str] = field(default_factory=dict)
    text: tuple[str, ...] = ()

    def names(self) -> set[str]:
        names = {"format", *self.choices, *self.text}
        if self.filters:
            names.update(FILTER_ARGS)
        if self.compare:
            names.add(COMPARE_ARG)
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


def _filters(args: Mapping[str, list[str]], spec: ArgSpec, details: dict[str, str]) -> Filters | None:
    allowed = {*FILTER_ARGS, *([COMPARE_ARG] if spec.compare else [])}
    try:
        return Filters.from_args({k: v for k, v in args.items() if k in allowed})
    except InvalidFilter as exc:
        details.update(exc.details)
        return None


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
    filters = _filters(args, spec, details) if spec.filters else None
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
