"""Deterministic demo data: three years of invoice lines for a Kenyan hardware trader.

Same ``rows``, ``seed`` and ``end`` always give the same lines. Everything is vectorized with
NumPy and Polars so ``--rows 10000000`` takes seconds, not minutes. The generator builds in the
stories the dashboard should surface: product lines with clearly different margins; salespeople
whose volume and discounting differ (so revenue rank and GP rank disagree); a Pareto-like
customer base with walk-in trade; December peaks and January dips; a few percent returns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from ingest.demo_catalog import (
    BRANCHES,
    BUSINESS_SUFFIX,
    BUSINESS_WORDS,
    FIRST_NAMES,
    PRODUCT_LINES,
    SURNAMES,
    WALK_IN,
)

MONTH_SEASON = np.array([0.78, 0.88, 1.02, 1.05, 0.97, 0.95, 1.0, 1.03, 1.06, 1.04, 1.08, 1.22])
WEEKDAY_SEASON = np.array([1.08, 1.05, 1.04, 1.05, 1.12, 1.0, 0.45])  # Mon..Sun
RETURN_SHARE = 0.028
WALK_IN_SHARE = 0.34
YEARLY_GROWTH = 0.11
YEARLY_PRICE_INFLATION = 0.06


@dataclass(frozen=True)
class Catalog:
    lines: list[str]
    line_margin: np.ndarray
    line_weight: np.ndarray
    line_qty: np.ndarray  # (n_lines, 2)
    item_line: np.ndarray
    item_group: list[str]
    item_name: list[str]
    item_price: np.ndarray


def _catalog() -> Catalog:
    lines, margins, weights, qty = [], [], [], []
    item_line, item_group, item_name, item_price = [], [], [], []
    for index, (line, spec) in enumerate(PRODUCT_LINES.items()):
        lines.append(line)
        margins.append(spec["margin"])
        weights.append(spec["weight"])
        qty.append(spec["qty"])
        for group, items in spec["groups"].items():
            for name, price in items:
                item_line.append(index)
                item_group.append(group)
                item_name.append(name)
                item_price.append(price)
    return Catalog(lines, np.array(margins), np.array(weights) / sum(weights), np.array(qty, dtype=float),
                   np.array(item_line), item_group, item_name, np.array(item_price, dtype=float))


def _people(rng: np.random.Generator, branches: list[str], sizes: np.ndarray, n_lines: int) -> dict:
    """Salespeople tied to branches, each with a volume skill, a discount habit and a product mix."""
    names, branch_of, volume, discount, mix = [], [], [], [], []
    used: set[str] = set()
    for b, size in enumerate(sizes):
        for _ in range(int(round(2 + size * 4))):
            while True:
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
                if name not in used:
                    used.add(name)
                    break
            skill = float(rng.lognormal(0.0, 0.45))
            names.append(name)
            branch_of.append(b)
            volume.append(skill)
            # Big sellers lean on discounts and low-margin bulk lines; careful sellers push margin.
            discount.append(float(np.clip(0.015 + 0.035 * skill + rng.normal(0, 0.015), 0.0, 0.12)))
            pref = rng.dirichlet(np.full(n_lines, 1.6))
            pref[0] *= 0.6 + 0.9 * skill  # Building Materials volume skew
            mix.append(pref / pref.sum())
    return {"names": names, "branch": np.array(branch_of), "volume": np.array(volume),
            "discount": np.array(discount), "mix": np.array(mix)}


def _customer_names(rng: np.random.Generator, count: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        style = rng.random()
        if style < 0.55:
            base = f"{rng.choice(SURNAMES)} {rng.choice(BUSINESS_WORDS)}"
        elif style < 0.8:
            base = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
        else:
            base = f"{rng.choice(BRANCH_TOWNS)} {rng.choice(BUSINESS_WORDS)}"
        name = f"{base} {rng.choice(BUSINESS_SUFFIX)}".strip()
        if name in seen:
            name = f"{name} ({len(names) + 1})"
        seen.add(name)
        names.append(name)
    return names


BRANCH_TOWNS = ("Nairobi", "Mombasa", "Kisumu", "Nakuru", "Eldoret", "Thika", "Nyeri", "Machakos", "Kitui",
                "Meru", "Embu", "Kericho", "Naivasha", "Malindi", "Kakamega", "Bungoma")


def _day_weights(days: np.ndarray) -> np.ndarray:
    as_dt = days.astype("datetime64[D]")
    months = as_dt.astype("datetime64[M]").astype(int) % 12
    weekdays = (as_dt.astype(int) + 3) % 7  # 1970-01-01 was a Thursday
    years_from_start = (days - days[0]) / 365.25
    weights = MONTH_SEASON[months] * WEEKDAY_SEASON[weekdays] * (1 + YEARLY_GROWTH) ** years_from_start
    return weights / weights.sum()


def generate(rows: int = 200_000, seed: int = 7, end: dt.date | None = None) -> pl.DataFrame:
    """Canonical sales lines (see ``ingest.schema.SalesLine``), exactly ``rows`` of them."""
    if rows < 100:
        raise ValueError("the demo needs at least 100 rows")
    rng = np.random.default_rng(seed)
    end = end or (dt.date.today() - dt.timedelta(days=1))
    start = dt.date(end.year - 3, end.month, 1)
    start_ord = np.datetime64(start, "D").astype(int)
    days = np.arange(start_ord, np.datetime64(end, "D").astype(int) + 1)

    catalog = _catalog()
    branches = list(BRANCHES)
    sizes = np.array(list(BRANCHES.values()))
    branch_p = sizes / sizes.sum()
    people = _people(rng, branches, sizes, len(catalog.lines))

    n_customers = int(np.clip(rows // 45, 300, 25_000))
    customer_names = _customer_names(rng, n_customers)
    customer_home = rng.choice(len(branches), size=n_customers, p=branch_p)
    ranks = rng.permutation(n_customers) + 1
    customer_p = 1.0 / ranks**1.15
    customer_p /= customer_p.sum()
    customer_size = 1.0 + 1.5 * (ranks <= n_customers * 0.05) + 0.6 * (ranks <= n_customers * 0.2)
    customer_discount = 0.02 * (ranks <= n_customers * 0.05)

    # Invoices, then lines per invoice, trimmed to exactly `rows`.
    n_invoices = int(rows / 2.4) + 50
    walk_in = rng.random(n_invoices) < WALK_IN_SHARE
    lines_per = np.where(walk_in, 1 + rng.poisson(0.5, n_invoices), 1 + rng.poisson(1.9, n_invoices))
    lines_per = np.minimum(lines_per, 9)
    while lines_per.sum() < rows:
        lines_per = np.concatenate([lines_per, lines_per[: rows]])
        walk_in = np.concatenate([walk_in, walk_in[: rows]])
    cut = int(np.searchsorted(np.cumsum(lines_per), rows)) + 1
    lines_per, walk_in = lines_per[:cut].copy(), walk_in[:cut]
    lines_per[-1] -= int(lines_per.sum() - rows)
    n_invoices = cut

    inv_day = np.sort(rng.choice(days, size=n_invoices, p=_day_weights(days)))
    inv_customer = rng.choice(n_customers, size=n_invoices, p=customer_p)
    at_home = rng.random(n_invoices) < 0.88
    inv_branch = np.where(at_home, customer_home[inv_customer], rng.choice(len(branches), size=n_invoices, p=branch_p))
    walk_branch = rng.choice(len(branches), size=n_invoices, p=branch_p)
    inv_branch = np.where(walk_in, walk_branch, inv_branch)

    inv_person = np.empty(n_invoices, dtype=np.int64)
    for b in range(len(branches)):
        mask = inv_branch == b
        staff = np.flatnonzero(people["branch"] == b)
        weights = people["volume"][staff] / people["volume"][staff].sum()
        inv_person[mask] = rng.choice(staff, size=int(mask.sum()), p=weights)

    # Expand to lines.
    line_inv = np.repeat(np.arange(n_invoices), lines_per)
    person = inv_person[line_inv]
    is_walk_in = walk_in[line_inv]
    # Product line from the salesperson's mix (inverse-CDF sampling, vectorized).
    cdf = np.cumsum(people["mix"][person], axis=1)
    product_line = (rng.random(rows)[:, None] > cdf).sum(axis=1)
    product_line = np.minimum(product_line, len(catalog.lines) - 1)
    # Item within the line, cheaper items more often.
    item = np.empty(rows, dtype=np.int64)
    for index in range(len(catalog.lines)):
        mask = product_line == index
        options = np.flatnonzero(catalog.item_line == index)
        weights = 1.0 / np.sqrt(catalog.item_price[options])
        item[mask] = rng.choice(options, size=int(mask.sum()), p=weights / weights.sum())

    low, high = catalog.line_qty[product_line, 0], catalog.line_qty[product_line, 1]
    base_qty = np.exp(rng.uniform(np.log(low), np.log(high)))
    size = np.where(is_walk_in, 0.5, customer_size[inv_customer[line_inv]])
    quantity = np.maximum(1, np.round(base_qty * size / np.sqrt(np.maximum(1, catalog.item_price[item] / 5000))))

    years_in = (inv_day[line_inv] - days[0]) / 365.25
    list_price = catalog.item_price[item] * (1 + YEARLY_PRICE_INFLATION) ** years_in
    discount = people["discount"][person] + np.where(is_walk_in, 0.0, customer_discount[inv_customer[line_inv]])
    unit_price = list_price * (1 - discount) * rng.normal(1.0, 0.015, rows)
    unit_cost = list_price * (1 - catalog.line_margin[product_line]) * rng.normal(1.0, 0.01, rows)
    revenue = np.round(quantity * unit_price, 2)
    cost = np.round(quantity * unit_cost, 2)

    # Returns: a few percent of lines come back within three weeks as credit notes. A line whose
    # return would fall after the last day has not come back yet: it stays a sale. (Clamping those
    # returns onto the last day made it a day of ~35% returns, a spike at the end of every trend.)
    returned = rng.random(rows) < RETURN_SHARE
    back_qty = np.maximum(1, np.floor(quantity * rng.uniform(0.2, 1.0, rows)))
    delay = rng.integers(1, 22, rows)
    returned &= inv_day[line_inv] + delay <= days[-1]
    ratio = back_qty / quantity
    quantity = np.where(returned, -back_qty, quantity)
    revenue = np.where(returned, -np.round(revenue * ratio, 2), revenue)
    cost = np.where(returned, -np.round(cost * ratio, 2), cost)
    day = inv_day[line_inv] + np.where(returned, delay, 0)

    codes = [b.split()[0][:3].upper() for b in branches]
    frame = pl.DataFrame({
        "day": day.astype("datetime64[D]"),
        "inv": line_inv,
        "returned": returned,
        "branch_i": inv_branch[line_inv],
        "line_i": product_line,
        "item_i": item,
        "person_i": person,
        "cust_i": inv_customer[line_inv],
        "walk_in": is_walk_in,
        "quantity": quantity.astype(float),
        "revenue": revenue,
        "cost": cost,
    })
    item_groups = pl.Series(catalog.item_group)
    return frame.select(
        pl.col("day").cast(pl.Date).alias("sale_date"),
        pl.concat_str([
            pl.when(pl.col("returned")).then(pl.lit("CN-")).otherwise(pl.lit("INV-")),
            pl.col("branch_i").replace_strict(dict(enumerate(codes)), return_dtype=pl.String),
            pl.lit("-"),
            pl.col("inv").cast(pl.String).str.zfill(8),
        ]).alias("invoice_id"),
        pl.col("branch_i").replace_strict(dict(enumerate(branches)), return_dtype=pl.String).alias("branch"),
        pl.col("line_i").replace_strict(dict(enumerate(catalog.lines)), return_dtype=pl.String).alias("product_line"),
        pl.col("item_i").replace_strict(dict(enumerate(item_groups.to_list())), return_dtype=pl.String)
        .alias("item_group"),
        pl.col("item_i").replace_strict(dict(enumerate(catalog.item_name)), return_dtype=pl.String).alias("item_name"),
        pl.col("person_i").replace_strict(dict(enumerate(people["names"])), return_dtype=pl.String)
        .alias("salesperson"),
        pl.when(pl.col("walk_in")).then(pl.lit(WALK_IN)).otherwise(
            pl.col("cust_i").replace_strict(dict(enumerate(customer_names)), return_dtype=pl.String)
        ).alias("customer"),
        pl.col("quantity"),
        pl.col("revenue"),
        pl.col("cost"),
    )
