"""Tables for the terminal and the results file (Markdown, so docs can quote them as they are)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]]) -> str:
    """``columns`` are (key, header) pairs; ratios print as ``12.3×``."""
    header = "| " + " | ".join(title for _, title in columns) + " |"
    rule = "|" + "|".join("---:" if key != columns[0][0] else "---" for key, _ in columns) + "|"
    lines = [header, rule]
    for row in rows:
        cells = [(f"{row[key]:,.1f}×" if key == "ratio" and row[key] else _cell(row[key])) for key, _ in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


PAGE_COLUMNS = [("page", "page"), ("queries", "queries"), ("uncached_ms", "uncached ms"),
                ("redis_fill_ms", "redis miss+fill ms"), ("redis_hit_ms", "redis hit ms"),
                ("filesystem_fill_ms", "filesystem miss+fill ms"), ("filesystem_hit_ms", "filesystem hit ms"),
                ("ratio", "uncached / redis hit")]
ENDPOINT_COLUMNS = [("endpoint", "REST endpoint"), ("uncached_ms", "uncached server ms"),
                    ("redis_fill_ms", "redis miss+fill ms"), ("redis_hit_ms", "redis hit server ms"),
                    ("uncached_round_trip_ms", "uncached round trip ms"),
                    ("redis_round_trip_ms", "redis hit round trip ms"), ("ratio", "uncached / redis hit")]
