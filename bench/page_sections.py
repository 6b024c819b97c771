"""Each page's section fillers, the functions its Dash callbacks run (queries + figures + tables).

``components.callbacks.section_callback`` registers a page's ``*_section`` functions and returns
them unchanged, so calling them with a ``Filters`` is exactly the server work of opening the page,
minus HTTP. Found by that naming convention, so new pages and sections join by themselves.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from pathlib import Path

from data.filters import Filters


def _call_all(sections: list[Callable[..., object]]) -> Callable[[Filters], None]:
    def render(filters: Filters) -> None:
        for section in sections:
            params = list(inspect.signature(section).parameters.values())[1:]
            section(filters, *(p.default if p.default is not inspect.Parameter.empty else None for p in params))

    return render


def page_sections(store: Path) -> dict[str, Callable[[Filters], None]]:
    """Build the app once (pages register themselves with Dash) and collect each page's sections."""
    from app import PAGE_MODULES, create_app
    from app.config import Settings

    create_app(Settings(data_dir=store, cache_backend="none", redis_url=None))
    pages: dict[str, Callable[[Filters], None]] = {}
    for name in PAGE_MODULES:
        module = importlib.import_module(name)
        sections = [fn for attr, fn in sorted(vars(module).items())
                    if attr.endswith("_section") and inspect.isfunction(fn) and fn.__module__ == name]
        if sections:
            pages[name.rsplit(".", 1)[-1].capitalize()] = _call_all(sections)
    return pages
