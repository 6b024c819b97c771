"""Every page's figures are the same whichever way they are built: the dict-first ``FigureSpec``
path (``components.figure_spec``) and the step-by-step ``go.Figure`` path give identical JSON to
the browser for every section of every page, over a small demo store with sales and CRM deals,
under filters that take different paths (a year of two branches: monthly bars; half a year of one
product line; a single week: daily bars, the previous week as comparison)."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import pytest
from plotly.io.json import to_json_plotly

from app import PAGE_MODULES
from components.callbacks import SECTIONS
from components.charts import sparkline
from components.figure_spec import DrawnFigure, FigureSpec, new_figure, validated_path
from components.state import render_section
from data import service
from data.engines.duckdb_engine import DuckDBEngine
from data.filters import Filters
from ingest.demo import generate
from ingest.demo_pipeline import commit_demo_deals, demo_deals
from ingest.storage import commit_lines

END = dt.date(2025, 6, 30)
VIEWS = {
    "year, two branches": Filters.create(start=dt.date(2024, 7, 1), end=END, branch=["Mombasa", "Kisumu"]),
    "one product line": Filters.create(start=dt.date(2025, 1, 1), end=END, product_line=["Plumbing"]),
    "one week": Filters.create(start=dt.date(2025, 6, 23), end=dt.date(2025, 6, 29), compare="previous"),
}


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """3,000 demo lines and their CRM deals, the process runner pointed at them (uncached)."""
    data_dir = tmp_path_factory.mktemp("figure-paths")
    frame = generate(rows=3_000, seed=11, end=END)
    commit_lines(frame, data_dir=data_dir, file_name="demo", sha256="figure-paths", mode="replace")
    deals, failures = demo_deals(frame, 11, "demo")
    assert failures is None
    commit_demo_deals(deals, data_dir=data_dir, label="demo", mode="append")
    engine = DuckDBEngine(data_dir)
    previous = service.get_runner()
    service.configure(engine)
    yield data_dir
    service.configure(previous.engine, previous.cache)
    engine.close()


def _sections() -> list[Callable[..., Any]]:
    for name in PAGE_MODULES:
        importlib.import_module(name)
    return [section for name in PAGE_MODULES for section in SECTIONS.get(name, ())]


def _render(section: Callable[..., Any], filters: Filters) -> Any:
    """The JSON the browser gets for the section on first load (extra inputs at their defaults)."""
    params = list(inspect.signature(section).parameters.values())[1:]
    extra = [p.default if p.default is not inspect.Parameter.empty else None for p in params]
    return json.loads(to_json_plotly(render_section(lambda: section(filters, *extra))), parse_float=_float)


def _float(text: str) -> float:
    """A float to 12 significant digits: Polars sums floats over threads in no fixed order, so a
    share computed twice from the same frames may differ in its 16th digit (never in a figure)."""
    return float(f"{float(text):.12g}")


def _figures(tree: Any) -> list[dict]:
    """Every ``figure`` prop in a rendered component tree."""
    if isinstance(tree, list):
        return [f for item in tree for f in _figures(item)]
    if not isinstance(tree, dict):
        return []
    props = tree.get("props", {})
    found = [props["figure"]] if isinstance(props.get("figure"), dict) else []
    return found + [f for value in props.values() for f in _figures(value)]


def test_builders_use_the_spec_outside_the_validated_path() -> None:
    assert isinstance(new_figure(), FigureSpec)
    assert type(sparkline([1.0, 2.0])) is DrawnFigure
    with validated_path():
        assert not isinstance(new_figure(), FigureSpec)
        assert type(sparkline([1.0, 2.0])) is go.Figure


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_every_section_renders_the_same_json_both_ways(small_store: Path, view: str) -> None:
    filters = VIEWS[view]
    sections = _sections()
    assert len(sections) >= 20
    figures = 0
    for section in sections:
        service._MEMO.clear()
        # One request for both renders: the second gets the very frames the first got (a float sum
        # or the order of ties may differ between two runs of a query; the figures must not).
        with service.collect_stats():
            fast = _render(section, filters)
            with validated_path():
                reference = _render(section, filters)
        assert fast == reference, f"{section.__module__}.{section.__name__} differs under {view!r}"
        figures += len(_figures(fast))
    assert figures >= 15  # the comparison covered real charts, not only empty states
