"""Colours and the Plotly look shared by every chart.

A branch or product line keeps its colour on every page and across ingests. The property that
matters is "adding values never changes the colour of existing values", and no function of the
current value list alone can give it without collisions (sorted positions shift when a new name
sorts first; a bare hash puts two of eight branches on one colour most of the time). So colours are
*assigned once and remembered*: the first values seen take the palette in name order; a value that
arrives later takes the palette slot its SHA-256 points to, or the next slot that is free (then the
least used), and the assignment is kept in
``<data dir>/colors.json``, written under a file lock, so every gunicorn worker and every restart
reads the same colours. Existing entries are never rewritten. Without a store directory (unit
tests, an app over no data) the same rule runs in memory for the process.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import threading
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from components.figure_spec import Figure

log = logging.getLogger("mauzo.theme")

PALETTE: tuple[str, ...] = (
    "#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d",
    "#ea580c", "#4f46e5", "#0d9488", "#a16207", "#be123c", "#475569",
)
REVENUE_COLOR = "#94a3b8"
PROFIT_COLOR = "#16a34a"
NEGATIVE_COLOR = "#dc2626"
HEATMAP_SCALE = "Blues"
DIVERGING_SCALE = "RdYlGn"
REGISTRY_FILE = "colors.json"
# Legends sit at the bottom of the figure, positioned in pixels from the container: Plotly then
# grows the bottom margin to fit them, so a legend never lands on the axis tick labels (a legend at
# a negative *paper* y moves with the plot height and covered the ticks of short charts).
LEGEND_BELOW: dict = {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0,
                      "xanchor": "left"}


def preferred_slot(kind: str, value: str) -> int:
    """The palette slot a value asks for first: a stable hash (never Python's salted ``hash()``)."""
    digest = hashlib.sha256(f"{kind}\0{value}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % len(PALETTE)


def assign_colors(kind: str, known: dict[str, str], new_values: Iterable[str]) -> dict[str, str]:
    """``known`` plus a colour for each new value; ``known`` entries are copied unchanged.

    The first values ever seen take the palette in name order (the colours the app always gave
    them, so nobody's chart changes when this registry first appears); a later value takes the
    slot its hash prefers if unused, else the next unused one; once all are used, the next of the
    least used. New values of one batch are handled in name order, so a batch is deterministic."""
    result = dict(known)
    fresh = sorted(set(new_values) - set(result))
    if not result:
        return {value: PALETTE[i % len(PALETTE)] for i, value in enumerate(fresh)}
    used = Counter(result.values())
    for value in fresh:
        least = min(used[c] for c in PALETTE)
        start = preferred_slot(kind, value)
        color = next(PALETTE[(start + k) % len(PALETTE)] for k in range(len(PALETTE))
                     if used[PALETTE[(start + k) % len(PALETTE)]] == least)
        result[value] = color
        used[color] += 1
    return result


class ColorRegistry:
    """Remembered colours per kind ("branch", "product_line"), optionally persisted in a JSON file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._memory: dict[str, dict[str, str]] = {}
        self._seen: tuple[int, int] | None = None

    def _read(self) -> dict[str, dict[str, str]]:
        if self.path is None:
            return self._memory
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return self._memory
        if self._seen != (stat.st_mtime_ns, stat.st_size):
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                log.warning("colour registry %s is unreadable; keeping the colours in memory", self.path)
                return self._memory
            kinds = {k: dict(v) for k, v in data.items() if isinstance(v, dict)}
            # Entries this process assigned but could not persist survive a re-read.
            for kind, values in self._memory.items():
                kinds[kind] = {**values, **kinds.get(kind, {})}
            self._memory, self._seen = kinds, (stat.st_mtime_ns, stat.st_size)
        return self._memory

    def colors(self, kind: str, values: Iterable[str]) -> dict[str, str]:
        wanted = [str(v) for v in values]
        with self._lock:
            known = self._read().get(kind, {})
            if all(v in known for v in wanted):
                return {v: known[v] for v in wanted}
            known = self._add(kind, wanted)
        return {v: known[v] for v in wanted}

    def _add(self, kind: str, values: list[str]) -> dict[str, str]:
        if self.path is None:
            self._memory[kind] = assign_colors(kind, self._memory.get(kind, {}), values)
            return self._memory[kind]
        try:
            with _file_lock(self.path.with_name(self.path.name + ".lock")):
                self._seen = None
                current = self._read()
                current[kind] = assign_colors(kind, current.get(kind, {}), values)
                tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
                tmp.write_text(json.dumps(current, indent=1, sort_keys=True, ensure_ascii=False), encoding="utf-8")
                os.replace(tmp, self.path)
                return current[kind]
        except OSError as exc:
            log.warning("cannot save colours to %s (%s); this process keeps them in memory", self.path, exc)
            self._memory[kind] = assign_colors(kind, self._memory.get(kind, {}), values)
            return self._memory[kind]


@contextlib.contextmanager
def _file_lock(path: Path):  # type: ignore[no-untyped-def]
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_REGISTRIES: dict[Path | None, ColorRegistry] = {}
_REGISTRIES_LOCK = threading.Lock()


def _store_dir() -> Path | None:
    """The running app's data directory (None outside an app, or when it does not exist)."""
    try:
        from flask import current_app, has_app_context

        if not has_app_context():
            return None
        settings = current_app.config.get("MAUZO_SETTINGS")
    except ImportError:  # pragma: no cover - flask is a dependency
        return None
    data_dir = Path(settings.data_dir) if settings is not None else None
    return data_dir if data_dir is not None and data_dir.is_dir() else None


def registry(data_dir: Path | None = None) -> ColorRegistry:
    """The registry for ``data_dir`` (default: the app's store directory), one per process."""
    data_dir = data_dir if data_dir is not None else _store_dir()
    path = data_dir / REGISTRY_FILE if data_dir is not None else None
    with _REGISTRIES_LOCK:
        if path not in _REGISTRIES:
            _REGISTRIES[path] = ColorRegistry(path)
        return _REGISTRIES[path]


def color_map(all_values: Iterable[str], kind: str = "value", data_dir: Path | None = None) -> dict[str, str]:
    """Value -> colour, remembered per ``kind`` (see the module doc): a new value never changes
    the colour of one seen before."""
    return registry(data_dir).colors(kind, all_values)


def base_layout(fig: Figure, title: str | None = None, subtitle: str | None = None,
                height: int | None = None) -> Figure:
    """Apply the shared look: transparent background (works in light and dark mode; the CSS in
    assets/ sets text colours from the Bootstrap theme), compact margins, KSh-friendly hover."""
    text = None
    if title:
        text = f"{title}<br><sup>{subtitle}</sup>" if subtitle else title
    fig.update_layout(
        title={"text": text, "x": 0.0, "xanchor": "left", "font": {"size": 15}} if text else None,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12},
        margin={"l": 8, "r": 8, "t": 56 if text else 16, "b": 8},
        hoverlabel={"font": {"size": 12}},
        legend=LEGEND_BELOW,
        colorway=list(PALETTE),
        separators=".,",
    )
    fig.update_xaxes(gridcolor="rgba(128,128,128,0.18)", zerolinecolor="rgba(128,128,128,0.35)", automargin=True)
    fig.update_yaxes(gridcolor="rgba(128,128,128,0.18)", zerolinecolor="rgba(128,128,128,0.35)", automargin=True)
    if height:
        fig.update_layout(height=height)
    return fig


def graph_config(filename: str) -> dict:
    """dcc.Graph config: PNG download from the mode bar with a meaningful file name."""
    return {
        "displaylogo": False,
        "responsive": True,
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
        "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
    }
