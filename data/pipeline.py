"""CRM pipeline analytics: why deals are lost, and whether the best closers get the best leads.

Everything is computed from SQL aggregates over the opportunities table (``data.datasets.PIPELINE``)
through the same compiler, cache and scope as the sales pages; medians are exact, from counts per
cycle length. The date range of a view applies to each deal's ``activity_date``: the close date of
a closed deal, the engage date of an open one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl

from data.datasets import PIPELINE, SALES
from data.dimensions import DIMENSIONS, Dimension
from data.filters import Filters
from data.metrics import PIPELINE_AGGREGATES, derive
from data.queries import breakdown
from data.service import get_runner
from data.sql import QuerySpec

# A group with fewer closed deals than this is flagged and not ranked: its win rate is too uncertain
# (a 95% interval over 30 deals is still about +/-17 points wide at 50%).
SMALL_SAMPLE = 30
WIN_RATE_BY: tuple[str, ...] = ("salesperson", "product_line", "branch")
CYCLE_BINS: tuple[int, ...] = (0, 15, 30, 45, 60, 90, 120, 180, 365)


@dataclass(frozen=True)
class PipelineView:
    """The filters as the pipeline can apply them, and the global filters it cannot (item group:
    opportunities carry no item), which the page states instead of silently widening."""

    filters: Filters
    not_applied: tuple[Dimension, ...]


def applicable(filters: Filters) -> PipelineView:
    kept = tuple((name, values) for name, values in filters.selections if name in PIPELINE.dimensions)
    dropped = tuple(DIMENSIONS[name] for name, _ in filters.selections if name not in PIPELINE.dimensions)
    return PipelineView(Filters(filters.start, filters.end, kept, filters.compare), dropped)


def _run(name: str, filters: Filters, dimensions: tuple[str, ...] = (),
         aggregates: tuple[str, ...] = PIPELINE_AGGREGATES,
         conditions: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> pl.DataFrame:
    spec = QuerySpec(f"pipeline.{name}", applicable(filters).filters, dimensions=dimensions, aggregates=aggregates,
                     dataset=PIPELINE, conditions=conditions)
    return derive(get_runner().run(spec), PIPELINE.metrics)


# -- exact medians from counts -------------------------------------------------------------------
def _weighted_median(values: list[int], counts: list[int]) -> float | None:
    """The median of a multiset given as (value, count) pairs, values ascending."""
    total = sum(counts)
    if total == 0:
        return None
    lower_rank, upper_rank = (total + 1) // 2, total // 2 + 1
    seen, lower, upper = 0, None, None
    for value, count in zip(values, counts, strict=True):
        seen += count
        if lower is None and seen >= lower_rank:
            lower = value
        if seen >= upper_rank:
            upper = value
            break
    assert lower is not None and upper is not None
    return (lower + upper) / 2.0


def cycle_counts(filters: Filters, by: tuple[str, ...] = ()) -> pl.DataFrame:
    """Closed deals counted per (group..., outcome, cycle_days), for exact medians and histograms."""
    frame = _run("cycle_counts." + ".".join(by or ("all",)), filters, dimensions=(*by, "outcome", "cycle_days"),
                 aggregates=("opportunities",), conditions=(("outcome", ("won", "lost")),))
    return frame.filter(pl.col("cycle_days").is_not_null())


def cycle_medians(counts: pl.DataFrame, by: tuple[str, ...]) -> pl.DataFrame:
    """Median cycle (days) per group, for won deals, lost deals and all closed deals."""
    rows: list[dict[str, Any]] = []
    keys = counts.select(by).unique().sort(by).iter_rows() if by else [()]
    for key in keys:
        group = counts
        for name, value in zip(by, key, strict=True):
            group = group.filter(pl.col(name) == value)
        row: dict[str, Any] = dict(zip(by, key, strict=True))
        for label, part in (("won", group.filter(pl.col("outcome") == "won")),
                            ("lost", group.filter(pl.col("outcome") == "lost")), ("closed", group)):
            summed = part.group_by("cycle_days").agg(pl.col("opportunities").sum()).sort("cycle_days")
            row[f"median_cycle_{label}_days"] = _weighted_median(summed["cycle_days"].to_list(),
                                                                 summed["opportunities"].to_list())
        rows.append(row)
    schema = {**{name: pl.String for name in by},
              **{f"median_cycle_{k}_days": pl.Float64 for k in ("won", "lost", "closed")}}
    return pl.DataFrame(rows, schema=schema)


# -- figures ------------------------------------------------------------------------------------
def data_as_of(filters: Filters) -> dt.date | None:
    """The latest activity in the pipeline (under the selections, ignoring dates): open deals are
    aged to this day, so an old CRM export is not aged to today."""
    frame = _run("as_of", filters.with_dates(None, None), aggregates=("last_activity", "opportunities"))
    return frame["last_activity"][0] if frame.height and frame["opportunities"][0] else None


def summary(filters: Filters) -> dict[str, Any]:
    """Headline figures: counts, win rate with its 95% interval, values and median cycles."""
    totals = _run("summary", filters)
    row = totals.row(0, named=True) if totals.height else {}
    medians = cycle_medians(cycle_counts(filters), ()).row(0, named=True)
    return {**row, **medians, "small_sample": (row.get("closed") or 0) < SMALL_SAMPLE,
            "as_of": data_as_of(filters)}


def win_rates(filters: Filters, by: str) -> pl.DataFrame:
    """Win rate per ``by`` value with counts and the 95% interval. Groups with at least
    ``SMALL_SAMPLE`` closed deals are ranked by the interval's lower end (what the data supports
    for sure), so a lucky 3-of-3 never tops the list; smaller groups are flagged and unranked."""
    PIPELINE.dimension(by)
    frame = _run(f"win_rates.{by}", filters, dimensions=(by,))
    if frame.is_empty():
        return frame
    frame = frame.with_columns((pl.col("closed") < SMALL_SAMPLE).alias("small_sample"))
    medians = cycle_medians(cycle_counts(filters, (by,)), (by,))
    frame = frame.join(medians, on=by, how="left")
    ranked = frame.filter(~pl.col("small_sample")).sort(["win_rate_low_pct", by], descending=[True, False],
                                                          nulls_last=True)
    ranked = ranked.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("rank"))
    unranked = frame.filter(pl.col("small_sample")).with_columns(pl.lit(None, pl.Int64).alias("rank")).sort(by)
    return pl.concat([ranked, unranked], how="vertical_relaxed")


FUNNEL_STEPS: tuple[tuple[str, str], ...] = (
    ("qualification", "Qualification: from opportunity to engaged"),
    ("closing", "Closing: from engaged to won"),
)


def funnel(filters: Filters, by: str | None = None) -> pl.DataFrame:
    """Where deals leak: per step, the deals that entered it, were lost at it, are still waiting at
    it, and passed it; ``lost_pct`` = lost / entered and ``decided_lost_pct`` = lost / (entered -
    waiting). Qualification losses are deals lost before any engagement; closing losses after."""
    dims = (by,) if by else ()
    if by:
        PIPELINE.dimension(by)
    # Without ``by`` these are the totals ``summary`` asks for: the same name makes them one query.
    frame = _run(f"funnel.{by}" if by else "summary", filters, dimensions=dims).filter(pl.col("opportunities") > 0)
    if frame.is_empty():
        return frame
    entered_closing = pl.col("opportunities") - pl.col("lost_unengaged") - pl.col("open_unengaged")
    steps = [
        frame.select(*dims, pl.lit(1).alias("step_order"), pl.lit(FUNNEL_STEPS[0][0]).alias("step"),
                     pl.lit(FUNNEL_STEPS[0][1]).alias("step_label"),
                     pl.col("opportunities").alias("entered"), pl.col("lost_unengaged").alias("lost"),
                     pl.col("open_unengaged").alias("waiting"), entered_closing.alias("passed")),
        frame.select(*dims, pl.lit(2).alias("step_order"), pl.lit(FUNNEL_STEPS[1][0]).alias("step"),
                     pl.lit(FUNNEL_STEPS[1][1]).alias("step_label"), entered_closing.alias("entered"),
                     (pl.col("lost") - pl.col("lost_unengaged")).alias("lost"),
                     (pl.col("open_deals") - pl.col("open_unengaged")).alias("waiting"),
                     pl.col("won").alias("passed")),
    ]
    out = pl.concat(steps, how="vertical_relaxed")
    decided = pl.col("entered") - pl.col("waiting")
    return out.with_columns(
        pl.when(pl.col("entered") > 0).then(pl.col("lost") / pl.col("entered") * 100.0).alias("lost_pct"),
        pl.when(decided > 0).then(pl.col("lost") / decided * 100.0).alias("decided_lost_pct"),
    ).sort([*dims, "step_order"])


def cycle(filters: Filters) -> dict[str, pl.DataFrame]:
    """Sales cycle (engage -> close, days): a histogram of won and lost deals, and the median per
    salesperson and per product line."""
    counts = cycle_counts(filters)
    edges = list(CYCLE_BINS)
    labels = [f"{lo}-{hi - 1}" for lo, hi in zip(edges, edges[1:], strict=False)] + [f"{edges[-1]}+"]
    # A deal's bucket: how many upper edges its cycle reaches (0 -> "0-14", ..., len -> "365+").
    index = pl.sum_horizontal(*[(pl.col("cycle_days") >= edge).cast(pl.Int64) for edge in edges[1:]])
    histogram = (
        counts.with_columns(index.alias("bucket_order"))
        .group_by("bucket_order", "outcome").agg(pl.col("opportunities").sum())
        .with_columns(pl.col("bucket_order").replace_strict(dict(enumerate(labels)), return_dtype=pl.String)
                      .alias("bucket"))
        .sort(["bucket_order", "outcome"])
        .select("bucket", "outcome", "opportunities", "bucket_order")
    )
    return {
        "histogram": histogram,
        "by_salesperson": cycle_medians(cycle_counts(filters, ("salesperson",)), ("salesperson",)),
        "by_product_line": cycle_medians(cycle_counts(filters, ("product_line",)), ("product_line",)),
        "overall": cycle_medians(counts, ()),
    }


def open_pipeline(filters: Filters, limit: int = 200) -> dict[str, Any]:
    """Open deals: value and age by stage, and the oldest deals first, flagged when older than the
    usual cycle (the median engage-to-close days of won deals in the view)."""
    as_of = data_as_of(filters)
    usual = cycle_medians(cycle_counts(filters), ()).row(0, named=True)["median_cycle_won_days"]
    deals = _run("open_deals", filters,
                 dimensions=("opportunity_id", "stage", "salesperson", "branch", "product", "customer"),
                 aggregates=("open_value", "engaged_on"), conditions=(("outcome", ("open",)),))
    if deals.height and as_of is not None:
        deals = deals.with_columns(
            (pl.lit(as_of, dtype=pl.Date) - pl.col("engaged_on")).dt.total_days().cast(pl.Int64).alias("age_days"))
        deals = deals.with_columns(
            (pl.col("age_days") > usual if usual is not None else pl.lit(False)).fill_null(False).alias("overdue"))
    else:
        deals = deals.with_columns(pl.lit(None, pl.Int64).alias("age_days"), pl.lit(False).alias("overdue"))
    by_stage = (deals.group_by("stage").agg(
        pl.len().cast(pl.Int64).alias("open_deals"),
        pl.when(pl.col("open_value").is_not_null().any()).then(pl.col("open_value").sum()).alias("open_value"),
        pl.col("age_days").median().alias("median_age_days"), pl.col("overdue").sum().cast(pl.Int64).alias("overdue"),
    ).sort(["open_deals", "stage"], descending=[True, False]) if deals.height else pl.DataFrame())  # ties by name
    oldest = deals.sort(["age_days", "opportunity_id"], descending=[True, False], nulls_last=True).head(limit)
    return {"as_of": as_of, "usual_cycle_days": usual, "by_stage": by_stage, "oldest": oldest,
            "total": deals.height}


def assignment(filters: Filters) -> pl.DataFrame:
    """Closer skill against lead quality, per salesperson.

    A lead's quality is the win rate of its segment (product x account sector) over the *other*
    salespeople's closed deals in the view (leave-one-out, so a strong closer does not flatter their
    own leads). ``expected_win_rate_pct`` is the win rate a salesperson's lead mix predicts;
    ``skill_pp`` = actual - expected: positive means they win more than their leads predict."""
    cells = _run("assignment", filters, dimensions=("salesperson", "product", "sector"), aggregates=("won", "lost"))
    if cells.is_empty():
        return cells
    seg = ["product", "sector"]
    cells = cells.with_columns((pl.col("won") + pl.col("lost")).alias("closed")).filter(pl.col("closed") > 0)
    cells = cells.with_columns(
        (pl.col("won").sum().over(seg) - pl.col("won")).alias("others_won"),
        (pl.col("closed").sum().over(seg) - pl.col("closed")).alias("others_closed"),
        (pl.col("won").sum().over("product") - pl.col("won").sum().over(["product", "salesperson"]))
        .alias("product_others_won"),
        (pl.col("closed").sum().over("product") - pl.col("closed").sum().over(["product", "salesperson"]))
        .alias("product_others_closed"),
    )
    segment_rate = (pl.when(pl.col("others_closed") > 0).then(pl.col("others_won") / pl.col("others_closed"))
                    .when(pl.col("product_others_closed") > 0)
                    .then(pl.col("product_others_won") / pl.col("product_others_closed")))
    cells = cells.with_columns(segment_rate.alias("segment_rate"))
    people = cells.group_by("salesperson").agg(
        pl.col("won").sum(), pl.col("lost").sum(), pl.col("closed").sum(),
        ((pl.col("segment_rate") * pl.col("closed")).sum() / pl.col("closed").filter(
            pl.col("segment_rate").is_not_null()).sum() * 100.0).alias("expected_win_rate_pct"),
    )
    return people.with_columns(
        (pl.col("won") / pl.col("closed") * 100.0).alias("win_rate_pct"),
        (pl.col("closed") < SMALL_SAMPLE).alias("small_sample"),
    ).with_columns(
        (pl.col("win_rate_pct") - pl.col("expected_win_rate_pct")).alias("skill_pp"),
    ).sort(["skill_pp", "salesperson"], descending=[True, False], nulls_last=True)


def standouts(people: pl.DataFrame) -> list[str]:
    """Sentences naming the pairs that answer "are our best closers working on low-quality leads?"."""
    sure = people.filter(~pl.col("small_sample") & pl.col("skill_pp").is_not_null())
    if sure.height < 4:
        return []
    skill_hi = sure["skill_pp"].quantile(0.75)
    quality_med = sure["expected_win_rate_pct"].median()
    out = []
    for row in sure.filter((pl.col("skill_pp") >= skill_hi) & (pl.col("expected_win_rate_pct") < quality_med)
                           ).sort("skill_pp", descending=True).head(3).iter_rows(named=True):
        out.append(f"{row['salesperson']} wins {row['skill_pp']:.1f} pp more than their lead mix predicts, yet "
                   f"works some of the weakest leads (expected {row['expected_win_rate_pct']:.1f}% vs a median "
                   f"{quality_med:.1f}%): a strong closer on low-quality leads.")
    skill_lo = sure["skill_pp"].quantile(0.25)
    for row in sure.filter((pl.col("skill_pp") <= skill_lo) & (pl.col("expected_win_rate_pct") >= quality_med)
                           ).sort("skill_pp").head(2).iter_rows(named=True):
        out.append(f"{row['salesperson']} gets some of the best leads (expected {row['expected_win_rate_pct']:.1f}%) "
                   f"but wins {abs(row['skill_pp']):.1f} pp less than they predict.")
    if not out:
        corr = sure.select(pl.corr("skill_pp", "expected_win_rate_pct")).item()
        out.append(f"No strong closer is stuck on weak leads: closer skill and lead quality correlate at {corr:+.2f}.")
    return out


def sales_vs_crm(filters: Filters) -> pl.DataFrame:
    """For salespeople in both datasets: gross profit from sales next to the CRM win rate, and
    whether they are profitable and efficient or profitable by volume alone."""
    crm = win_rates(filters, "salesperson")
    sales_filters = Filters(filters.start, filters.end,
                            tuple(s for s in filters.selections if s[0] in SALES.dimensions), filters.compare)
    sales = breakdown(sales_filters, "salesperson")
    if crm.is_empty() or sales.is_empty():
        return pl.DataFrame()
    joined = sales.select("salesperson", "gross_profit", "gp_rank", "revenue", "margin_pct").join(
        crm.select("salesperson", "closed", "win_rate_pct", "win_rate_low_pct", "small_sample"),
        on="salesperson", how="inner")
    if joined.is_empty():
        return joined
    gp_mid, rate_mid = joined["gross_profit"].median(), joined["win_rate_pct"].median()
    verdict = (pl.when(pl.col("small_sample")).then(pl.lit("too few closed deals to say"))
               .when((pl.col("gross_profit") >= gp_mid) & (pl.col("win_rate_pct") >= rate_mid))
               .then(pl.lit("profitable and efficient"))
               .when(pl.col("gross_profit") >= gp_mid).then(pl.lit("profitable by volume"))
               .when(pl.col("win_rate_pct") >= rate_mid).then(pl.lit("efficient, small volume"))
               .otherwise(pl.lit("neither yet")))
    return joined.with_columns(verdict.alias("verdict")).sort("gp_rank")


def pipeline_insights(filters: Filters) -> list[str]:
    """Sentences computed from the data, as on the Overview."""
    out: list[str] = []
    totals = summary(filters)
    if not totals.get("opportunities"):
        return out
    if totals.get("closed") and totals["closed"] >= SMALL_SAMPLE:
        out.append(f"{totals['win_rate_pct']:.1f}% of closed deals were won ({totals['won']:,} of "
                   f"{totals['closed']:,}; 95% interval {totals['win_rate_low_pct']:.1f}-"
                   f"{totals['win_rate_high_pct']:.1f}%).")
    steps = funnel(filters)
    if steps.height == 2 and steps["lost"].sum() > 0:
        worst = steps.sort("lost", descending=True).row(0, named=True)
        share = worst["lost"] / steps["lost"].sum() * 100.0
        where = "before engagement (qualification)" if worst["step"] == "qualification" else \
            "after engagement (closing)"
        out.append(f"{share:.0f}% of lost deals were lost {where}: that is where the funnel leaks most.")
    won, lost = totals.get("median_cycle_won_days"), totals.get("median_cycle_lost_days")
    if won is not None and lost is not None:
        longer = "longer" if lost > won else "shorter"
        out.append(f"Lost deals take a median {lost:.0f} days to close against {won:.0f} for won ones ({longer}).")
    rates = win_rates(filters, "salesperson").filter(pl.col("rank").is_not_null())
    if rates.height >= 2:
        best, worst = rates.row(0, named=True), rates.sort("win_rate_low_pct").row(0, named=True)
        out.append(f"{best['salesperson']} has the surest high win rate ({best['win_rate_pct']:.1f}% of "
                   f"{best['closed']:,} closed deals); {worst['salesperson']} the lowest "
                   f"({worst['win_rate_pct']:.1f}% of {worst['closed']:,}).")
    out.extend(standouts(assignment(filters))[:2])
    return out
