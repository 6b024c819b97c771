"""Deterministic demo CRM pipeline for the demo business, built from the demo sales lines.

Won deals are the demo's account sales: for each salesperson x product line x branch x month, the
won deal values add up exactly (to the cent) to that month's gross sales to accounts (positive lines,
walk-in trade excluded, which never goes through a CRM); each deal is one of the cell's biggest
customers, closed on that customer's first invoice of the month, for the item it bought most.
Lost and open deals are generated around them with the stories the /pipeline page should surface:

- closer skill differs by salesperson, and some salespeople win often on small deals;
- some salespeople are handed poor leads (cold calls, tenders, trade fairs), among them two of the
  best closers, so "are our best closers working on low-quality leads?" has an answer;
- big deals are lost more often than small ones; some sectors are harder (government tenders);
- deals leak at different stages in different branches (Mombasa and Westlands lose late, in
  negotiation; Kisumu and Eldoret early, in qualification);
- open deals were engaged (or came in, for prospects) in the last months, a few of them stale (older
  than the usual cycle).

A lost deal keeps the stage it was lost at (its outcome says it was lost), so the funnel can show
where deals leak; ``DEMO_STAGES`` is the funnel order. Deals at ``Prospecting`` (open, or lost
there) have no engage date, as in the public CRM data set: they were never engaged.

Everything is vectorized (Polars and NumPy): one pass over the sales lines, then one row per deal,
tens of thousands of deals whatever the number of sales lines.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import polars as pl

from data.schema import TABLES, UNASSIGNED
from data.store import SnapshotStore
from ingest.demo_catalog import BRANCHES, FIRST_NAMES, SURNAMES, WALK_IN
from ingest.opportunities import COLUMNS, failure_cases, with_derived_dates
from ingest.opportunities_ingest import commit_deals, current_clashes

# Funnel order of the demo's stages. Open deals sit at one of the first four; won deals at "Won";
# a lost deal keeps the stage it was lost at (Prospecting..Negotiation). "Lost" is the stage of CRM
# exports that do not record where a deal was lost (the public CRM data set); it sorts last.
DEMO_STAGES: tuple[str, ...] = ("Prospecting", "Qualified", "Proposal", "Negotiation", "Won", "Lost")
OPEN_STAGES: tuple[str, ...] = DEMO_STAGES[:4]

# lead source -> (log-odds of winning, share in a normal lead mix, share in a poor one)
LEAD_SOURCES: dict[str, tuple[float, float, float]] = {
    "Repeat customer": (1.1, 0.30, 0.08),
    "Referral": (0.8, 0.22, 0.07),
    "Showroom enquiry": (0.2, 0.15, 0.10),
    "Website": (-0.5, 0.13, 0.20),
    "Trade fair": (-0.7, 0.07, 0.15),
    "Tender": (-1.0, 0.05, 0.12),
    "Cold call": (-1.4, 0.08, 0.28),
}
# sector -> (log-odds of winning, share of accounts)
SECTORS: dict[str, tuple[float, float]] = {
    "Construction": (0.3, 0.30),
    "Real Estate": (0.0, 0.14),
    "Agriculture": (0.1, 0.16),
    "Retail": (0.2, 0.14),
    "Manufacturing": (-0.2, 0.10),
    "Hospitality": (-0.1, 0.07),
    "Government": (-0.8, 0.05),
    "Education": (-0.3, 0.04),
}
# product line -> median sales cycle in days (engage -> close of a won deal)
CYCLE_DAYS: dict[str, float] = {
    "Building Materials": 21, "Plumbing": 28, "Electrical": 30, "Paints & Finishes": 18, "Tools & Hardware": 14,
    "Agricultural Supplies": 35, "Solar & Energy": 60,
}
# branch -> where its lost deals drop out (shares over OPEN_STAGES)
LEAK_DEFAULT = (0.25, 0.30, 0.27, 0.18)
LEAKS: dict[str, tuple[float, float, float, float]] = {
    "Mombasa": (0.10, 0.18, 0.30, 0.42),  # price competition from the port: lost in negotiation
    "Westlands": (0.12, 0.20, 0.33, 0.35),
    "Kisumu": (0.42, 0.33, 0.16, 0.09),  # weak qualification: lost early
    "Eldoret": (0.38, 0.34, 0.18, 0.10),
}
LOST_CYCLE_SHARE = (0.25, 0.5, 0.8, 1.1)  # a deal lost at stage i ran this share of a won deal's cycle
OPEN_AGE_DAYS = (15.0, 30.0, 45.0, 60.0)  # mean age of an open deal at each open stage
OPEN_STAGE_SHARE = (0.36, 0.28, 0.21, 0.15)
STALE_SHARE = 0.1
MAX_DEALS_PER_CELL = 4
MAX_LOST_PER_WON = 8


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _pick(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One index per row of a (rows, k) probability matrix (inverse CDF, vectorized)."""
    cdf = np.cumsum(probabilities / probabilities.sum(axis=1, keepdims=True), axis=1)
    return np.minimum((rng.random(len(probabilities))[:, None] > cdf).sum(axis=1), probabilities.shape[1] - 1)


def _people(rng: np.random.Generator, names: list[str]) -> pl.DataFrame:
    """Per salesperson: closer skill, deal-size habit and lead mix. Two of the best closers, and a
    quarter of the others, are handed poor leads."""
    n = len(names)
    small = rng.random(n) < 0.25  # win often on small deals
    skill = rng.normal(0.0, 0.45, n) + np.where(small, 0.5, 0.0)
    deal_share = np.where(small, rng.uniform(0.15, 0.3, n), rng.uniform(0.45, 1.0, n))
    poor = rng.random(n) < 0.25
    poor[np.argsort(-skill)[:2]] = True
    return pl.DataFrame({"salesperson": names, "skill": skill, "deal_share": deal_share, "poor_leads": poor,
                         "small_deals": small})


def _sectors(rng: np.random.Generator, customers: list[str]) -> pl.DataFrame:
    names = list(SECTORS)
    share = np.array([s for _, s in SECTORS.values()])
    return pl.DataFrame({"customer": customers,
                         "sector": [names[i] for i in rng.choice(len(names), len(customers), p=share / share.sum())]})


def _managers(rng: np.random.Generator, taken: set[str]) -> dict[str, str]:
    managers: dict[str, str] = {}
    for branch in BRANCHES:
        while True:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
            if name not in taken:
                taken.add(name)
                managers[branch] = name
                break
    return managers


def won_deals(sales: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    """The won deals of each salesperson x product line x branch x month: its biggest customers (one
    to four, by the salesperson's deal-size habit), valued so the cell's gross account sales are
    shared among them exactly, in cents. A deal's product is the item of the customer's biggest line."""
    cell = ["salesperson", "product_line", "branch", "month"]
    by_customer = (
        sales.lazy().select(*cell[:3], "customer", "item_name", "sale_date", "revenue")
        .filter((pl.col("revenue") > 0) & (pl.col("customer") != WALK_IN) & (pl.col("customer") != UNASSIGNED))
        .with_columns(pl.col("sale_date").dt.month_start().alias("month"),
                      (pl.col("revenue") * 100).round(0).cast(pl.Int64).alias("cents"))
        .group_by([*cell, "customer"])
        .agg(pl.col("cents").sum(), pl.col("sale_date").min().alias("close_date"),
             pl.col("item_name").sort_by(["cents", "item_name"], descending=[True, False]).first().alias("product"))
        .collect()
    )
    ranked = by_customer.join(people.select("salesperson", "deal_share"), on="salesperson", how="left").with_columns(
        pl.col("cents").sum().over(cell).alias("cell_cents"),
        pl.struct("cents", "customer").rank("ordinal", descending=True).over(cell).alias("rank"),
    ).with_columns(pl.col("cell_cents").median().over("salesperson").alias("typical"))
    deals = ranked.filter(
        pl.col("rank") <= (pl.col("cell_cents") / (pl.col("typical") * pl.col("deal_share"))).round(0)
        .clip(1, MAX_DEALS_PER_CELL))
    # Share the whole cell among the kept customers in proportion to their own purchases (floats are
    # exact here: cents stay far below 2**53); the rounding remainder goes to the biggest deal.
    share = (pl.col("cents") / pl.col("cents").sum().over(cell) * pl.col("cell_cents")).floor().cast(pl.Int64)
    deals = deals.with_columns(share.alias("share")).with_columns(
        (pl.col("share") + pl.when(pl.col("rank") == 1).then(pl.col("cell_cents") - pl.col("share").sum().over(cell))
         .otherwise(0)).alias("cents"))
    return deals.select(*cell, "customer", "product", "close_date", "cents").sort([*cell, "customer"])


def generate_pipeline(sales: pl.DataFrame, seed: int = 7, end: dt.date | None = None,
                      id_prefix: str | None = None) -> pl.DataFrame:
    """Canonical opportunities (``ingest.opportunities.Opportunity``) consistent with ``sales``; ids are
    ``<id_prefix>-<n>`` in date order (default prefix ``OPP<seed>``)."""
    rng = np.random.default_rng([seed, 20_25])
    end = end or sales["sale_date"].max()
    start = sales["sale_date"].min()
    people = _people(rng, sorted(sales["salesperson"].unique().to_list()))
    won = won_deals(sales, people)
    customers = sorted(won["customer"].unique().to_list())
    sectors = _sectors(rng, customers)
    managers = _managers(rng, set(people["salesperson"].to_list()))
    n = won.height

    source_names = list(LEAD_SOURCES)
    source_logit = np.array([v[0] for v in LEAD_SOURCES.values()])
    mixes = np.array([[v[1] for v in LEAD_SOURCES.values()], [v[2] for v in LEAD_SOURCES.values()]])
    won = won.join(people, on="salesperson", how="left", maintain_order="left").join(
        sectors, on="customer", how="left", maintain_order="left")
    source = _pick(rng, mixes[won["poor_leads"].cast(pl.Int64).to_numpy()])
    sector_logit = won["sector"].replace_strict({k: v[0] for k, v in SECTORS.items()}, return_dtype=pl.Float64)
    value = won["cents"].to_numpy() / 100.0
    typical = won.select(pl.col("cents").median().over("salesperson"))["cents"].to_numpy() / 100.0
    logit = (0.1 + won["skill"].to_numpy() + source_logit[source] + sector_logit.to_numpy()
             - 0.45 * np.log(np.maximum(value, 1.0) / np.maximum(typical, 1.0)))
    p_win = _sigmoid(logit)
    n_lost = np.minimum(rng.poisson((1 - p_win) / p_win), MAX_LOST_PER_WON)
    cycle_median = won["product_line"].replace_strict(CYCLE_DAYS, default=30.0, return_dtype=pl.Float64).to_numpy()
    size = (np.maximum(value, 1.0) / np.maximum(typical, 1.0)) ** 0.15
    won_cycle = np.maximum(1, np.round(cycle_median * size * rng.lognormal(0.0, 0.45, n))).astype(np.int64)
    close = won["close_date"].to_numpy().astype("datetime64[D]")
    first_day, last_day = np.datetime64(start, "D"), np.datetime64(end, "D")

    won_frame = won.select("salesperson", "branch", "product", "product_line", "customer", "sector").with_columns(
        pl.Series("lead_source", np.array(source_names)[source]),
        pl.lit("Won").alias("stage"), pl.lit("won").alias("outcome"),
        pl.Series("engage_date", close - won_cycle.astype("timedelta64[D]")).cast(pl.Date),
        pl.Series("close_date", close).cast(pl.Date),
        pl.Series("value", value),
    )

    # Lost deals: siblings of won deals (same salesperson, segment and month), other accounts of the same sector.
    parent = np.repeat(np.arange(n), n_lost)
    m = parent.size
    leak = np.array([LEAKS.get(b, LEAK_DEFAULT) for b in won["branch"].to_list()])[parent]
    leak[:, 0] += np.where(source[parent] >= source_names.index("Website"), 0.15, 0.0)  # poor leads die early
    lost_stage = _pick(rng, leak)
    by_sector = sectors.sort(["sector", "customer"])
    offsets = by_sector.with_row_index("i").group_by("sector").agg(pl.col("i").min().alias("at"), pl.len())
    spans = won.select(pl.col("sector").alias("s")).join(
        offsets.rename({"sector": "s"}), on="s", how="left", maintain_order="left")
    at, count = spans["at"].to_numpy()[parent], spans["len"].to_numpy()[parent]
    lost_customer = by_sector["customer"].to_numpy()[at + np.floor(rng.random(m) * count).astype(np.int64)]
    lost_close = np.clip(close[parent] + rng.integers(-25, 26, m).astype("timedelta64[D]"), first_day, last_day)
    lost_cycle = np.maximum(1, np.round(won_cycle[parent] * np.array(LOST_CYCLE_SHARE)[lost_stage]
                                        * rng.lognormal(0.0, 0.3, m))).astype(np.int64)
    lost_value = np.round(value[parent] * rng.lognormal(0.15, 0.6, m), 2)
    lost_frame = won_frame[parent].with_columns(
        pl.Series("customer", lost_customer, dtype=pl.String),
        pl.Series("stage", np.array(OPEN_STAGES)[lost_stage]), pl.lit("lost").alias("outcome"),
        pl.Series("engage_date", lost_close - lost_cycle.astype("timedelta64[D]")).cast(pl.Date),
        pl.Series("close_date", lost_close).cast(pl.Date),
        pl.Series("value", lost_value),
    ).drop("sector").join(sectors, on="customer", how="left", maintain_order="left")

    # Open deals: like the deals of the last three months, engaged recently (a few long ago: stale).
    recent = np.flatnonzero(close >= last_day - np.timedelta64(90, "D"))
    closed_recently = recent.size + int(n_lost[recent].sum())
    n_open = max(1, int(round(closed_recently / 3 * 1.5)))
    template = rng.choice(recent if recent.size else np.arange(n), n_open)
    open_stage = rng.choice(len(OPEN_STAGES), n_open, p=np.array(OPEN_STAGE_SHARE))
    age = rng.exponential(np.array(OPEN_AGE_DAYS)[open_stage])
    stale = rng.random(n_open) < STALE_SHARE
    age = np.where(stale, rng.uniform(150, 400, n_open), age).astype(np.int64)
    engaged = np.maximum(last_day - age.astype("timedelta64[D]"), first_day)
    open_frame = won_frame[template].with_columns(
        pl.Series("stage", np.array(OPEN_STAGES)[open_stage]), pl.lit("open").alias("outcome"),
        pl.Series("engage_date", engaged).cast(pl.Date),
        pl.lit(None, dtype=pl.Date).alias("close_date"),
        pl.Series("value", np.round(value[template] * rng.lognormal(0.1, 0.4, n_open), 2)),
    )

    deals = pl.concat([won_frame, lost_frame.select(won_frame.columns), open_frame.select(won_frame.columns)])
    # A prospect has not been engaged yet: no engage date, whether it is still open or was dropped
    # there (a qualification leak, as the public CRM data set records it).
    deals = deals.with_columns(pl.when(pl.col("stage") == OPEN_STAGES[0]).then(None).otherwise(pl.col("engage_date"))
                               .alias("engage_date"))
    deals = deals.with_columns(
        pl.col("branch").replace_strict(managers, default=pl.lit(UNASSIGNED), return_dtype=pl.String).alias("manager"),
        pl.col("sector").fill_null(UNASSIGNED),
        pl.coalesce("close_date", "engage_date").alias("_when"),
    ).sort(["_when", "salesperson", "customer", "stage", "value"], maintain_order=True, nulls_last=True)
    deals = deals.with_columns(
        pl.format("{}-{}", pl.lit(id_prefix or f"OPP{seed}"), (pl.int_range(pl.len()) + 1).cast(pl.String).str.zfill(6))
        .alias("opportunity_id")).drop("_when")
    return with_derived_dates(deals.select([c for c in COLUMNS if c not in ("activity_date", "cycle_days")]))


def store_has_data(store: SnapshotStore) -> bool:
    """Whether any table of the store holds rows (``mauzo demo --if-empty`` must not overwrite a
    store that holds only opportunities, whose sales table is empty)."""
    manifest = store.manifest()
    return manifest is not None and any(manifest.rows_of(table) for table in TABLES)


def demo_deals(sales: pl.DataFrame, seed: int, label: str) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """The demo pipeline for ``sales`` and its Pandera failure cases (None: valid; anything else is a
    bug). Ids carry a digest of the demo's ``label``, so two different demos can be appended."""
    prefix = "OPP-" + hashlib.sha256(label.encode()).hexdigest()[:6].upper()
    deals = generate_pipeline(sales, seed=seed, end=sales["sale_date"].max(), id_prefix=prefix)
    return deals, failure_cases(deals)


def commit_demo_deals(deals: pl.DataFrame, *, data_dir: Path | str | None, label: str, mode: str) -> dict | None:
    """Load the demo pipeline into the opportunities table (the store's atomic write); returns the
    history entry, or None when appending a demo whose deals are all stored already."""
    if mode == "append" and current_clashes(SnapshotStore(data_dir), deals["opportunity_id"]).height == deals.height:
        return None
    sha = hashlib.sha256(f"pipeline:{label}".encode()).hexdigest()
    extra = {"dataset": "pipeline", "stage_order": list(DEMO_STAGES),
             "outcomes": {o: int(n) for o, n in deals["outcome"].value_counts().iter_rows()}}
    return commit_deals(deals, data_dir=data_dir, file_name=f"pipeline {label}", sha256=sha, mode=mode, extra=extra)
