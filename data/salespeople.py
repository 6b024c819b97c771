"""Salespeople: who earns the gross profit, on which product lines, and whether it comes from
selling high-margin products or from pricing.

Everything here is built on ``data.queries`` (``breakdown``, ``matrix``, ``trend``), so each
figure is the same number the Overview and the REST API show for the same filters.
"""

from __future__ import annotations

import polars as pl

from data.filters import Filters
from data.queries import breakdown, matrix

# A salesperson whose revenue rank and GP rank differ by at least this much is worth a look:
# either they sell profitably on modest volume, or they buy volume with margin.
RANK_GAP_ALERT = 5


def leaderboard(filters: Filters) -> pl.DataFrame:
    """Every salesperson ranked by gross profit, with ``rank_gap`` = revenue rank − GP rank
    (positive: earns more profit than their volume suggests)."""
    frame = breakdown(filters, "salesperson")
    if frame.is_empty():
        return frame
    return frame.with_columns((pl.col("revenue_rank") - pl.col("gp_rank")).alias("rank_gap"))


def product_mix(filters: Filters) -> pl.DataFrame:
    """Salesperson × product line cells with each cell's share of that person's GP
    (``row_gp_share_pct``; a row sums to 100), salespeople in GP rank order."""
    cells = matrix(filters, "salesperson", "product_line")
    if cells.is_empty():
        return cells
    order = leaderboard(filters).select("salesperson", "gp_rank")
    return cells.join(order, on="salesperson", how="left").sort(["gp_rank", "product_line"])


def margin_drivers(filters: Filters) -> pl.DataFrame:
    """The leaderboard plus ``mix_margin_pct``: the margin a person's product mix would earn at the
    company's own margin for each product line, and ``pricing_pp`` = actual margin − mix margin.

    A high mix margin means they sell high-margin products; a positive pricing gap means they
    also sell them above the company's usual margin (less discounting)."""
    people = leaderboard(filters)
    if people.is_empty():
        return people
    line_margin = breakdown(filters, "product_line").select("product_line", pl.col("margin_pct").alias("line_margin"))
    mix = (
        matrix(filters, "salesperson", "product_line")
        .join(line_margin, on="product_line", how="left")
        .group_by("salesperson")
        .agg((pl.col("row_revenue_share_pct") * pl.col("line_margin")).sum().truediv(100.0).alias("mix_margin_pct"),
             pl.col("row_revenue_share_pct").is_not_null().all().alias("_complete"))
        .with_columns(pl.when(pl.col("_complete")).then(pl.col("mix_margin_pct")).alias("mix_margin_pct"))
        .drop("_complete")
    )
    return (
        people.join(mix, on="salesperson", how="left")
        .with_columns((pl.col("margin_pct") - pl.col("mix_margin_pct")).alias("pricing_pp"))
        .sort("gp_rank")
    )


def person_mix(filters: Filters, salesperson: str) -> pl.DataFrame:
    """One salesperson's GP by product line beside the whole team's: ``gross_profit_share_pct``
    (their share) and ``team_gp_share_pct`` / ``team_margin_pct`` for comparison.

    Lines the team sells but this person does not are kept with zero, since a gap is the story."""
    team = breakdown(filters, "product_line").select(
        "product_line",
        pl.col("gross_profit_share_pct").alias("team_gp_share_pct"),
        pl.col("margin_pct").alias("team_margin_pct"),
    )
    mine = breakdown(filters.with_selection(salesperson=[salesperson]), "product_line")
    if mine.is_empty():
        return mine
    mine = mine.select("product_line", "revenue", "gross_profit", "margin_pct", "transactions",
                       "gross_profit_share_pct")
    return (
        team.join(mine, on="product_line", how="left")
        .with_columns(pl.col("revenue", "gross_profit", "gross_profit_share_pct").fill_null(0.0),
                      pl.col("transactions").fill_null(0))
        .sort("gross_profit", descending=True)
    )
