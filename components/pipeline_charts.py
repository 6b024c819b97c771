"""Figures and tables of the Pipeline page: pure functions of the frames ``data.pipeline`` returns."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import polars as pl

from components.figure_spec import finish, new_figure
from components.format import count, pct
from components.grid import count_column, data_grid, margin_column, money_column, pct_column, text_column
from components.theme import NEGATIVE_COLOR, PROFIT_COLOR, REVENUE_COLOR, base_layout

UNSURE_COLOR = "rgba(148,163,184,0.55)"
WAITING_COLOR = "#f59e0b"


def win_rate_bars(frame: pl.DataFrame, by: str, label: str, subtitle: str) -> go.Figure:
    """Win rate per group with its 95% interval as error bars; groups with too few closed deals are
    grey and say so, so nobody ranks them as if certain."""
    rows = frame.sort(["small_sample", "rank", by], nulls_last=True).head(40)
    names = rows[by].to_list()
    rates = rows["win_rate_pct"].to_list()
    low = [r - lo if r is not None and lo is not None else None
           for r, lo in zip(rates, rows["win_rate_low_pct"].to_list(), strict=True)]
    high = [hi - r if r is not None and hi is not None else None
            for r, hi in zip(rates, rows["win_rate_high_pct"].to_list(), strict=True)]
    small = rows["small_sample"].to_list()
    colors = [UNSURE_COLOR if s else PROFIT_COLOR for s in small]
    texts = [f"{pct(r)} of {count(n)}" + (" (few deals)" if s else "")
             for r, n, s in zip(rates, rows["closed"].to_list(), small, strict=True)]
    fig = new_figure(dict(
        type="bar", x=rates, y=names, orientation="h", marker_color=colors, text=texts, textposition="auto",
        error_x={"type": "data", "symmetric": False, "array": high, "arrayminus": low, "thickness": 1.2,
                 "color": "rgba(100,116,139,0.9)"},
        customdata=[[n] for n in names],
        hovertemplate="%{y}<br>win rate %{x:.1f}%<br>%{text}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed", title=None)
    fig.update_xaxes(range=[0, 100], ticksuffix="%", title="Win rate (won / closed), with its 95% interval")
    return finish(base_layout(fig, f"Win rate by {label}", subtitle, height=max(300, 60 + 26 * len(names))))


def funnel_bars(steps: pl.DataFrame, subtitle: str) -> go.Figure:
    """Each step's deals split into passed, still waiting and lost, with the share lost."""
    labels = steps["step_label"].to_list()
    fig = new_figure()
    for column, name, color in (("passed", "Passed", PROFIT_COLOR), ("waiting", "Still open here", WAITING_COLOR),
                                ("lost", "Lost here", NEGATIVE_COLOR)):
        values = steps[column].to_list()
        fig.add_bar(y=labels, x=values, name=name, orientation="h", marker_color=color,
                    text=[count(v) for v in values], textposition="inside",
                    hovertemplate=f"%{{y}}<br>{name}: %{{x:,}}<extra></extra>")
    annotations = [
        {"x": e, "y": lbl, "text": f" {pct(lp)} lost", "showarrow": False, "xanchor": "left", "font": {"size": 11}}
        for lbl, e, lp in zip(labels, steps["entered"].to_list(), steps["lost_pct"].to_list(), strict=True)
    ]
    fig.update_layout(barmode="stack", annotations=annotations)
    fig.update_yaxes(autorange="reversed", title=None)
    fig.update_xaxes(title="Deals")
    return finish(base_layout(fig, "Where does the funnel leak?", subtitle, height=300))


def cycle_histogram(histogram: pl.DataFrame, subtitle: str) -> go.Figure:
    """How long deals take from engagement to close, won against lost."""
    fig = new_figure()
    for outcome, color in (("won", PROFIT_COLOR), ("lost", NEGATIVE_COLOR)):
        part = histogram.filter(pl.col("outcome") == outcome)
        fig.add_bar(x=part["bucket"].to_list(), y=part["opportunities"].to_list(), name=outcome.title(),
                    marker_color=color, hovertemplate="%{x} days<br>%{y:,} deals<extra>" + outcome + "</extra>")
    fig.update_layout(barmode="group")
    fig.update_xaxes(title="Days from engage to close", type="category")
    fig.update_yaxes(title="Closed deals")
    return finish(base_layout(fig, "Sales cycle: won vs lost", subtitle, height=340))


def assignment_scatter(people: pl.DataFrame, subtitle: str) -> go.Figure:
    """Lead quality (x: the win rate a person's lead mix predicts) against closer skill (y: how far
    they beat it). Bottom-right: strong leads, weak closing; top-left: strong closers on weak leads."""
    sure = people.filter(~pl.col("small_sample") & pl.col("skill_pp").is_not_null())
    fig = new_figure(dict(
        type="scatter", x=sure["expected_win_rate_pct"].to_list(), y=sure["skill_pp"].to_list(), mode="markers",
        marker={"size": 10, "color": [PROFIT_COLOR if v >= 0 else NEGATIVE_COLOR for v in sure["skill_pp"]]},
        text=sure["salesperson"].to_list(), customdata=sure.select("closed", "win_rate_pct").rows(),
        hovertemplate=("%{text}<br>leads predict %{x:.1f}%<br>wins %{customdata[1]:.1f}% of %{customdata[0]:,}"
                       "<br>skill %{y:+.1f} pp<extra></extra>"),
    ))
    if sure.height:
        fig.add_vline(x=float(sure["expected_win_rate_pct"].median()), line_dash="dot", line_color=REVENUE_COLOR)
    fig.add_hline(y=0, line_color=REVENUE_COLOR)
    fig.update_xaxes(title="Lead quality: win rate the lead mix predicts (%)", ticksuffix="%")
    fig.update_yaxes(title="Closer skill: actual − predicted (pp)", ticksuffix=" pp")
    return finish(base_layout(fig, "Do the best closers get the best leads?", subtitle, height=420))


def open_by_stage_bars(by_stage: pl.DataFrame, subtitle: str) -> go.Figure:
    stages = by_stage["stage"].to_list()
    fig = new_figure(dict(
        type="bar", x=stages, y=by_stage["open_deals"].to_list(), marker_color=WAITING_COLOR,
        text=[f"{count(n)} · {count(o)} overdue" for n, o in zip(by_stage["open_deals"], by_stage["overdue"],
                                                                 strict=True)],
        textposition="auto", hovertemplate="%{x}<br>%{y:,} open deals<extra></extra>",
    ))
    fig.update_yaxes(title="Open deals")
    return finish(base_layout(fig, "Open pipeline by stage", subtitle, height=320))


def win_rate_grid(grid_id: Any, frame: pl.DataFrame, by: str, label: str) -> Any:
    return data_grid(grid_id, frame, [
        count_column("rank", "Rank", maxWidth=80), text_column(by, label, pinned=True, minWidth=150),
        count_column("closed", "Closed"), count_column("won", "Won"), count_column("lost", "Lost"),
        count_column("open_deals", "Open"), pct_column("win_rate_pct", "Win rate"),
        pct_column("win_rate_low_pct", "95% low"), pct_column("win_rate_high_pct", "95% high"),
        money_column("won_value", "Won value"), count_column("median_cycle_won_days", "Median days (won)"),
        text_column("sample_note", "Sample"),
    ], height=360)


def funnel_grid(grid_id: Any, frame: pl.DataFrame, by: str, label: str) -> Any:
    return data_grid(grid_id, frame, [
        text_column(by, label, pinned=True), count_column("qualification_entered", "Opportunities"),
        pct_column("qualification_lost_pct", "Lost in qualification"),
        count_column("closing_entered", "Engaged"), pct_column("closing_lost_pct", "Lost in closing"),
        pct_column("closing_decided_lost_pct", "Lost of decided"),
    ], height=320)


def cycle_grid(grid_id: Any, frame: pl.DataFrame, by: str, label: str) -> Any:
    return data_grid(grid_id, frame, [
        text_column(by, label, pinned=True, minWidth=150),
        count_column("median_cycle_won_days", "Median days, won"),
        count_column("median_cycle_lost_days", "Median days, lost"),
        count_column("median_cycle_closed_days", "Median days, all closed"),
    ], height=320)


def open_deals_grid(grid_id: Any, frame: pl.DataFrame) -> Any:
    return data_grid(grid_id, frame.with_columns(
        pl.when(pl.col("overdue")).then(pl.lit("overdue")).otherwise(pl.lit("")).alias("flag")), [
        text_column("opportunity_id", "Deal", pinned=True, minWidth=110), text_column("stage", "Stage"),
        text_column("salesperson", "Salesperson", minWidth=150), text_column("customer", "Account", minWidth=130),
        text_column("product", "Product", minWidth=130), count_column("age_days", "Age (days)"),
        money_column("open_value", "Value"), text_column("flag", "Flag"),
    ], height=360)


def sales_vs_crm_grid(grid_id: Any, frame: pl.DataFrame) -> Any:
    return data_grid(grid_id, frame, [
        count_column("gp_rank", "GP rank", maxWidth=90),
        text_column("salesperson", "Salesperson", pinned=True, minWidth=150),
        money_column("gross_profit", "Gross profit"), margin_column("margin_pct", "GP margin"),
        count_column("closed", "Closed deals"), pct_column("win_rate_pct", "Win rate"),
        text_column("verdict", "Verdict"),
    ], height=360)


