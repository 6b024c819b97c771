"""What is drawn where: bounding boxes of rendered text, overlap and containment checks, and a live
app over a store built for one test module."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import build_store
from tests.live import running_app

_BOXES_JS = """sel => [...document.querySelectorAll(sel)]
  .filter(e => e.textContent.trim() && e.getBoundingClientRect().width > 0)
  .map(e => { const r = e.getBoundingClientRect();
              return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, text: e.textContent}; })"""


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float
    text: str = ""

    def overlaps(self, other: Box, tolerance: float = 0.5) -> bool:
        return (self.left < other.right - tolerance and other.left < self.right - tolerance
                and self.top < other.bottom - tolerance and other.top < self.bottom - tolerance)

    def inside(self, other: Box, tolerance: float = 0.5) -> bool:
        return (self.left >= other.left - tolerance and self.right <= other.right + tolerance
                and self.top >= other.top - tolerance and self.bottom <= other.bottom + tolerance)


def boxes(page, selector: str) -> list[Box]:  # type: ignore[no-untyped-def]
    """Boxes of the visible, non-empty elements matching ``selector``."""
    return [Box(**b) for b in page.evaluate(_BOXES_JS, selector)]


def overlapping_pairs(items: list[Box], others: list[Box] | None = None) -> list[tuple[str, str]]:
    """Pairs that overlap: within ``items``, or between ``items`` and ``others``."""
    if others is None:
        return [(a.text, b.text) for i, a in enumerate(items) for b in items[i + 1:] if a.overlaps(b)]
    return [(a.text, b.text) for a in items for b in others if a.overlaps(b)]


def wait_for_plots(page, selector: str = ".js-plotly-plot") -> None:  # type: ignore[no-untyped-def]
    """Wait until every Plotly graph matching ``selector`` has drawn its SVG."""
    page.wait_for_function(
        "sel => { const g = [...document.querySelectorAll(sel)]; "
        "return g.length > 0 && g.every(p => p._fullLayout && p.querySelector('.main-svg')); }",
        arg=selector, timeout=30_000)
    page.wait_for_timeout(300)  # Plotly finishes text layout after its first paint


@contextlib.contextmanager
def serve_lines(tmp_path_factory: pytest.TempPathFactory, lines: pl.DataFrame, name: str) -> Iterator[tuple[str, Path]]:
    """The real app (one gunicorn worker) over a new store holding ``lines``: (url, store dir)."""
    store = build_store(tmp_path_factory.mktemp(f"{name}-store"), lines, name=name)
    log = tmp_path_factory.mktemp(f"{name}-log") / "server.log"
    with running_app(store, workers=1, log_path=log) as url:
        yield url, store
