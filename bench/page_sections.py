"""Each page's section fillers, the functions its Dash callbacks run (queries + figures + tables).

``components.callbacks.section_callback`` registers a page's section functions (listing them in
``SECTIONS``, wrapped only by the section cache) and returns them, so calling them with a ``Filters``
and serializing the result is exactly the server work of opening the page, minus HTTP; new pages
and sections join by themselves. Each section runs inside its own ``collect_stats`` block, as each
runs in its own request in the app.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from plotly.io.json import to_json_plotly

from data import service
from data.filters import Filters

Section = Callable[..., Any]


def call_section(section: Section, filters: Filters) -> service.RequestStats:
    """Run one section as its callback does on first load (extra inputs at their defaults), in its
    own request context, and serialize its output as Dash does for the response (building the
    figures' JSON is part of the server's work); returns the queries it asked for."""
    params = list(inspect.signature(section).parameters.values())[1:]
    extra = (p.default if p.default is not inspect.Parameter.empty else None for p in params)
    with service.collect_stats() as stats:
        to_json_plotly(section(filters, *extra))
    return stats


def renderer(sections: list[Section]) -> Callable[[Filters], list[service.RequestStats]]:
    """All of a page's sections, one after another (what opening the page costs the server)."""
    def render(filters: Filters) -> list[service.RequestStats]:
        return [call_section(section, filters) for section in sections]

    return render


def page_sections(store: Path, renderers: bool = True) -> dict[str, Any]:
    """Build the app once (pages register themselves with Dash) and collect each page's sections:
    a render function per page, or (``renderers=False``) the list of section functions."""
    from app import PAGE_MODULES, create_app
    from app.config import Settings
    from components.callbacks import SECTIONS

    create_app(Settings(data_dir=store, cache_backend="none", redis_url=None))
    pages: dict[str, Any] = {}
    for name in PAGE_MODULES:
        importlib.import_module(name)
        sections = list(SECTIONS.get(name, ()))
        if sections:
            pages[name.rsplit(".", 1)[-1].capitalize()] = renderer(sections) if renderers else sections
    return pages
