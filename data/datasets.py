"""Datasets, declared once: a table, its time column, its dimensions and its metrics.

The compiler, the cache, the REST machinery and the page helpers take a ``Dataset`` rather than
assuming the sales table, so the CRM opportunities table is one more declaration, not a copy of
the data layer.
"""

from __future__ import annotations

from dataclasses import dataclass

from data.dimensions import DIMENSIONS, Dimension
from data.errors import InvalidFilter
from data.metrics import PIPELINE_METRICS, SALES_METRICS, Metric
from data.schema import OPPORTUNITIES_TABLE, OPPORTUNITY_COLUMNS, SALES_TABLE, STORAGE_COLUMNS


@dataclass(frozen=True)
class Dataset:
    name: str
    table: str  # logical table name; an engine may map it (Druid's datasource name)
    time_column: str  # a DATE column; date filters and time grains apply to it
    dimensions: tuple[str, ...]  # names in data.dimensions.DIMENSIONS
    columns: dict[str, str]  # stored column -> DuckDB type
    metrics: dict[str, Metric]

    def __post_init__(self) -> None:
        unknown = [d for d in self.dimensions if d not in DIMENSIONS or d not in self.columns]
        if unknown:
            raise ValueError(f"dataset {self.name}: dimensions without a declaration or column: {unknown}")

    def dimension(self, name: str) -> Dimension:
        """The declaration of ``name`` if this dataset has it; else ``InvalidFilter`` (the only way a
        dimension name reaches SQL text)."""
        if name not in self.dimensions:
            raise InvalidFilter(f"unknown dimension {name!r}",
                                {"dimension": f"must be one of {list(self.dimensions)}"})
        return DIMENSIONS[name]

    def metric(self, name: str) -> Metric:
        try:
            return self.metrics[name]
        except KeyError:
            raise InvalidFilter(f"unknown metric {name!r}", {"metric": f"unknown metric {name!r}"}) from None


SALES = Dataset(
    name="sales",
    table=SALES_TABLE,
    time_column="sale_date",
    dimensions=("branch", "product_line", "item_group", "item_name", "salesperson", "customer"),
    columns=STORAGE_COLUMNS,
    metrics=SALES_METRICS,
)

PIPELINE = Dataset(
    name="pipeline",
    table=OPPORTUNITIES_TABLE,
    # A closed deal is dated by its close date, an open one by its engage date (data.schema).
    time_column="activity_date",
    dimensions=("branch", "product_line", "salesperson", "customer", "opportunity_id", "product", "manager", "stage",
                "outcome", "sector", "lead_source", "cycle_days"),
    columns=OPPORTUNITY_COLUMNS,
    metrics=PIPELINE_METRICS,
)

DATASETS: dict[str, Dataset] = {d.name: d for d in (SALES, PIPELINE)}
