"""The same page data computed three other ways, for side-by-side timing (none of it is Mauzo):

(a) the naive Dash pattern: every line in a pandas DataFrame, filter + groupby per view;
(b) raw lines pulled from DuckDB (the view's filter pushed down) and aggregated in Polars;
(c) the raw SQL floor: the same aggregates written as plain DuckDB SQL over the lines.

Each computes, per grouping of the page (``GROUPINGS``), the core figures: units, lines,
transactions (distinct branch + invoice), account customers, revenue, cost, gross profit, gross
sales and returns (customer profiles add first and last sale and active days).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import polars as pl

from data.filters import Filters
from data.schema import NON_ACCOUNT_CUSTOMERS

MONTH = "month"
# Per page, the groupings its data needs (MONTH = a monthly trend); mirrors bench/pages.py.
GROUPINGS: dict[str, list[tuple[str, ...]]] = {
    "Overview": [(), (MONTH,), ("salesperson",), ("product_line",), ("branch",), ("customer",)],
    "Salespeople": [("salesperson",), ("salesperson", "product_line")],
    "Products": [("product_line",), ("item_name", "item_group", "product_line")],
    "Branches": [("branch",), (MONTH, "branch"), ("branch", "product_line")],
    "Customers": [("customer",)],
}
COLUMNS = ("sale_date", "invoice_id", "branch", "product_line", "item_group", "item_name", "salesperson", "customer",
           "quantity", "revenue_e4", "cost_e4")
ACCOUNTS = sorted(NON_ACCOUNT_CUSTOMERS)


def load_pandas(con: duckdb.DuckDBPyConnection) -> Any:
    """Every line as a pandas DataFrame (what a naive app holds in memory), with the invoice key."""
    frame = con.sql(f"SELECT {', '.join(COLUMNS)} FROM sales").df()
    frame["txn"] = frame["branch"] + "|" + frame["invoice_id"]
    frame["account"] = frame["customer"].where(~frame["customer"].isin(ACCOUNTS))
    frame["is_return"] = (frame["quantity"] < 0) | (frame["revenue_e4"] < 0)
    return frame


def _pandas_mask(frame: Any, filters: Filters) -> Any:
    mask = None
    if filters.start:
        mask = frame["sale_date"] >= dt.datetime.combine(filters.start, dt.time())
    if filters.end:
        upper = frame["sale_date"] <= dt.datetime.combine(filters.end, dt.time())
        mask = upper if mask is None else mask & upper
    for name, values in filters.selections:
        chosen = frame[name].isin(list(values))
        mask = chosen if mask is None else mask & chosen
    return frame if mask is None else frame[mask]


def pandas_page(frame: Any, page: str, filters: Filters) -> list[Any]:
    view = _pandas_mask(frame, filters)
    view = view.assign(gross=view["revenue_e4"].where(~view["is_return"], 0),
                       returned=(-view["revenue_e4"]).where(view["is_return"], 0),
                       gp=view["revenue_e4"] - view["cost_e4"],
                       month=view["sale_date"].dt.to_period("M"))
    out = []
    for grouping in GROUPINGS[page]:
        keys = [MONTH if g == MONTH else g for g in grouping]
        aggs: dict[str, Any] = {
            "units": ("quantity", "sum"), "lines": ("quantity", "size"), "transactions": ("txn", "nunique"),
            "customers": ("account", "nunique"), "revenue": ("revenue_e4", "sum"), "cost": ("cost_e4", "sum"),
            "gross_profit": ("gp", "sum"), "gross_sales": ("gross", "sum"), "returns_value": ("returned", "sum")}
        if page == "Customers":
            aggs.update(first_sale=("sale_date", "min"), last_sale=("sale_date", "max"),
                        active_days=("sale_date", "nunique"))
        out.append(view.groupby(keys, dropna=False).agg(**aggs) if keys else view.agg(
            {"quantity": "sum", "txn": "nunique", "account": "nunique", "revenue_e4": "sum", "cost_e4": "sum",
             "gp": "sum", "gross": "sum", "returned": "sum"}))
    return out


def _sql_where(filters: Filters) -> tuple[str, list[object]]:
    clauses, params = [], []
    if filters.start:
        clauses.append("sale_date >= ?")
        params.append(filters.start)
    if filters.end:
        clauses.append("sale_date <= ?")
        params.append(filters.end)
    for name, values in filters.selections:
        clauses.append(f"{name} IN ({', '.join('?' for _ in values)})")
        params.extend(values)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def polars_page(con: duckdb.DuckDBPyConnection, page: str, filters: Filters) -> list[pl.DataFrame]:
    where, params = _sql_where(filters)
    lines = con.sql(f"SELECT {', '.join(COLUMNS)} FROM sales{where}", params=params).pl()
    is_return = (pl.col("quantity") < 0) | (pl.col("revenue_e4") < 0)
    lines = lines.with_columns(
        pl.concat_str([pl.col("branch"), pl.lit("|"), pl.col("invoice_id")]).alias("txn"),
        pl.when(~pl.col("customer").is_in(ACCOUNTS)).then(pl.col("customer")).alias("account"),
        pl.col("sale_date").dt.truncate("1mo").alias(MONTH))
    aggs = [pl.col("quantity").sum().alias("units"), pl.len().alias("lines"),
            pl.col("txn").n_unique().alias("transactions"),
            pl.col("account").drop_nulls().n_unique().alias("customers"),
            pl.col("revenue_e4").sum().alias("revenue"), pl.col("cost_e4").sum().alias("cost"),
            (pl.col("revenue_e4") - pl.col("cost_e4")).sum().alias("gross_profit"),
            pl.when(is_return).then(0).otherwise(pl.col("revenue_e4")).sum().alias("gross_sales"),
            pl.when(is_return).then(-pl.col("revenue_e4")).otherwise(0).sum().alias("returns_value")]
    if page == "Customers":
        aggs += [pl.col("sale_date").min().alias("first_sale"), pl.col("sale_date").max().alias("last_sale"),
                 pl.col("sale_date").n_unique().alias("active_days")]
    return [lines.group_by(list(g)).agg(aggs) if g else lines.select(aggs) for g in GROUPINGS[page]]


SQL_AGGREGATES = (
    "COALESCE(SUM(quantity), 0) AS units, COUNT(*) AS lines, "
    "COUNT(DISTINCT branch || '|' || invoice_id) + COALESCE(SUM(CASE WHEN invoice_id IS NULL THEN 1 ELSE 0 END), 0) "
    "AS transactions, COUNT(DISTINCT CASE WHEN customer NOT IN ({accounts}) THEN customer END) AS customers, "
    "COALESCE(SUM(revenue_e4), 0) AS revenue, COALESCE(SUM(cost_e4), 0) AS cost, "
    "COALESCE(SUM(revenue_e4 - cost_e4), 0) AS gross_profit, "
    "COALESCE(SUM(CASE WHEN quantity < 0 OR revenue_e4 < 0 THEN 0 ELSE revenue_e4 END), 0) AS gross_sales, "
    "COALESCE(SUM(CASE WHEN quantity < 0 OR revenue_e4 < 0 THEN -revenue_e4 ELSE 0 END), 0) AS returns_value"
)


def sql_page(con: duckdb.DuckDBPyConnection, page: str, filters: Filters) -> list[pl.DataFrame]:
    where, params = _sql_where(filters)
    accounts = ", ".join("?" for _ in ACCOUNTS)
    out = []
    for grouping in GROUPINGS[page]:
        keys = ["CAST(date_trunc('month', sale_date) AS DATE) AS month" if g == MONTH else g for g in grouping]
        extra = ", MIN(sale_date), MAX(sale_date), COUNT(DISTINCT sale_date)" if page == "Customers" else ""
        select = ", ".join([*keys, SQL_AGGREGATES.format(accounts=accounts) + extra])
        group = f" GROUP BY {', '.join(str(i + 1) for i in range(len(keys)))}" if keys else ""
        out.append(con.sql(f"SELECT {select} FROM sales{where}{group}", params=[*ACCOUNTS, *params]).pl())
    return out
