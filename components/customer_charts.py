"""Figures for the Customers page. Pure: frames in, Plotly figures out."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from components.charts import add_hbar, hbar_room, money_ticks, span
from components.figure_spec import finish, new_figure
from components.format import ksh, ksh_exact, margin, pct
from components.labels import shorten
from components.theme import NEGATIVE_COLOR, PROFIT_COLOR, REVENUE_COLOR, base_layout

BOTH_COLOR = PROFIT_COLOR  # in both top lists
ONLY_COLOR = "#f59e0b"  # in this top list only: where revenue and profit disagree
TOP_TIER_COLOR = PROFIT_COLOR
OTHERS_COLOR = REVENUE_COLOR
TIER_COLORS = {"customers_share_pct": "#94a3b8", "revenue_share_pct": "#2563eb", "gross_profit_share_pct": PROFIT_COLOR}
MAX_LABEL = 24


def short_label(name: str, limit: int = MAX_LABEL) -> str:
    """Long customer names cut with an ellipsis so bars keep their room on a phone."""
    return shorten(name, limit)


def top_customers_bars(frame: pl.DataFrame, value_col: str, title: str, subtitle: str, others: set[str],
                       top: int = 10) -> go.Figure:
    """Top ``top`` customers by ``value_col``. Green bars are also in the other top list
    (``others``); amber bars are not, which is exactly where revenue and profit disagree.
    Labels carry the value only (margin is in the hover) so they fit beside the bars at 390 px."""
    rows = frame.sort([value_col, "customer"], descending=[True, False]).head(top)
    names = rows["customer"].to_list()
    values = rows[value_col].to_list()
    margins = rows["margin_pct"].to_list()
    colors = [NEGATIVE_COLOR if (v or 0) < 0 else (BOTH_COLOR if n in others else ONLY_COLOR)
              for n, v in zip(names, values, strict=True)]
    text = [ksh(v) for v in values]
    fig = new_figure()
    add_hbar(fig, values, [short_label(n) for n in names], text, title, marker_color=colors,
             customdata=[[n, margin(m), ksh_exact(v)] for n, m, v in zip(names, margins, values, strict=True)],
             hovertemplate="%{customdata[0]}<br>%{customdata[2]} · margin %{customdata[1]}<extra></extra>")
    fig.update_layout(showlegend=False)
    fig.update_yaxes(autorange="reversed")
    # Few ticks so they never need to slant on a phone; labels get their room from hbar_room.
    money_ticks(fig, "x", *span(values), target=2)
    fig = base_layout(fig, title, subtitle, height=90 + 30 * max(1, len(names)))
    hbar_room(fig, values, text)
    return finish(fig)


MAX_CURVE_POINTS = 600


def thin_curve(curve: pl.DataFrame, max_points: int = MAX_CURVE_POINTS) -> pl.DataFrame:
    """Evenly spaced rows of a long cumulative curve, keeping its first, last and highest points.

    Tens of thousands of customers draw the same line as a few hundred points, and Plotly's
    per-point validation of the full list costs the server half a second."""
    if curve.height <= max_points:
        return curve
    step = -(-curve.height // max_points)
    peak = curve["cum_gp_share_pct"].arg_max() or 0
    keep = sorted({*range(0, curve.height, step), peak, curve.height - 1})
    return curve[keep]


def pareto_chart(curve: pl.DataFrame, point: dict | None, subtitle: str, threshold: float = 80.0) -> go.Figure:
    """Cumulative share of GP against share of customers (biggest first), with the 80% line."""
    curve = thin_curve(curve)
    fig = new_figure()
    fig.add_scatter(x=[0, 100], y=[0, 100], mode="lines", name="Equal shares",
                    line={"color": "rgba(128,128,128,0.6)", "dash": "dot", "width": 1}, hoverinfo="skip")
    fig.add_scatter(
        x=curve["customer_share_pct"].to_list(), y=curve["cum_gp_share_pct"].to_list(), mode="lines",
        name="Cumulative GP share", line={"color": PROFIT_COLOR, "width": 3}, fill="tozeroy",
        fillcolor="rgba(22,163,74,0.10)", customdata=[[r, c or ""] for r, c in zip(curve["rank"].to_list(),
                                                                                   curve["customer"].to_list(),
                                                                                   strict=True)],
        hovertemplate="Top %{customdata[0]} customers (%{x:.1f}%)<br>earn %{y:.1f}% of GP"
                      "<br>last: %{customdata[1]}<extra></extra>",
    )
    fig.add_hline(y=threshold, line={"dash": "dash", "color": NEGATIVE_COLOR, "width": 1})
    title = "Customer concentration (Pareto)"
    if point:
        x = point["customer_share_pct"]
        fig.add_vline(x=x, line={"dash": "dash", "color": NEGATIVE_COLOR, "width": 1})
        fig.add_annotation(
            x=x, y=threshold, xanchor="left", yanchor="top", showarrow=False, xshift=6, yshift=-4, align="left",
            text=f"Top {x:.1f}% of customers ({point['customers']:,} of {point['total_customers']:,})"
                 f"<br>earn {threshold:.0f}% of GP",
            font={"size": 12},
        )
    fig.update_xaxes(range=[0, 100], ticksuffix="%", title_text="Share of customers")
    high = max(100.0, max(curve["cum_gp_share_pct"].to_list() or [100.0]))
    fig.update_yaxes(range=[0, high * 1.03], ticksuffix="%", title_text="Cumulative share of GP")
    fig = base_layout(fig, title, subtitle, height=380)
    fig.update_layout(showlegend=False)
    return finish(fig)


def tier_chart(tiers: pl.DataFrame, subtitle: str) -> go.Figure:
    """Per tier: share of customers, of revenue and of GP side by side (the imbalance is the story)."""
    labels = [f"{t}<br>{label}" for t, label in zip(tiers["tier"].to_list(), tiers["tier_label"].to_list(),
                                                   strict=True)]
    fig = new_figure()
    for column, name in (("customers_share_pct", "Customers"), ("revenue_share_pct", "Revenue"),
                         ("gross_profit_share_pct", "Gross profit")):
        values = tiers[column].to_list()
        fig.add_bar(x=labels, y=values, name=f"Share of {name.lower()}", marker_color=TIER_COLORS[column],
                    text=[pct(v) for v in values], textposition="outside", cliponaxis=False,
                    hovertemplate="%{x}<br>" + name + " %{y:.1f}%<extra></extra>")
    low, top = span([v for c in TIER_COLORS for v in tiers[c].to_list()])
    high = max(100.0, top) * 1.12
    # A negative share's label hangs below its bar: keep ~10% of the axis for it above the tier names.
    fig.update_yaxes(ticksuffix="%", range=[low - 0.1 * (high - low) if low < 0 else 0.0, high])
    fig = base_layout(fig, "Value tiers", subtitle, height=380)
    fig.update_layout(barmode="group", bargap=0.25)
    fig.update_xaxes(tickangle=0)
    return finish(fig)


def preference_bars(prefs: pl.DataFrame, dimension: str, title: str, subtitle: str) -> go.Figure:
    """Share of each group's revenue per product line or branch: top tier against the others."""
    order = (prefs.filter(pl.col("group") == "Top tier").sort("group_revenue_share_pct", descending=True)[dimension]
             .to_list())
    order += sorted(set(prefs[dimension].to_list()) - set(order))
    fig = new_figure()
    for group, color in (("Top tier", TOP_TIER_COLOR), ("Other customers", OTHERS_COLOR)):
        rows = {r[dimension]: r["group_revenue_share_pct"] for r in prefs.filter(pl.col("group") == group)
                .iter_rows(named=True)}
        values = [rows.get(v) for v in order]
        add_hbar(fig, values, order, [pct(v) if v is not None else "" for v in values], group, size=12,
                 marker_color=color, hovertemplate="%{y}<br>" + group + ": %{x:.1f}% of revenue<extra></extra>")
    values = prefs["group_revenue_share_pct"].to_list()
    fig.update_xaxes(ticksuffix="%")
    fig.update_yaxes(autorange="reversed")
    fig = base_layout(fig, title, subtitle, height=120 + 44 * max(1, len(order)))
    fig.update_layout(barmode="group", bargap=0.2)
    hbar_room(fig, values, [pct(v) for v in values], size=12)
    return finish(fig)
