"""``section_callback``: the one way a page section gets its data.

It registers a Dash callback from the global filter store (and the Refresh button) to one section
container, turns the store into a validated ``Filters``, bypasses the cache on Refresh, and wraps the
body in the shared data-state handling. The decorated function is returned wrapped only by the
section cache (``components.section_cache``: a warm view is one cache GET per section; without a
cache it runs as written), so tests and benchmarks call it directly with a ``Filters`` value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dash import Input, Output, callback, ctx
from dash.exceptions import PreventUpdate

from components.section_cache import cached_section
from components.state import render_section
from data.filters import Filters
from data.service import bypass_cache

FILTERS_STORE = "filters"
REFRESH_STORE = "refresh-token"
# Every registered section filler by page module, in registration order (benchmarks and tests
# render whole pages from it).
SECTIONS: dict[str, list[Callable[..., Any]]] = {}


def filters_from_store(data: dict | None) -> Filters:
    """The ``Filters`` value held by the shell's store (validated again: the store is client data)."""
    return Filters.from_args(data or {})


def section_callback(output_id: str, *extra_inputs: Input, prop: str = "children") -> Callable:
    """Register ``fn(filters, *extra_values)`` as the filler of section ``output_id``."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        section = cached_section(fn)

        @callback(
            Output(output_id, prop),
            Input(FILTERS_STORE, "data"),
            Input(REFRESH_STORE, "data"),
            *extra_inputs,
        )
        def _run(filters_data: dict | None, _refresh: Any, *extra: Any) -> Any:
            if filters_data is None:
                raise PreventUpdate
            refreshing = ctx.triggered_id == REFRESH_STORE
            with bypass_cache(refreshing):
                return render_section(lambda: section(filters_from_store(filters_data), *extra))

        _run.__name__ = f"section_{output_id.replace('-', '_')}"
        SECTIONS.setdefault(fn.__module__, []).append(section)
        return section

    return register
