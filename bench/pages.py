"""Each page's set of data-layer calls (what rendering that page asks of the data layer)."""

from __future__ import annotations

from collections.abc import Callable

from data import queries
from data.filters import Filters


def _overview(f: Filters) -> None:
    queries.kpis(f)
    queries.trend(f, "month")
    for dimension in ("salesperson", "product_line", "branch", "customer"):
        queries.breakdown(f, dimension)


def _salespeople(f: Filters) -> None:
    queries.breakdown(f, "salesperson")
    queries.matrix(f, "salesperson", "product_line")


def _products(f: Filters) -> None:
    queries.breakdown(f, "product_line")
    queries.breakdown(f, "item_name", context=("item_group", "product_line"))


def _branches(f: Filters) -> None:
    queries.breakdown(f, "branch")
    queries.dimension_trend(f, "branch")
    queries.matrix(f, "branch", "product_line")


def _customers(f: Filters) -> None:
    queries.customer_profiles(f)


PAGES: dict[str, Callable[[Filters], None]] = {
    "Overview": _overview,
    "Salespeople": _salespeople,
    "Products": _products,
    "Branches": _branches,
    "Customers": _customers,
}
