"""Figures and tables for the Salespeople page. Pure: frames in, figures/grids out."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import polars as pl

from components.charts import (
    add_hbar,
    bubble_radius,
    corner_boxes,
    hbar_room,
    money_ticks,
    padded_range,
    place_labels,
)
from components.figure_spec import finish, new_figure
from components.format import ksh, ksh_exact, margin, pct, plot_margin, pp
from components.grid import count_column, data_grid, margin_column, money_column, text_column
from components.labels import wrap_label
from components.theme import DIVERGING_SCALE, HEATMAP_SCALE, PROFIT_COLOR, REVENUE_COLOR, base_layout
from data.salespeople import RANK_GAP_ALERT

LEADERBOARD_GRID = {"type": "sp-pick-grid", "src": "leaderboard"}
MARGIN_GRAPH = {"type": "sp-pick-point", "src": "margin"}

LABEL_COLOR = "#7b8494"  # point labels: Plotly's default near-black vanishes in dark mode
RANK_GAP_JS = ("params.value == null ? '—' : params.value > 0 ? '▲ ' + params.value : "
               "params.value < 0 ? '▼ ' + Math.abs(params.value) : '='")


def leaderboard_grid(frame: pl.DataFrame) -> Any:
    """Every salesperson by GP; a click on a row selects them for the drill-down. The rank gap
    is highlighted when revenue and GP ranks disagree by ``RANK_GAP_ALERT`` places or more."""
    gap_style = {"styleConditions": [
        {"condition": f"params.value >= {RANK_GAP_ALERT}",
         "style": {"color": "var(--bs-success)", "fontWeight": "600", "backgroundColor": "rgba(22,163,74,.10)"}},
        {"condition": f"params.value <= -{RANK_GAP_ALERT}",
         "style": {"color": "var(--bs-danger)", "fontWeight": "600", "backgroundColor": "rgba(220,38,38,.10)"}},
    ]}
    columns = [
        count_column("gp_rank", "GP rank", maxWidth=90, minWidth=70, pinned="left"),
        text_column("salesperson", "Salesperson", pinned=True, minWidth=140),
        money_column("gross_profit", "Gross profit", sort="desc"),
        money_column("revenue", "Revenue"),
        margin_column("margin_pct", "GP margin"),
        money_column("avg_gp_per_sale", "Avg GP per sale"),
        count_column("transactions", "Transactions"),
        count_column("customers", "Customers"),
        count_column("revenue_rank", "Revenue rank", minWidth=80),
        count_column("rank_gap", "Rank gap", minWidth=80, valueFormatter={"function": RANK_GAP_JS},
                     cellStyle=gap_style,
                     headerTooltip="Revenue rank minus GP rank. ▲ earns more profit than their sales volume "
                                   "suggests; ▼ sells volume at a thin margin."),
    ]
    return data_grid(LEADERBOARD_GRID, frame, columns, height=430, selectable=True, row_id="salesperson")


def mix_heatmap(frame: pl.DataFrame, line_order: list[str], subtitle: str) -> go.Figure:
    """Salesperson rows (GP rank order) × product line columns; a cell is the share of that
    person's GP earned on the line, so a row reads as their profit mix."""
    people = frame.sort("gp_rank").get_column("salesperson").unique(maintain_order=True).to_list()
    wide = frame.pivot(on="product_line", index="salesperson", values="row_gp_share_pct")
    gp = frame.pivot(on="product_line", index="salesperson", values="gross_profit")
    lines = [line for line in line_order if line in wide.columns]
    wide = pl.DataFrame({"salesperson": people}).join(wide, on="salesperson", how="left", maintain_order="left")
    gp = pl.DataFrame({"salesperson": people}).join(gp, on="salesperson", how="left", maintain_order="left")
    z = [[row[line] for line in lines] for row in wide.iter_rows(named=True)]
    money = [[ksh(row[line]) for line in lines] for row in gp.iter_rows(named=True)]
    text = [["" if v is None else f"{v:.1f}" for v in r] for r in z]
    fig = new_figure(dict(
        type="heatmap", z=z, x=lines, y=people, text=text, texttemplate="%{text}", textfont={"size": 10},
        customdata=money, colorscale=HEATMAP_SCALE, zmin=0, zmax=100, xgap=1, ygap=1,
        colorbar={"title": {"text": "% of their GP", "side": "right"}, "ticksuffix": "%", "thickness": 10,
                  "len": min(1.0, 400 / (22 * max(1, len(people)))), "y": 1, "yanchor": "top"},
        hovertemplate="%{y} · %{x}<br>%{z:.1f}% of their GP (%{customdata})<extra>Click to filter</extra>",
    ))
    fig.update_xaxes(side="top", tickvals=lines, ticktext=[wrap_label(line) for line in lines], tickangle=0,
                     tickfont={"size": 11})
    fig.update_yaxes(autorange="reversed", tickfont={"size": 11})
    fig = base_layout(fig, "Product mix: share of each person's GP", subtitle,
                      height=150 + 22 * len(people))
    fig.update_layout(margin={"t": 110})  # room for the title and the two-line column labels on top
    return finish(fig)


# Where the margin map's plot area is narrowest (a 390 px phone) and how tall it is: label
# placement is checked there, so wider screens only spread the labels further apart.
MARGIN_MAP_PLOT_PX = (250.0, 250.0)
MARGIN_MAP_CORNERS = (("High margin, small GP", "left", "top"), ("Stars: big GP, high margin", "right", "top"),
                      ("Small GP, thin margin", "left", "bottom"), ("Volume: big GP, thin margin", "right", "bottom"))


def margin_map(frame: pl.DataFrame, team_margin: float | None, subtitle: str, labels: int = 5) -> go.Figure:
    """GP (x) against margin (y), bubble = revenue, colour = pricing vs product mix. Guides at
    the average GP per salesperson and the team's margin split sellers into four groups. The
    biggest earners are named where a label fits without covering another one."""
    rows = (frame.with_columns(pl.col("margin_pct").map_elements(plot_margin, return_dtype=pl.Float64))
            .filter(pl.col("margin_pct").is_not_null()))
    revenue = [max(v or 0.0, 0.0) for v in rows["revenue"].to_list()]
    biggest = max(revenue) if revenue and max(revenue) > 0 else 1.0
    sizeref = 2.0 * biggest / 44**2
    names = rows["salesperson"].to_list()
    gp, margins = rows["gross_profit"].to_list(), rows["margin_pct"].to_list()
    pricing = rows["pricing_pp"].to_list() if "pricing_pp" in rows.columns else [None] * rows.height
    custom = [
        [name, ksh(rev), margin(mix), pp(p), tx, ksh_exact(g), margin(m)]
        for name, rev, mix, p, tx, g, m in zip(names, rows["revenue"].to_list(),
                                               rows["mix_margin_pct"].to_list() if "mix_margin_pct" in rows.columns
                                               else [None] * rows.height, pricing, rows["transactions"].to_list(),
                                               gp, margins, strict=True)
    ]
    avg_gp = rows["gross_profit"].mean() if rows.height else None
    x_range = padded_range([*gp, 0.0, avg_gp], 0.04, 0.1)
    y_range = padded_range([*margins, team_margin], 0.12, 0.18)
    order = sorted(range(rows.height), key=lambda i: -(gp[i] or 0.0))[:labels]
    wanted = ["" if i not in order else names[i] for i in range(rows.height)]
    ranked = sorted(range(rows.height), key=lambda i: order.index(i) if i in order else len(order))
    text, positions = place_labels(
        [gp[i] or 0.0 for i in ranked], [margins[i] for i in ranked], [wanted[i] for i in ranked],
        [bubble_radius(revenue[i], sizeref, 5) for i in ranked], x_range, y_range, MARGIN_MAP_PLOT_PX,
        obstacles=corner_boxes(MARGIN_MAP_CORNERS, MARGIN_MAP_PLOT_PX))
    label_of = {i: (t, p) for i, t, p in zip(ranked, text, positions, strict=True)}
    limit = max([abs(p) for p in pricing if p is not None] or [1.0])
    fig = new_figure(dict(
        type="scatter", x=gp, y=margins, mode="markers+text",
        text=[label_of[i][0] for i in range(rows.height)], textposition=[label_of[i][1] for i in range(rows.height)],
        textfont={"size": 10, "color": LABEL_COLOR}, customdata=custom, cliponaxis=False,
        marker={"size": revenue, "sizemode": "area", "sizeref": sizeref, "sizemin": 5,
                "color": [p if p is not None else 0.0 for p in pricing], "colorscale": DIVERGING_SCALE,
                "cmin": -limit, "cmax": limit, "line": {"width": 1, "color": "rgba(60,60,60,.6)"},
                "colorbar": {"title": {"text": "Pricing vs mix (pp)", "side": "top"}, "orientation": "h",
                             "y": -0.2, "yanchor": "top", "thickness": 10, "len": 0.6, "x": 0,
                             "xanchor": "left", "ticksuffix": " pp"}},
        hovertemplate=("<b>%{customdata[0]}</b><br>Gross profit %{customdata[5]} · margin %{customdata[6]}"
                       "<br>Revenue %{customdata[1]} · %{customdata[4]:,} transactions"
                       "<br>Mix margin %{customdata[2]} · pricing %{customdata[3]}"
                       "<extra>Click to drill down</extra>"),
    ))
    if avg_gp is not None:
        fig.add_vline(x=avg_gp, line={"dash": "dot", "color": "rgba(128,128,128,.7)", "width": 1})
    if team_margin is not None:
        fig.add_hline(y=team_margin, line={"dash": "dot", "color": "rgba(128,128,128,.7)", "width": 1})
    for caption, side, edge in MARGIN_MAP_CORNERS:
        fig.add_annotation(text=caption, x=0.01 if side == "left" else 0.99, y=0.99 if edge == "top" else 0.01,
                           xref="paper", yref="paper", xanchor=side, yanchor=edge,
                           showarrow=False, font={"size": 10, "color": "rgba(128,128,128,.95)"})
    money_ticks(fig, "x", *x_range, target=4)
    fig.update_xaxes(title={"text": "Gross profit"}, range=x_range)
    fig.update_yaxes(title={"text": "GP margin"}, ticksuffix="%", range=y_range)
    guide = f"lines: average GP per salesperson, team margin {margin(team_margin)}"
    fig = base_layout(fig, "Who sells at high margin?", f"{subtitle} · bubble = revenue<br>{guide}", height=460)
    fig.update_layout(margin={"t": 78, "b": 70})
    return finish(fig)


def person_mix_bars(frame: pl.DataFrame, name: str, subtitle: str) -> go.Figure:
    """One person's share of GP per product line beside the team's: where their profit mix
    leans compared with everyone else's."""
    rows = frame.sort("team_gp_share_pct", descending=False)
    lines = rows["product_line"].to_list()
    fig = new_figure()
    team, mine = rows["team_gp_share_pct"].to_list(), rows["gross_profit_share_pct"].to_list()
    add_hbar(fig, team, lines, [pct(v) for v in team], "Team", size=12, marker_color=REVENUE_COLOR,
             customdata=[[margin(m)] for m in rows["team_margin_pct"].to_list()],
             hovertemplate="%{y}<br>Team: %{x:.1f}% of GP · margin %{customdata[0]}<extra></extra>")
    add_hbar(fig, mine, lines, [pct(v) for v in mine], name, size=12, marker_color=PROFIT_COLOR,
             customdata=[[ksh(g), margin(m)] for g, m in zip(rows["gross_profit"].to_list(),
                                                          rows["margin_pct"].to_list(), strict=True)],
             hovertemplate="%{y}<br>" + name + ": %{x:.1f}% of GP (%{customdata[0]}) · margin %{customdata[1]}"
                           "<extra></extra>")
    values = [*rows["team_gp_share_pct"].to_list(), *rows["gross_profit_share_pct"].to_list()]
    fig.update_layout(barmode="group", bargap=0.25)
    fig.update_xaxes(ticksuffix="%", nticks=4)
    fig.update_yaxes(tickvals=lines, ticktext=[wrap_label(line, 14) for line in lines])
    fig = base_layout(fig, "Profit mix vs the team", subtitle, height=120 + 46 * max(1, len(lines)))
    hbar_room(fig, values, [pct(v) for v in values], size=12)
    return finish(fig)
