"""Recognise common header spellings so most ERP and spreadsheet exports load without a mapping.

Headers are compared after normalising: lower case, every non-alphanumeric character removed,
and a trailing currency tag dropped, so ``Sales Person``, ``sales_person``, ``SalesPerson`` and
``SALES-PERSON`` are one name, and ``Net Sales (KSh)`` is ``netsales``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.report import Problem
from ingest.schema import CANONICAL_COLUMNS

GROSS_PROFIT = "gross_profit"
TARGETS: tuple[str, ...] = (*CANONICAL_COLUMNS, GROSS_PROFIT)

ALIASES: dict[str, tuple[str, ...]] = {
    "sale_date": ("saledate", "date", "salesdate", "orderdate", "invoicedate", "transactiondate", "txndate",
                  "docdate", "documentdate", "postingdate", "trandate"),
    "invoice_id": ("invoiceid", "invoiceno", "invoicenumber", "invoice", "invoicenum", "docnum", "docno",
                   "documentno", "documentnumber", "receiptno", "receiptnumber", "orderid", "orderno",
                   "ordernumber", "transactionid"),
    "branch": ("branch", "branchname", "store", "storename", "outlet", "shop", "location"),
    "product_line": ("productline", "productcategory", "category", "division", "department"),
    "item_group": ("itemgroup", "itemgroupname", "itmsgrpnam", "subcategory", "productgroup", "group"),
    "item_name": ("itemname", "item", "product", "productname", "itemdescription", "description", "dscription",
                  "sku", "itemcode"),
    "salesperson": ("salesperson", "salespersonname", "salesrep", "salesagent", "slpname", "salesman", "seller",
                    "rep", "agent", "staff"),
    "customer": ("customer", "customername", "cardname", "client", "clientname", "account", "accountname",
                 "buyer"),
    "quantity": ("quantity", "qty", "units", "unitssold", "qtysold", "quantitysold"),
    "revenue": ("revenue", "netsales", "amount", "sales", "netamount", "linetotal", "netrevenue",
                "salesamount", "salesvalue", "netvalue"),
    "cost": ("cost", "costofsales", "cogs", "totalcost", "linecost", "costamount", "costvalue"),
    GROSS_PROFIT: ("grossprofit", "gp", "profit", "grossprofitamount"),
}
_LOOKUP: dict[str, str] = {alias: target for target, names in ALIASES.items() for alias in names}
_CURRENCY_TAIL = re.compile(r"(ksh|kes|kshs)$")


def normalise(header: str) -> str:
    """The comparison key of a header: ``" Net Sales (KSh) "`` -> ``"netsales"``."""
    key = re.sub(r"[^0-9a-z]", "", header.lower())
    stripped = _CURRENCY_TAIL.sub("", key)
    return stripped or key


def recognise(header: str) -> str | None:
    """The canonical name a header spelling stands for, if any."""
    key = normalise(header)
    return key if key in TARGETS else _LOOKUP.get(key)


def score(headers: list[str]) -> int:
    """How many headers are recognised: ranks candidate delimiters while sniffing."""
    return sum(recognise(h) is not None for h in headers)


@dataclass
class ColumnPlan:
    """Which source column feeds each canonical column, and which source columns are unused."""

    sources: dict[str, str] = field(default_factory=dict)  # canonical -> source header
    ignored: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def plan_columns(headers: list[str], explicit: dict[str, str] | None = None) -> ColumnPlan:
    """Explicit mapping entries (source -> canonical) win; other headers are recognised by spelling.

    Two source columns that would feed the same canonical column are refused, not guessed."""
    explicit = explicit or {}
    plan = ColumnPlan()
    for source, target in explicit.items():
        if source not in headers:
            plan.problems.append(Problem(
                target, "mapping_column_missing",
                f"the mapping reads column {source!r}, which the file does not have (columns: {headers})", 0))
        else:
            plan.sources[target] = source
    claimed: dict[str, list[str]] = {}
    for header in headers:
        if header in explicit:
            continue
        target = recognise(header)
        if target is None or target in plan.sources:
            plan.ignored.append(header)
            continue
        claimed.setdefault(target, []).append(header)
    for target, sources in claimed.items():
        if len(sources) > 1:
            plan.problems.append(Problem(
                target, "ambiguous_column",
                f"several columns look like {target}: {sources}; name one in a mapping file", 0))
        else:
            plan.sources[target] = sources[0]
    return plan
