"""Date-range presets, anchored on the latest sale date in the data.

Anchoring on the data (not on today's clock) keeps "Last 30 days" meaningful when the last ingest
is a few days old; the filter summary says which date the presets are anchored on.
"""

from __future__ import annotations

import datetime as dt

PRESETS: dict[str, str] = {
    "last30": "Last 30 days",
    "qtd": "Quarter to date",
    "ytd": "Year to date",
    "last12m": "Last 12 months",
    "all": "All time",
    "custom": "Custom range",
}


def preset_range(preset: str, anchor: dt.date | None) -> tuple[dt.date | None, dt.date | None]:
    """Start and end dates of ``preset`` ending on ``anchor`` (None, None for all time)."""
    if preset == "all" or anchor is None:
        return None, None
    if preset == "last30":
        return anchor - dt.timedelta(days=29), anchor
    if preset == "qtd":
        return dt.date(anchor.year, 3 * ((anchor.month - 1) // 3) + 1, 1), anchor
    if preset == "ytd":
        return dt.date(anchor.year, 1, 1), anchor
    if preset == "last12m":
        try:
            year_ago = anchor.replace(year=anchor.year - 1)
        except ValueError:  # 29 February
            year_ago = anchor.replace(year=anchor.year - 1, day=28)
        return year_ago + dt.timedelta(days=1), anchor
    raise ValueError(f"unknown preset {preset!r}")


def matching_preset(start: dt.date | None, end: dt.date | None, anchor: dt.date | None) -> str:
    """Which preset a date range is (so a reloaded URL shows "Year to date", not "Custom")."""
    for key in ("all", "last30", "qtd", "ytd", "last12m"):
        if preset_range(key, anchor) == (start, end):
            return key
    return "custom"


def auto_grain(start: dt.date | None, end: dt.date | None) -> str:
    """A time grain that gives a readable number of points for the period shown."""
    if start is None or end is None:
        return "month"
    days = (end - start).days + 1
    if days <= 45:
        return "day"
    if days <= 200:
        return "week"
    return "month"
