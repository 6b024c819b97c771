"""The global filter value shared by pages, the REST API and the cache.

One ``Filters`` instance describes a view: an inclusive date range and optional selections of
branches, product lines and salespeople. An empty selection means "no filter", never "no rows".
URL/REST argument names (``startDate``, ``endDate``, ``branch``, ``productLine``) are parsed and
written here only, so the pages and the API cannot disagree on their meaning.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from data.errors import InvalidFilter

MAX_VALUES_PER_FILTER = 500
MAX_VALUE_LENGTH = 200

# URL argument name -> Filters attribute, for the multi-valued selections.
SELECTION_ARGS: dict[str, str] = {
    "branch": "branches",
    "productLine": "product_lines",
    "salesperson": "salespeople",
}


def _normalize_values(name: str, values: Iterable[str] | None) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    cleaned: set[str] = set()
    for value in values:
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidFilter(f"{name} values must be text", {name: f"got {type(value).__name__}"})
        text = value.strip()
        if not text:
            continue
        if len(text) > MAX_VALUE_LENGTH:
            raise InvalidFilter(
                f"{name} value too long", {name: f"values are at most {MAX_VALUE_LENGTH} characters"}
            )
        cleaned.add(text)
    if len(cleaned) > MAX_VALUES_PER_FILTER:
        raise InvalidFilter(f"too many {name} values", {name: f"at most {MAX_VALUES_PER_FILTER} values"})
    return tuple(sorted(cleaned))


def parse_date(name: str, value: str | dt.date | None) -> dt.date | None:
    """Parse an ISO ``YYYY-MM-DD`` date (or pass a date through); raise ``InvalidFilter`` naming
    the argument otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidFilter(
            f"{name} is not a date", {name: f"expected YYYY-MM-DD, got {text[:40]!r}"}
        ) from None


@dataclass(frozen=True)
class Filters:
    """A validated, normalized filter selection. Build it with ``Filters.create`` or
    ``Filters.from_args``; both sort and de-duplicate selections so equal views compare equal."""

    start: dt.date | None = None
    end: dt.date | None = None
    branches: tuple[str, ...] = field(default=())
    product_lines: tuple[str, ...] = field(default=())
    salespeople: tuple[str, ...] = field(default=())

    @classmethod
    def create(
        cls,
        start: str | dt.date | None = None,
        end: str | dt.date | None = None,
        branches: Iterable[str] | None = None,
        product_lines: Iterable[str] | None = None,
        salespeople: Iterable[str] | None = None,
    ) -> Filters:
        """Validate and normalize; raises ``InvalidFilter`` with every bad argument named."""
        details: dict[str, str] = {}
        parsed: dict[str, dt.date | None] = {}
        for name, value in (("startDate", start), ("endDate", end)):
            try:
                parsed[name] = parse_date(name, value)
            except InvalidFilter as exc:
                details.update(exc.details)
        selections: dict[str, tuple[str, ...]] = {}
        for arg, values in (("branch", branches), ("productLine", product_lines), ("salesperson", salespeople)):
            try:
                selections[SELECTION_ARGS[arg]] = _normalize_values(arg, values)
            except InvalidFilter as exc:
                details.update(exc.details)
        start_d, end_d = parsed.get("startDate"), parsed.get("endDate")
        if start_d and end_d and end_d < start_d:
            details["endDate"] = f"endDate {end_d.isoformat()} is before startDate {start_d.isoformat()}"
        if details:
            raise InvalidFilter("invalid filter arguments", details)
        return cls(start=start_d, end=end_d, **selections)

    @classmethod
    def from_args(cls, args: Mapping[str, object]) -> Filters:
        """Build from URL/REST arguments. ``args`` maps a name to a string or a list of strings
        (a repeated query argument), as Flask's ``MultiDict.to_dict(flat=False)`` and Dash pages give."""

        def many(name: str) -> list[str]:
            value = args.get(name)
            if value is None:
                return []
            return [value] if isinstance(value, str) else list(value)  # type: ignore[arg-type]

        def one(name: str) -> str | None:
            values = many(name)
            return values[-1] if values else None

        return cls.create(
            start=one("startDate"),
            end=one("endDate"),
            branches=many("branch"),
            product_lines=many("productLine"),
            salespeople=many("salesperson"),
        )

    def to_args(self) -> list[tuple[str, str]]:
        """The URL arguments for this view, in a stable order (repeat a name for several values)."""
        pairs: list[tuple[str, str]] = []
        if self.start:
            pairs.append(("startDate", self.start.isoformat()))
        if self.end:
            pairs.append(("endDate", self.end.isoformat()))
        for arg, attr in SELECTION_ARGS.items():
            pairs.extend((arg, value) for value in getattr(self, attr))
        return pairs

    def to_query_string(self) -> str:
        """``?startDate=...&branch=...`` or an empty string when nothing is filtered."""
        pairs = self.to_args()
        return "?" + urlencode(pairs) if pairs else ""

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form with the URL argument names (used in REST metadata)."""
        return {
            "startDate": self.start.isoformat() if self.start else None,
            "endDate": self.end.isoformat() if self.end else None,
            "branch": list(self.branches),
            "productLine": list(self.product_lines),
            "salesperson": list(self.salespeople),
        }

    def cache_key(self) -> str:
        """A stable key, identical in every process (sha256 of canonical JSON, never ``hash()``)."""
        canonical = json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:32]

    def with_dates(self, start: dt.date | None, end: dt.date | None) -> Filters:
        return replace(self, start=start, end=end)

    def with_selection(self, **selections: Iterable[str]) -> Filters:
        """A copy with some selections replaced (e.g. a cross-filter click on a branch)."""
        values = {name: _normalize_values(name, vals) for name, vals in selections.items()}
        return replace(self, **values)

    def is_empty(self) -> bool:
        return not self.to_args()

    def describe(self) -> str:
        """The active filters in words, for the line above every page and for chart subtitles."""
        parts = [describe_period(self.start, self.end)]
        for label, values in (
            ("branch", self.branches),
            ("product line", self.product_lines),
            ("salesperson", self.salespeople),
        ):
            if values:
                plural = label + ("es" if label.endswith("ch") else "s") if len(values) > 1 else label
                parts.append(f"{plural} {_join_words(values)}")
        return "; ".join(parts)


def describe_period(start: dt.date | None, end: dt.date | None) -> str:
    fmt = "%d %b %Y"
    if start and end:
        return f"{start.strftime(fmt)} to {end.strftime(fmt)}"
    if start:
        return f"from {start.strftime(fmt)}"
    if end:
        return f"up to {end.strftime(fmt)}"
    return "All time"


def _join_words(values: tuple[str, ...]) -> str:
    if len(values) <= 1:
        return "".join(values)
    if len(values) > 4:
        return ", ".join(values[:3]) + f" and {len(values) - 3} more"
    return ", ".join(values[:-1]) + " and " + values[-1]
