"""The global filter value shared by pages, the REST API, GraphQL and the cache.

One ``Filters`` instance describes a view: an inclusive date range and optional selections on the
filter dimensions declared in ``data.dimensions``. An empty selection means "no filter", never
"no rows". Argument names (``startDate``, ``endDate`` and each dimension's ``arg``) are parsed and
written here only, so the pages and the API cannot disagree on their meaning.

Values match exactly (case and spelling), in SQL, the REST API and the dashboard alike; the
dashboard says when a value in a link matches nothing (see ``app.shell``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from data.dimensions import DIMENSIONS, FILTER_DIMENSIONS, Dimension
from data.errors import InvalidFilter

MAX_VALUES_PER_FILTER = 500
MAX_VALUE_LENGTH = 200
DATE_ARGS: tuple[str, str] = ("startDate", "endDate")
# Dates outside this window are certainly typos, and far-off ones overflow the previous-period
# arithmetic (a period of N days before 0001-01-01 does not exist).
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2999, 12, 31)

Selections = tuple[tuple[str, tuple[str, ...]], ...]
# What a period is compared with: "previous" = the period of equal length just before; "lastYear" =
# the same dates a year earlier; "auto" = lastYear for to-date ranges (year, quarter or month to
# date, or a whole calendar month/quarter/year), previous otherwise.
COMPARE_MODES: tuple[str, ...] = ("auto", "previous", "lastYear")


def filter_args() -> tuple[str, ...]:
    """Every argument of a view: dates, the filter dimensions in declaration order, ``compare``."""
    return (*DATE_ARGS, *(d.arg for d in FILTER_DIMENSIONS), "compare")


def _filter_dimension(name: str) -> Dimension:
    dim = DIMENSIONS.get(name)
    if dim is None or not dim.filter:
        known = [d.name for d in FILTER_DIMENSIONS]
        raise InvalidFilter(f"{name!r} is not a filter", {"filter": f"filters are {known}"})
    return dim


def _normalize_values(arg: str, values: Iterable[str] | str | None) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    cleaned: set[str] = set()
    for value in values:
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidFilter(f"{arg} values must be text", {arg: f"got {type(value).__name__}"})
        text = value.strip()
        if not text:
            continue
        if len(text) > MAX_VALUE_LENGTH:
            raise InvalidFilter(f"{arg} value too long", {arg: f"values are at most {MAX_VALUE_LENGTH} characters"})
        cleaned.add(text)
    if len(cleaned) > MAX_VALUES_PER_FILTER:
        raise InvalidFilter(f"too many {arg} values", {arg: f"at most {MAX_VALUES_PER_FILTER} values"})
    return tuple(sorted(cleaned))


def parse_date(name: str, value: str | dt.date | None) -> dt.date | None:
    """Parse an ISO ``YYYY-MM-DD`` date (or pass a date through) within ``MIN_DATE..MAX_DATE``;
    raise ``InvalidFilter`` naming the argument otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        parsed = value
    else:
        text = str(value).strip()
        try:
            if len(text) != 10:
                raise ValueError(text)
            parsed = dt.date.fromisoformat(text)
        except ValueError:
            raise InvalidFilter(
                f"{name} is not a date", {name: f"expected a real date as YYYY-MM-DD, got {text[:40]!r}"}
            ) from None
    if not MIN_DATE <= parsed <= MAX_DATE:
        raise InvalidFilter(f"{name} out of range",
                            {name: f"must be between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}"})
    return parsed


def _many(args: Mapping[str, object], name: str) -> list[str]:
    value = args.get(name)
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)  # type: ignore[call-overload]


@dataclass(frozen=True)
class Filters:
    """A validated, normalized filter selection. Build it with ``Filters.create`` or
    ``Filters.from_args``; both sort and de-duplicate selections so equal views compare equal."""

    start: dt.date | None = None
    end: dt.date | None = None
    # (dimension name, sorted values) for each non-empty selection, in declaration order.
    selections: Selections = field(default=())
    compare: str = "auto"  # one of COMPARE_MODES; chooses the comparison period, never the rows

    @classmethod
    def create(
        cls,
        start: str | dt.date | None = None,
        end: str | dt.date | None = None,
        compare: str | None = None,
        **selections: Iterable[str] | str | None,
    ) -> Filters:
        """Validate and normalize; selections are keyed by dimension name (``branch=[...]``).
        Raises ``InvalidFilter`` with every bad argument named."""
        details: dict[str, str] = {}
        if compare is not None and compare not in COMPARE_MODES:
            details["compare"] = f"must be one of {list(COMPARE_MODES)}"
        parsed: dict[str, dt.date | None] = {}
        for name, value in (("startDate", start), ("endDate", end)):
            try:
                parsed[name] = parse_date(name, value)
            except InvalidFilter as exc:
                details.update(exc.details)
        chosen: dict[str, tuple[str, ...]] = {}
        for name, values in selections.items():
            try:
                dim = _filter_dimension(name)
                chosen[dim.name] = _normalize_values(dim.arg, values)
            except InvalidFilter as exc:
                details.update(exc.details)
        start_d, end_d = parsed.get("startDate"), parsed.get("endDate")
        if start_d and end_d and end_d < start_d:
            details["endDate"] = f"endDate {end_d.isoformat()} is before startDate {start_d.isoformat()}"
        if details:
            raise InvalidFilter("invalid filter arguments", details)
        return cls(start=start_d, end=end_d, selections=_ordered(chosen), compare=compare or "auto")

    @classmethod
    def from_args(cls, args: Mapping[str, object]) -> Filters:
        """Build from URL/REST arguments. ``args`` maps a name to a string or a list of strings
        (a repeated query argument), as Flask's ``MultiDict.to_dict(flat=False)`` and Dash pages give.
        A date given more than once is an error: which one was meant is unknowable."""
        details: dict[str, str] = {}
        dates: dict[str, str | None] = {}
        for name in DATE_ARGS:
            values = [v for v in _many(args, name) if v is not None]
            if len(set(values)) > 1:
                details[name] = f"given {len(values)} times; give it once"
            dates[name] = values[-1] if values else None
        if details:
            raise InvalidFilter("invalid filter arguments", details)
        compare = _many(args, "compare")
        return cls.create(start=dates["startDate"], end=dates["endDate"], compare=compare[-1] if compare else None,
                          **{d.name: _many(args, d.arg) for d in FILTER_DIMENSIONS})

    # -- reading ---------------------------------------------------------------------------------
    def values(self, name: str) -> tuple[str, ...]:
        """The selected values of dimension ``name`` (empty: not filtered)."""
        return dict(self.selections).get(name, ())

    def to_args(self) -> list[tuple[str, str]]:
        """The URL arguments for this view, in a stable order (repeat a name for several values)."""
        pairs: list[tuple[str, str]] = []
        if self.start:
            pairs.append(("startDate", self.start.isoformat()))
        if self.end:
            pairs.append(("endDate", self.end.isoformat()))
        for name, values in self.selections:
            pairs.extend((DIMENSIONS[name].arg, value) for value in values)
        if self.compare != "auto":
            pairs.append(("compare", self.compare))
        return pairs

    def to_query_string(self) -> str:
        """``?startDate=...&branch=...`` or an empty string when nothing is filtered."""
        pairs = self.to_args()
        return "?" + urlencode(pairs) if pairs else ""

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form with the argument names (REST metadata, the filters store, cache keys)."""
        out: dict[str, object] = {
            "startDate": self.start.isoformat() if self.start else None,
            "endDate": self.end.isoformat() if self.end else None,
        }
        out.update({d.arg: list(self.values(d.name)) for d in FILTER_DIMENSIONS})
        out["compare"] = self.compare
        return out

    def cache_key(self) -> str:
        """A stable key, identical in every process (sha256 of canonical JSON, never ``hash()``)."""
        canonical = json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:32]

    def is_empty(self) -> bool:
        return not self.to_args()

    # -- deriving --------------------------------------------------------------------------------
    def with_dates(self, start: dt.date | None, end: dt.date | None) -> Filters:
        return replace(self, start=start, end=end)

    def with_compare(self, compare: str | None) -> Filters:
        if compare is not None and compare not in COMPARE_MODES:
            raise InvalidFilter("unknown comparison", {"compare": f"must be one of {list(COMPARE_MODES)}"})
        return replace(self, compare=compare or "auto")

    def without_selection(self, name: str) -> Filters:
        """A copy that no longer filters on ``name`` (a chart that shows every value of it)."""
        return replace(self, selections=tuple(s for s in self.selections if s[0] != name))

    def with_selection(self, **selections: Iterable[str]) -> Filters:
        """A copy with some selections replaced, keyed by dimension name (a cross-filter click)."""
        chosen = dict(self.selections)
        for name, values in selections.items():
            dim = _filter_dimension(name)
            chosen[dim.name] = _normalize_values(dim.arg, values)
        return replace(self, selections=_ordered(chosen))

    def describe(self) -> str:
        """The active filters in words, for the line above every page and for chart subtitles."""
        parts = [describe_period(self.start, self.end)]
        for name, values in self.selections:
            dim = DIMENSIONS[name]
            noun = dim.plural if len(values) > 1 else dim.label.lower()
            parts.append(f"{noun} {_join_words(values)}")
        return "; ".join(parts)


def _ordered(chosen: Mapping[str, tuple[str, ...]]) -> Selections:
    return tuple((d.name, chosen[d.name]) for d in FILTER_DIMENSIONS if chosen.get(d.name))


@dataclass(frozen=True)
class Ignored:
    """A part of a link that could not be used, and why (shown to the person who opened it)."""

    arg: str
    value: str
    reason: str


def parse_link(args: Mapping[str, object]) -> tuple[Filters, list[Ignored]]:
    """Lenient parsing for links people share: keep every valid part, report the rest.

    Unlike ``from_args`` (REST: any bad argument is a 400), a dashboard link should still open:
    an unknown argument or a bad date is ignored *and said*; a valid date is never dropped
    because its partner is bad; reversed dates are swapped (and said)."""
    ignored: list[Ignored] = []
    known = set(filter_args())
    for name in args:
        if name not in known:
            hint = next((k for k in known if k.lower() == name.lower()), None)
            reason = f"unknown argument; did you mean {hint}?" if hint else "unknown argument"
            ignored.append(Ignored(name, ", ".join(_many(args, name))[:80], reason))
    dates: dict[str, dt.date | None] = {}
    for name in DATE_ARGS:
        values = [v for v in _many(args, name) if v]
        dates[name] = None
        if len(set(values)) > 1:
            ignored.append(Ignored(name, ", ".join(values)[:80], "given more than once"))
            continue
        try:
            dates[name] = parse_date(name, values[-1] if values else None)
        except InvalidFilter as exc:
            ignored.append(Ignored(name, str(values[-1])[:80], exc.details.get(name, str(exc))))
    start, end = dates["startDate"], dates["endDate"]
    if start and end and end < start:
        ignored.append(Ignored("endDate", end.isoformat(),
                               f"before startDate {start.isoformat()}: the dates were swapped"))
        start, end = end, start
    chosen: dict[str, tuple[str, ...]] = {}
    for dim in FILTER_DIMENSIONS:
        values = [v.strip() for v in _many(args, dim.arg) if isinstance(v, str) and v.strip()]
        if any(len(v) > MAX_VALUE_LENGTH for v in values):
            # Cut, not dropped: dropping the only value would widen the view to every value.
            ignored.append(Ignored(dim.arg, "", f"a value longer than {MAX_VALUE_LENGTH} characters was cut "
                                                f"to that length (so it matches nothing)"))
            values = [v[:MAX_VALUE_LENGTH] for v in values]
        unique = sorted(set(values))
        if len(unique) > MAX_VALUES_PER_FILTER:
            ignored.append(Ignored(dim.arg, "", f"more than {MAX_VALUES_PER_FILTER} values: only the first "
                                                f"{MAX_VALUES_PER_FILTER} (sorted) are used"))
            unique = unique[:MAX_VALUES_PER_FILTER]
        chosen[dim.name] = tuple(unique)
    compare_values = _many(args, "compare")
    compare = compare_values[-1] if compare_values else "auto"
    if compare not in COMPARE_MODES:
        ignored.append(Ignored("compare", str(compare)[:40], f"must be one of {', '.join(COMPARE_MODES)}"))
        compare = "auto"
    return Filters(start=start, end=end, selections=_ordered(chosen), compare=compare), ignored


def unknown_values(filters: Filters, options: Mapping[str, Iterable[str]]) -> list[Ignored]:
    """Selected values that match no value in the data (``options`` maps an ``options_key`` to
    the known values). They stay in the filter, so the view shows no rows for them rather than
    widening; this says why, and suggests the value that differs only in case."""
    notes: list[Ignored] = []
    for dim in FILTER_DIMENSIONS:
        known = set(options.get(dim.options_key) or ())
        if not known:
            continue
        by_lower = {k.lower(): k for k in known}
        for value in filters.values(dim.name):
            if value not in known:
                hint = by_lower.get(value.lower())
                reason = (f"no {dim.label.lower()} is named exactly this; did you mean {hint!r}?" if hint
                          else f"no {dim.label.lower()} has this name in the data")
                notes.append(Ignored(dim.arg, value, reason))
    return notes


def describe_period(start: dt.date | None, end: dt.date | None) -> str:
    fmt = "%d %b %Y"
    if start and end:
        if start == end:
            return start.strftime(fmt)
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
