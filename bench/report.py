"""Markdown tables for the terminal and ``bench/RESULTS.md`` (docs quote them as they are)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _cell(value: Any, key: str) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if key.startswith(("vs_", "ratio")) or key.endswith(("_vs_uncached", "vs_health")):
            return f"{value:.2f}"
        return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]]) -> str:
    """``columns`` are (key, header) pairs; the first column is text, the others right-aligned."""
    header = "| " + " | ".join(title for _, title in columns) + " |"
    rule = "|" + "|".join("---" if i == 0 else "---:" for i in range(len(columns))) + "|"
    lines = [header, rule]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(key), key) for key, _ in columns) + " |")
    return "\n".join(lines)


INGEST_COLUMNS = [("rows", "lines"), ("csv_mb", "CSV MB"), ("ingest_s", "ingest s"), ("rows_per_s", "lines/s"),
                  ("ingest_peak_rss_mb", "peak RSS MB"), ("snapshot_mb", "snapshot MB"),
                  ("append_s", "append 10k s"), ("append_peak_rss_mb", "append peak RSS MB"),
                  ("snapshot_after_mb", "snapshot after MB")]
PAGE_COLUMNS = [("page", "page"), ("view", "view"), ("sections", "sections"), ("asked", "queries asked"),
                ("ran", "ran"), ("ran_again", "ran twice"), ("from_lines", "from lines"),
                ("uncached_ms", "uncached ms"), ("cold_ms", "first view after ingest ms"), ("warm_ms", "warm ms"),
                ("cold_vs_uncached", "cold / uncached")]
DATA_COLUMNS = [("page", "page"), ("view", "view"), ("mauzo_ms", "Mauzo data layer ms"), ("pandas_ms", "(a) pandas ms"),
                ("polars_ms", "(b) Polars ms"), ("sql_ms", "(c) raw SQL ms"), ("vs_pandas", "Mauzo/(a)"),
                ("vs_polars", "Mauzo/(b)"), ("vs_sql", "Mauzo/(c)")]
BROWSER_COLUMNS = [("page", "page"), ("graphs", "charts"), ("cold_ms", "cold: all drawn ms"),
                   ("warm_ms", "warm, private window: all drawn ms"),
                   ("returning_ms", "warm, returning visitor: all drawn ms"), ("cold_plot_ms", "cold: in Plotly ms"),
                   ("warm_plot_ms", "warm: in Plotly ms"), ("js_kb", "JS KB sent"), ("plotly_kb", "of which Plotly"),
                   ("cold_wire_kb", "cold: KB on the wire"), ("warm_fetched", "warm: static files fetched"),
                   ("warm_callbacks", "callback requests"), ("warm_callback_waves", "callback waves")]
REST_COLUMNS = [("target", "target"), ("clients", "clients"), ("rps", "req/s"), ("p50_ms", "p50 ms"),
                ("p99_ms", "p99 ms"), ("errors", "errors"), ("requests", "requests"), ("vs_health", "vs /api/health")]
