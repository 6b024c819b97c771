"""Every named query the data layer sends, built from the declarations (for golden SQL per dialect).

A new dimension, metric or grain adds its queries here automatically; the golden files then show,
in review, exactly which SQL each engine receives."""

from __future__ import annotations

from data.datasets import SALES
from data.dimensions import FILTER_DIMENSIONS
from data.engines.base import TimeGrain
from data.filters import Filters
from data.metrics import CORE_AGGREGATES
from data.sql import QuerySpec

# One filter that exercises every declared filter dimension (two values each) and both dates.
EVERY_FILTER = Filters.create(start="2025-01-01", end="2025-03-31",
                              **{d.name: [f"{d.arg}-a", f"{d.arg}-b"] for d in FILTER_DIMENSIONS})


def named_queries() -> dict[str, QuerySpec]:
    specs: dict[str, QuerySpec] = {
        "summary": QuerySpec("summary", EVERY_FILTER),
        "date_bounds": QuerySpec("date_bounds", EVERY_FILTER.with_dates(None, None),
                                 aggregates=("first_sale", "last_sale", "lines")),
        "customers.profiles": QuerySpec("customers.profiles", EVERY_FILTER, dimensions=("customer",),
                                        aggregates=(*CORE_AGGREGATES, "first_sale", "last_sale", "active_days")),
        "matrix.salesperson.product_line": QuerySpec(
            "matrix.salesperson.product_line", EVERY_FILTER, dimensions=("salesperson", "product_line"),
            aggregates=("revenue", "cost", "gross_profit", "transactions", "lines")),
    }
    for grain in TimeGrain:
        specs[f"trend.{grain.value}"] = QuerySpec("trend", EVERY_FILTER, grain=grain)
        specs[f"trend.branch.{grain.value}"] = QuerySpec("trend.branch", EVERY_FILTER, dimensions=("branch",),
                                                         grain=grain)
    for name in SALES.dimensions:
        specs[f"breakdown.{name}"] = QuerySpec(f"breakdown.{name}", EVERY_FILTER, dimensions=(name,))
    for dim in FILTER_DIMENSIONS:
        specs[f"options.{dim.name}"] = QuerySpec(f"options.{dim.name}", dimensions=(dim.name,), aggregates=("lines",))
    return specs
