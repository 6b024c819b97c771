"""Walk Dash component trees returned by callbacks, for tests that check what a page shows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def children_of(component: Any) -> list[Any]:
    children = getattr(component, "children", None)
    if children is None or isinstance(children, str | int | float):
        return []
    return list(children) if isinstance(children, list | tuple) else [children]


def find_all(component: Any, match: type | Callable[[Any], bool]) -> list[Any]:
    """Every component in the tree that is an instance of ``match`` (a type) or satisfies it."""
    test = (lambda c: isinstance(c, match)) if isinstance(match, type) else match
    found = [component] if test(component) else []
    for child in children_of(component):
        found += find_all(child, match)
    return found


def text_of(component: Any) -> str:
    """All visible text in the tree, space-joined."""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(text_of(c) for c in component)
    children = getattr(component, "children", None)
    return text_of(children) if children is not None else ""
