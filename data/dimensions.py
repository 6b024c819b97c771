"""Dimensions, declared once: what a view can be grouped and filtered by.

Everything that names a dimension derives from this table: ``Filters`` (which selections exist),
the WHERE compiler, the words describing the active filters, REST argument parsing and OpenAPI
parameters, the filter bar's controls, the filter options endpoint and cross-filtering. Adding a
global filter is one ``Dimension(...)`` line with ``filter=True``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dimension:
    """A text column of a dataset that rows can be grouped by (and, if ``filter``, filtered on)."""

    name: str  # storage column, and the key used in Python (``product_line``)
    arg: str  # URL / REST / GraphQL argument (``productLine``)
    label: str  # singular, for people (``Product line``)
    plural: str  # lower-case plural, for sentences and placeholders (``product lines``)
    options_key: str  # key of its choices in the filter options payload (``productLines``)
    description: str
    filter: bool = False  # a global filter: URL argument, REST argument, filter bar control
    cross_filter: bool = False  # clicking it in a chart narrows the view to it
    # How a filter's choices are read: every distinct value in the data under the current scope.
    # (The only source so far; a declared list could be added here when a dimension needs one.)
    options: str = "distinct"

    @property
    def placeholder(self) -> str:
        return f"All {self.plural}"


DIMENSIONS: dict[str, Dimension] = {
    d.name: d
    for d in (
        Dimension("branch", "branch", "Branch", "branches", "branches",
                  "Branch (shop) that made the sale.", filter=True, cross_filter=True),
        Dimension("product_line", "productLine", "Product line", "product lines", "productLines",
                  "Product line (top level of the catalogue).", filter=True, cross_filter=True),
        Dimension("item_group", "itemGroup", "Item group", "item groups", "itemGroups",
                  "Item group within a product line.", filter=True),
        Dimension("salesperson", "salesperson", "Salesperson", "salespeople", "salespeople",
                  "Salesperson credited with the sale.", filter=True),
        Dimension("item_name", "itemName", "Item", "items", "items", "Item (product) sold."),
        Dimension("customer", "customer", "Customer", "customers", "customers",
                  "Customer account (walk-in and cash sales are pseudo-customers)."),
        # CRM opportunities (the pipeline dataset).
        Dimension("opportunity_id", "opportunityId", "Opportunity", "opportunities", "opportunities",
                  "The CRM's id of a deal."),
        Dimension("product", "product", "Product", "products", "products", "Product the deal is for."),
        Dimension("manager", "manager", "Manager", "managers", "managers", "The salesperson's manager."),
        Dimension("stage", "stage", "Stage", "stages", "stages", "The CRM stage the deal is in."),
        Dimension("outcome", "outcome", "Outcome", "outcomes", "outcomes", "won, lost or open."),
        Dimension("sector", "sector", "Sector", "sectors", "sectors", "The account's industry."),
        Dimension("lead_source", "leadSource", "Lead source", "lead sources", "leadSources",
                  "Where the lead came from."),
        Dimension("cycle_days", "cycleDays", "Sales cycle (days)", "sales cycles", "cycleDays",
                  "Days from engage to close of a closed deal (grouped on to compute exact medians)."),
    )
}

FILTER_DIMENSIONS: tuple[Dimension, ...] = tuple(d for d in DIMENSIONS.values() if d.filter)


def dimension(name: str) -> Dimension:
    """The declaration for ``name``; raises ``InvalidFilter`` for anything undeclared."""
    from data.errors import InvalidFilter

    try:
        return DIMENSIONS[name]
    except KeyError:
        raise InvalidFilter(f"unknown dimension {name!r}",
                            {"dimension": f"must be one of {sorted(DIMENSIONS)}"}) from None
