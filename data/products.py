"""Products: which lines and items make the profit, which dilute it, and whether the selling
effort goes where the margin is.

Built on ``data.queries`` only; the margins and shares come from ``breakdown``/``summary`` so
they match every other page.
"""

from __future__ import annotations

import polars as pl

from data.errors import InvalidFilter
from data.filters import Filters
from data.queries import breakdown, summary

ITEM_CONTEXT: tuple[str, ...] = ("item_group", "product_line")
LEVELS: dict[str, str] = {"product_line": "Product lines", "item_group": "Item groups"}
BASES: dict[str, str] = {"revenue": "revenue", "transactions": "transactions"}

STAR, VOLUME_TRAP, HIDDEN_GEM, QUESTION_MARK = "Star", "Volume trap", "Hidden gem", "Question mark"
QUADRANT_TEXT: dict[str, str] = {
    STAR: "Stars: high share, high margin",
    VOLUME_TRAP: "Volume traps: high share, low margin",
    HIDDEN_GEM: "Hidden gems: low share, high margin",
    QUESTION_MARK: "Question marks: low share, low margin",
}


def line_profitability(filters: Filters) -> pl.DataFrame:
    """Product lines ranked by GP with ``share_gap_pp`` = share of GP − share of revenue
    (positive: the line earns more than its weight in sales)."""
    frame = breakdown(filters, "product_line")
    if frame.is_empty():
        return frame
    return frame.with_columns((pl.col("gross_profit_share_pct") - pl.col("revenue_share_pct")).alias("share_gap_pp"))


def items(filters: Filters) -> pl.DataFrame:
    """Every item with its item group and product line, ranked by GP."""
    return breakdown(filters, "item_name", context=ITEM_CONTEXT)


def top_items(frame: pl.DataFrame, n: int = 10) -> pl.DataFrame:
    """The ``n`` items earning the most gross profit."""
    return frame.sort("gross_profit", descending=True, nulls_last=True).head(n)


def bottom_order(frame: pl.DataFrame) -> pl.DataFrame:
    """Every item, worst first: loss-makers (most negative GP first), then the lowest margins.

    Ranking by margin rather than by GP keeps small, healthy items off the list and surfaces the
    lines that dilute profit; an item with no net revenue has no margin and sorts by its GP."""
    loss = pl.col("gross_profit") < 0
    return (
        frame.with_columns(loss.alias("loss_maker"), pl.when(loss).then(pl.col("gross_profit")).alias("_loss_gp"))
        .sort(["loss_maker", "_loss_gp", "margin_pct"], descending=[True, False, False], nulls_last=True)
        .drop("_loss_gp")
    )


def bottom_items(frame: pl.DataFrame, n: int = 10) -> pl.DataFrame:
    return bottom_order(frame).head(n)


def overall_margin(filters: Filters) -> float | None:
    """The business's GP margin for the view: the benchmark every line is compared with."""
    frame = summary(filters)
    return frame["margin_pct"][0] if frame.height else None


def quadrant(share: float | None, margin: float | None, share_line: float, margin_line: float) -> str | None:
    """Which alignment quadrant a point falls in (on a line counts as high)."""
    if share is None or margin is None:
        return None
    high_share, high_margin = share >= share_line, margin >= margin_line
    if high_share:
        return STAR if high_margin else VOLUME_TRAP
    return HIDDEN_GEM if high_margin else QUESTION_MARK


def alignment(filters: Filters, level: str = "product_line", basis: str = "revenue") -> tuple[pl.DataFrame, dict]:
    """Points for the alignment chart and its guide lines.

    x is each group's share of ``basis`` (revenue or transactions), y its margin. The guides sit at
    the average share (100 / number of groups) and at the business's overall margin, so "high"
    means above what an even split and the company as a whole would give."""
    if level not in LEVELS or basis not in BASES:
        raise InvalidFilter(f"unknown alignment view {level!r}/{basis!r}",
                            {"view": "level must be product_line or item_group; basis revenue or transactions"})
    context = ("product_line",) if level == "item_group" else ()
    frame = breakdown(filters, level, context=context)
    if frame.is_empty():
        return frame, {}
    share_col = f"{basis}_share_pct"
    guides = {"share": 100.0 / frame.height, "margin": overall_margin(filters), "basis": basis, "level": level}
    margin_line = guides["margin"] if guides["margin"] is not None else 0.0
    labels = [quadrant(s, m, guides["share"], margin_line)
              for s, m in zip(frame[share_col].to_list(), frame["margin_pct"].to_list(), strict=True)]
    out = frame.with_columns(pl.col(share_col).alias("share_pct"), pl.Series("quadrant", labels, dtype=pl.String))
    return out, guides


def alignment_table(filters: Filters, level: str) -> pl.DataFrame:
    """The alignment points with the quadrant on both bases, for downloads."""
    by_revenue, _ = alignment(filters, level, "revenue")
    if by_revenue.is_empty():
        return by_revenue
    by_tx, _ = alignment(filters, level, "transactions")
    keys = [level, *(["product_line"] if level == "item_group" else [])]
    return (
        by_revenue.drop("share_pct")
        .rename({"quadrant": "quadrant_by_revenue"})
        .join(by_tx.select(*keys, pl.col("quadrant").alias("quadrant_by_transactions")), on=keys, how="left")
    )


def _share_out(frame: pl.DataFrame, key: str, parent_sizes: pl.DataFrame) -> pl.DataFrame:
    """``size`` of each row: its positive GP's share of the positive GP of its siblings, times the
    parent's size (rows with no positive GP, or under a parent of size 0, get 0)."""
    positive = pl.col("gross_profit").fill_null(0.0).clip(lower_bound=0.0)
    return (
        frame.join(parent_sizes, left_on=key, right_on="id", how="left", maintain_order="left")
        .with_columns(positive.sum().over(key).alias("_siblings"), positive.alias("_own"))
        .with_columns(pl.when(pl.col("_siblings") > 0)
                      .then(pl.col("_own") / pl.col("_siblings") * pl.col("parent_size").fill_null(0.0))
                      .otherwise(0.0).alias("size"))
        .drop("_siblings", "_own", "parent_size")
    )


def hierarchy(filters: Filters) -> pl.DataFrame:
    """Treemap nodes product line → item group → item: ``id``, ``parent``, ``label``, ``level``,
    real ``gross_profit``/``revenue``/``margin_pct``, and ``size`` (the tile area).

    Area is *net* gross profit, so a group's losses shrink its tile instead of hiding: a line's
    size is its GP when positive, else 0 (not drawn); its groups share that size in proportion to
    their positive GP, and a group's items share the group's size the same way. So a parent is
    always the sum of its children, a line or group that loses money is never drawn as a tile,
    and within a group the profitable items keep their relative sizes. The real GP and margin of
    every node stay in the frame (hover text and downloads)."""
    item_rows = items(filters)
    if item_rows.is_empty():
        return pl.DataFrame()
    groups = breakdown(filters, "item_group", context=("product_line",))
    lines = breakdown(filters, "product_line")
    metrics = ["gross_profit", "revenue", "margin_pct"]
    top = lines.select(
        pl.col("product_line").alias("id"), pl.lit("").alias("parent"), pl.col("product_line").alias("label"),
        pl.lit("product_line").alias("level"), "product_line", pl.lit(None, dtype=pl.String).alias("item_group"),
        *metrics, pl.col("gross_profit").fill_null(0.0).clip(lower_bound=0.0).alias("size"),
    )
    mid = _share_out(groups.select(
        (pl.col("product_line") + "/" + pl.col("item_group")).alias("id"), pl.col("product_line").alias("parent"),
        pl.col("item_group").alias("label"), pl.lit("item_group").alias("level"), "product_line", "item_group",
        *metrics,
    ), "parent", top.select("id", pl.col("size").alias("parent_size")))
    leaf = _share_out(item_rows.select(
        (pl.col("product_line") + "/" + pl.col("item_group") + "/" + pl.col("item_name")).alias("id"),
        (pl.col("product_line") + "/" + pl.col("item_group")).alias("parent"),
        pl.col("item_name").alias("label"), pl.lit("item").alias("level"), "product_line", "item_group",
        *metrics,
    ), "parent", mid.select("id", pl.col("size").alias("parent_size")))
    return pl.concat([top, mid, leaf], how="vertical_relaxed")
