"""Build a Plotly figure as plain dicts, validate it once at the end.

Every ``fig.update_layout``/``update_xaxes``/``add_bar`` on a ``go.Figure`` runs Plotly's property
machinery (path parsing, validators, change callbacks): 2-6 ms per call, 30-100 ms per chart here,
which was most of a page's server time outside its queries. The same figure given whole to the
``go.Figure`` constructor is validated in one pass (about 3 ms). ``FigureSpec`` offers the subset of
the ``go.Figure`` API our chart builders use, with the same merge rules, on plain dicts; ``finish``
turns it into a real (validated) ``go.Figure``, so callers and tests still get a ``go.Figure``.

``validated_path()`` makes ``new_figure`` hand out a real ``go.Figure`` instead, so a builder runs
its calls through Plotly one by one exactly as before; ``tests/components/test_figure_spec.py``
renders every page both ways and requires identical figure JSON.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import plotly.graph_objects as go

_VALIDATED: ContextVar[bool] = ContextVar("mauzo_figure_validated_path", default=False)
_SUBPLOT_AXIS = {"xaxis": re.compile(r"^xaxis\d*$"), "yaxis": re.compile(r"^yaxis\d*$")}


@contextlib.contextmanager
def validated_path(enabled: bool = True) -> Iterator[None]:
    """Within the block, chart builders build step by step on ``go.Figure`` (the reference path)."""
    token = _VALIDATED.set(enabled)
    try:
        yield
    finally:
        _VALIDATED.reset(token)


def _plain(value: Any) -> Any:
    """A fresh copy of nested dicts (so later merges never write into a caller's constant)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _merge(target: dict[str, Any], update: dict[str, Any], nulls: set[tuple[str, ...]],
           path: tuple[str, ...] = ()) -> dict[str, Any]:
    """Plotly's update rule: a dict merges into a compound property, anything else replaces it,
    None unsets it (its path is kept in ``nulls``: Plotly leaves an empty object for a compound
    property set to None, which ``FigureSpec.figure`` reproduces). A title given as a string is
    Plotly's ``{"text": ...}``."""
    for key, value in update.items():
        where = (*path, key)
        if value is None:
            target.pop(key, None)
            nulls.add(where)
            continue
        nulls.discard(where)
        current = target.get(key)
        if isinstance(value, dict):
            if key == "title" and isinstance(current, str):
                current = {"text": current}
            target[key] = _merge(dict(current) if isinstance(current, dict) else {}, value, nulls, where)
        else:
            target[key] = _plain(value)
    return target


class FigureSpec:
    """Traces and layout of a figure as dicts; the ``go.Figure`` methods the builders call."""

    def __init__(self, *traces: dict[str, Any]) -> None:
        self.data: list[dict[str, Any]] = [dict(t) for t in traces]
        self.layout: dict[str, Any] = {}
        self._nulls: set[tuple[str, ...]] = set()

    def add_trace(self, trace: dict[str, Any]) -> FigureSpec:
        self.data.append(dict(trace))
        return self

    def add_bar(self, **kwargs: Any) -> FigureSpec:
        return self.add_trace({"type": "bar", **kwargs})

    def add_scatter(self, **kwargs: Any) -> FigureSpec:
        return self.add_trace({"type": "scatter", **kwargs})

    def update_layout(self, dict1: dict[str, Any] | None = None, **kwargs: Any) -> FigureSpec:
        _merge(self.layout, dict1 or {}, self._nulls)
        _merge(self.layout, kwargs, self._nulls)
        return self

    def _update_axes(self, prefix: str, dict1: dict[str, Any] | None, kwargs: dict[str, Any]) -> FigureSpec:
        # Like go.Figure.update_xaxes: the main axis always, plus every numbered one laid out so far.
        keys = [prefix, *(k for k in self.layout if k != prefix and _SUBPLOT_AXIS[prefix].match(k))]
        for key in keys:
            self.update_layout({key: {**(dict1 or {}), **kwargs}})
        return self

    def update_xaxes(self, dict1: dict[str, Any] | None = None, **kwargs: Any) -> FigureSpec:
        return self._update_axes("xaxis", dict1, kwargs)

    def update_yaxes(self, dict1: dict[str, Any] | None = None, **kwargs: Any) -> FigureSpec:
        return self._update_axes("yaxis", dict1, kwargs)

    def add_annotation(self, **kwargs: Any) -> FigureSpec:
        self.layout.setdefault("annotations", []).append(kwargs)
        return self

    def add_hline(self, y: float, **kwargs: Any) -> FigureSpec:
        """A line across the plot at ``y`` (what go.Figure.add_hline draws on a single plot)."""
        shape = {"type": "line", "x0": 0, "x1": 1, "xref": "x domain", "y0": y, "y1": y, "yref": "y"}
        self.layout.setdefault("shapes", []).append({**shape, **kwargs})
        return self

    def add_vline(self, x: float, **kwargs: Any) -> FigureSpec:
        """A line up the plot at ``x`` (what go.Figure.add_vline draws on a single plot)."""
        shape = {"type": "line", "x0": x, "x1": x, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain"}
        self.layout.setdefault("shapes", []).append({**shape, **kwargs})
        return self

    def figure(self) -> go.Figure:
        """The validated ``go.Figure`` (one constructor pass: same JSON as the step-by-step path)."""
        fig = DrawnFigure(data=self.data, layout=self.layout)
        for *parents, key in sorted(self._nulls):
            owner = fig.layout
            for name in parents:
                owner = owner[name]
            owner.update({key: None})  # as update_layout does: an empty object for a compound (a title)
        return fig


class DrawnFigure(go.Figure):
    """A ``go.Figure`` built from a ``FigureSpec``. Its JSON form is its own property dicts, read as
    they are: ``go.Figure.to_plotly_json`` deep-copies them and walks them for numpy arrays to
    encode, which a spec (plain lists from Polars) never holds (the serializer only reads)."""

    def to_plotly_json(self) -> dict[str, Any]:
        return {"data": self._data, "layout": self._layout}


Figure = FigureSpec | go.Figure


def new_figure(*traces: dict[str, Any]) -> Any:
    """An empty figure (or one with ``traces``) to build on: a ``FigureSpec``, or on the validated
    path a ``go.Figure``."""
    if _VALIDATED.get():
        return go.Figure(list(traces))
    return FigureSpec(*traces)


def finish(fig: Any) -> go.Figure:
    """The ``go.Figure`` a builder returns."""
    return fig.figure() if isinstance(fig, FigureSpec) else fig
