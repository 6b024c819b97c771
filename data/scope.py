"""Scopes: what a viewer may see at all, applied by the compiler to every query.

A ``Scope`` is independent of the viewer's ``Filters``: the compiler adds the scope's conditions
*as well as* the filter's, so a filter asking for something outside the scope yields no rows,
never more. Option lists, insights, exports and the previous-period comparisons all go through
the same compiler, so none of them can reach past a scope.

The scope of the current request is a context variable (``scoped``) that the runner reads, so
code deep in a page or an endpoint cannot forget to pass it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

from data.dimensions import DIMENSIONS
from data.errors import InvalidFilter

ScopeRules = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class Scope:
    """Allowed values per dimension. No rule for a dimension means unrestricted on it; a rule with
    no values allows nothing (a scope never fails open)."""

    rules: ScopeRules = field(default=())

    @classmethod
    def of(cls, **allowed: Iterable[str]) -> Scope:
        """``Scope.of(branch=["Mombasa"])``: keys are dimension names."""
        rules: dict[str, tuple[str, ...]] = {}
        for name, values in allowed.items():
            if name not in DIMENSIONS:
                raise InvalidFilter(f"unknown scope dimension {name!r}", {"scope": f"unknown dimension {name!r}"})
            if isinstance(values, str):
                values = [values]
            rules[name] = tuple(sorted({v for v in values if isinstance(v, str)}))
        return cls(tuple(sorted(rules.items())))

    @property
    def unrestricted(self) -> bool:
        return not self.rules

    def allowed(self, name: str) -> tuple[str, ...] | None:
        """The allowed values of ``name``, or None when the scope does not restrict it."""
        return dict(self.rules).get(name)

    def __and__(self, other: Scope) -> Scope:
        """Both scopes at once: per dimension, only values that both allow."""
        merged = dict(self.rules)
        for name, values in other.rules:
            merged[name] = tuple(sorted(set(merged[name]) & set(values))) if name in merged else values
        return Scope(tuple(sorted(merged.items())))

    def describe(self) -> str:
        if self.unrestricted:
            return "everything"
        return "; ".join(f"{DIMENSIONS[n].plural} {', '.join(v) or '(none)'}" for n, v in self.rules)


UNRESTRICTED = Scope()
_scope_var: ContextVar[Scope] = ContextVar("mauzo_scope", default=UNRESTRICTED)


def current_scope() -> Scope:
    return _scope_var.get()


@contextlib.contextmanager
def scoped(scope: Scope) -> Iterator[Scope]:
    """Run the block under ``scope`` intersected with any scope already in force (nesting can only
    narrow, never widen)."""
    effective = current_scope() & scope
    token = _scope_var.set(effective)
    try:
        yield effective
    finally:
        _scope_var.reset(token)
