"""No two components of a drawn page share an id: the shell, the page's layout and every section's
output together. Dash cannot tell such components apart (a button's click or a download would go
to whichever it finds first), and says so only in debug mode."""

from __future__ import annotations

import importlib
import inspect
import json
from collections import Counter
from typing import Any

import dash
import pytest

from app import PAGE_MODULES
from app.shell import build_layout
from components.callbacks import SECTIONS
from components.state import render_section
from data.filters import Filters
from tests.dash_tree import find_all

VIEW = Filters.create(start="2025-01-01", end="2025-06-30")
SECTION_PAGES = [name for name in PAGE_MODULES if importlib.import_module(name) and name in SECTIONS]


def _ids(tree: Any) -> list[str]:
    found = find_all(tree, lambda c: getattr(c, "id", None) is not None)
    return [json.dumps(c.id, sort_keys=True) if isinstance(c.id, dict) else str(c.id) for c in found]


def _render(section: Any) -> Any:
    params = list(inspect.signature(section).parameters.values())[1:]
    extra = [p.default if p.default is not inspect.Parameter.empty else None for p in params]
    return render_section(lambda: section(VIEW, *extra))


@pytest.mark.parametrize("module", SECTION_PAGES)
def test_a_drawn_page_has_no_duplicate_ids(demo_engine, module: str) -> None:
    page = next(p for p in dash.page_registry.values() if p["module"] == module)
    layout = page["layout"]() if callable(page["layout"]) else page["layout"]
    ids = _ids(build_layout()) + _ids(layout)
    for section in SECTIONS[module]:
        ids += _ids(_render(section))
    assert len(ids) > 20
    assert {i: n for i, n in Counter(ids).items() if n > 1} == {}
