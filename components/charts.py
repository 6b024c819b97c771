"""Plotly figure builders shared by the pages. Pure: a frame in, a figure out."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from components.format import ksh, pct
from components.theme import NEGATIVE_COLOR, PROFIT_COLOR, REVENUE_COLOR, base_layout

GRAIN_LABEL = {"day": "Daily", "week": "Weekly", "month": "Monthly", "quarter": "Quarterly", "year": "Yearly"}


def money_ticks(fig: go.Figure, axis: str = "y") -> None:
    """Axis labels in KSh with SI suffixes (1.2M), the way finance people read them."""
    fig.update_layout({f"{axis}axis": {"tickprefix": "KSh ", "tickformat": "~s"}})


def sparkline(values: list[float | None], color: str = PROFIT_COLOR) -> go.Figure:
    """A tiny line with no axes, for KPI cards."""
    fig = go.Figure(go.Scatter(y=values, mode="lines", line={"color": color, "width": 2}, hoverinfo="skip",
                               fill="tozeroy", fillcolor="rgba(22,163,74,0.08)"))
    fig.update_layout(margin={"l": 0, "r": 0, "t": 0, "b": 0}, height=36, showlegend=False,
                      paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def revenue_profit_trend(frame: pl.DataFrame, grain: str, subtitle: str) -> go.Figure:
    """Revenue and gross profit bars per period, with the GP margin on a second axis."""
    periods = frame["period"].to_list()
    fig = go.Figure()
    fig.add_bar(x=periods, y=frame["revenue"].to_list(), name="Revenue", marker_color=REVENUE_COLOR,
                hovertemplate="%{x|%d %b %Y}<br>Revenue KSh %{y:,.0f}<extra></extra>")
    fig.add_bar(x=periods, y=frame["gross_profit"].to_list(), name="Gross profit", marker_color=PROFIT_COLOR,
                hovertemplate="%{x|%d %b %Y}<br>Gross profit KSh %{y:,.0f}<extra></extra>")
    fig.add_scatter(x=periods, y=frame["margin_pct"].to_list(), name="GP margin %", yaxis="y2", mode="lines+markers",
                    line={"color": "#f59e0b", "width": 2}, marker={"size": 5},
                    hovertemplate="%{x|%d %b %Y}<br>Margin %{y:.1f}%<extra></extra>")
    fig.update_layout(barmode="group", yaxis2={"overlaying": "y", "side": "right", "ticksuffix": "%",
                                               "tickformat": ".0f", "showgrid": False, "rangemode": "tozero"})
    money_ticks(fig)
    return base_layout(fig, f"{GRAIN_LABEL.get(grain, '')} revenue and gross profit", subtitle, height=340)


def ranked_bars(frame: pl.DataFrame, label_col: str, title: str, subtitle: str, value_col: str = "gross_profit",
                top: int = 5, colors: dict[str, str] | None = None) -> go.Figure:
    """Horizontal bars of the top rows by ``value_col``, biggest on top, margin in the label."""
    rows = frame.sort(value_col, descending=True).head(top)
    labels = rows[label_col].to_list()
    values = rows[value_col].to_list()
    margins = rows["margin_pct"].to_list() if "margin_pct" in rows.columns else [None] * len(labels)
    bar_colors = [
        NEGATIVE_COLOR if (v or 0) < 0 else (colors or {}).get(label, PROFIT_COLOR)
        for label, v in zip(labels, values, strict=True)
    ]
    fig = go.Figure(go.Bar(
        x=values, y=labels, orientation="h", marker_color=bar_colors,
        text=[f"{ksh(v)} · {pct(m)}" for v, m in zip(values, margins, strict=True)],
        textposition="outside", cliponaxis=False, textfont={"size": 11},
        customdata=[[label] for label in labels],
        hovertemplate="%{y}<br>KSh %{x:,.0f}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed")
    money_ticks(fig, "x")
    low = min([0.0, *[v or 0 for v in values]])
    high = max([0.0, *[v or 0 for v in values]])
    # Room on the right for the outside labels, so they are never clipped.
    fig.update_xaxes(range=[low * 1.1, high * 1.7 if high > 0 else 1], nticks=4)
    return base_layout(fig, title, subtitle, height=80 + 42 * max(1, len(labels)))
