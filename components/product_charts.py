"""Figures and tables for the Products page. Pure: frames in, figures/grids out."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import polars as pl

from components.format import ksh, pct
from components.grid import count_column, data_grid, money_column, pct_column, text_column
from components.labels import wrap_label
from components.theme import DIVERGING_SCALE, NEGATIVE_COLOR, PALETTE, PROFIT_COLOR, REVENUE_COLOR, base_layout
from data.products import HIDDEN_GEM, QUADRANT_TEXT, QUESTION_MARK, STAR, VOLUME_TRAP

GUIDE_LINE = {"dash": "dot", "color": "rgba(128,128,128,.7)", "width": 1}
MUTED = "rgba(128,128,128,.95)"
LABEL_COLOR = "#7b8494"  # point labels: Plotly's default near-black vanishes in dark mode


def share_pairs(frame: pl.DataFrame, subtitle: str) -> go.Figure:
    """Each product line's share of revenue beside its share of gross profit. A green bar longer
    than the grey one means the line earns more than its weight in sales; the margin is under
    the name."""
    rows = frame.sort("gross_profit", descending=True)
    lines = rows["product_line"].to_list()
    margins = rows["margin_pct"].to_list()
    money = [[ksh(r), ksh(g), pct(m)] for r, g, m in zip(rows["revenue"].to_list(), rows["gross_profit"].to_list(),
                                                          margins, strict=True)]
    fig = go.Figure()
    for column, name, color in (("revenue_share_pct", "Share of revenue", REVENUE_COLOR),
                                ("gross_profit_share_pct", "Share of gross profit", PROFIT_COLOR)):
        values = rows[column].to_list()
        fig.add_bar(y=lines, x=values, orientation="h", name=name, marker_color=color,
                    text=[pct(v) for v in values], textposition="outside", cliponaxis=False,
                    textfont={"size": 11}, customdata=money,
                    hovertemplate=("%{y}<br>" + name + " %{x:.1f}%<br>Revenue %{customdata[0]} · GP %{customdata[1]}"
                                   " · margin %{customdata[2]}<extra>Click to filter</extra>"))
    high = max([v or 0.0 for v in [*rows["revenue_share_pct"].to_list(), *rows["gross_profit_share_pct"].to_list()]]
               or [1.0])
    low = min([0.0, *[v or 0.0 for v in rows["gross_profit_share_pct"].to_list()]])
    fig.update_layout(barmode="group", bargap=0.22, bargroupgap=0.05, legend={"y": -0.08})
    fig.update_xaxes(ticksuffix="%", range=[low * 1.2, high * 1.25], nticks=5)
    fig.update_yaxes(autorange="reversed", tickvals=lines,
                     ticktext=[f"{wrap_label(line, 16)}<br><span style='font-size:10px'>{pct(m)} margin</span>"
                               for line, m in zip(lines, margins, strict=True)])
    return base_layout(fig, "Share of revenue vs share of gross profit", subtitle,
                       height=140 + 58 * max(1, len(lines)))


def alignment_chart(frame: pl.DataFrame, guides: dict, colors: dict[str, str], subtitle: str,
                    labels: int = 10) -> go.Figure:
    """Share of revenue or transactions (x) against margin (y), bubble = GP, with quadrant guides
    at the average share and the business's margin: are sales efforts where the margin is?"""
    level, basis = guides["level"], guides["basis"]
    rows = frame.filter(pl.col("share_pct").is_not_null() & pl.col("margin_pct").is_not_null())
    gp = rows["gross_profit"].to_list()
    biggest = max([abs(v or 0.0) for v in gp] or [1.0]) or 1.0
    labelled = set(rows.sort("gross_profit", descending=True).head(labels)[level].to_list())
    fig = go.Figure()
    for line in sorted(rows["product_line"].unique().to_list()):
        part = rows.filter(pl.col("product_line") == line)
        names = part[level].to_list()
        fig.add_scatter(
            x=part["share_pct"].to_list(), y=part["margin_pct"].to_list(), mode="markers+text", name=line,
            text=[wrap_label(n, 14) if n in labelled else "" for n in names], textposition="top center",
            textfont={"size": 10, "color": LABEL_COLOR}, cliponaxis=False, showlegend=level != "product_line",
            marker={"size": [max(abs(v or 0.0), 0.0) for v in part["gross_profit"].to_list()], "sizemode": "area",
                    "sizeref": 2.0 * biggest / 48**2, "sizemin": 6, "color": colors.get(line, PALETTE[0]),
                    "opacity": 0.85,
                    "line": {"width": [3 if (v or 0) < 0 else 1 for v in part["gross_profit"].to_list()],
                             "color": [NEGATIVE_COLOR if (v or 0) < 0 else "rgba(60,60,60,.6)"
                                       for v in part["gross_profit"].to_list()]}},
            customdata=[[line, n, ksh(g), ksh(r), q] for n, g, r, q in zip(
                names, part["gross_profit"].to_list(), part["revenue"].to_list(), part["quadrant"].to_list(),
                strict=True)],
            hovertemplate=("<b>%{customdata[1]}</b> (%{customdata[0]})<br>Share of " + basis + " %{x:.1f}% · "
                           "margin %{y:.1f}%<br>GP %{customdata[2]} · revenue %{customdata[3]}<br>%{customdata[4]}"
                           "<extra>Click to filter to the product line</extra>"),
        )
    if guides.get("share") is not None:
        fig.add_vline(x=guides["share"], line=GUIDE_LINE)
    if guides.get("margin") is not None:
        fig.add_hline(y=guides["margin"], line=GUIDE_LINE)
    for key, x, y, xanchor, yanchor in ((HIDDEN_GEM, 0.01, 0.99, "left", "top"), (STAR, 0.99, 0.99, "right", "top"),
                                        (QUESTION_MARK, 0.01, 0.01, "left", "bottom"),
                                        (VOLUME_TRAP, 0.99, 0.01, "right", "bottom")):
        fig.add_annotation(text="<br>".join(QUADRANT_TEXT[key].split(": ")), x=x, y=y, xref="paper", yref="paper",
                           xanchor=xanchor, yanchor=yanchor, align=xanchor, showarrow=False,
                           font={"size": 10, "color": MUTED})
    xs, ys = rows["share_pct"].to_list(), rows["margin_pct"].to_list()
    fig.update_xaxes(title={"text": f"Share of {basis}"}, ticksuffix="%",
                     range=_padded([*xs, guides.get("share") or 0.0, 0.0], 0.06, 0.12))
    fig.update_yaxes(title={"text": "GP margin"}, ticksuffix="%",
                     range=_padded([*ys, guides.get("margin") or 0.0, 0.0], 0.18, 0.3))
    guide_text = f"lines: average share {pct(guides.get('share'))}, overall margin {pct(guides.get('margin'))}"
    # Short title and broken subtitle lines: Plotly does not wrap, and phones are 390 px wide.
    return base_layout(fig, "Is selling effort where the margin is?",
                       f"{subtitle} · bubble = gross profit<br>{guide_text}", height=500).update_layout(
        margin={"t": 78})


def _padded(values: list[float], below: float, above: float) -> list[float]:
    """An axis range around ``values`` with room for bubbles, labels and quadrant captions."""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    return [low - span * below, high + span * above]


def profit_treemap(nodes: pl.DataFrame, team_margin: float | None, subtitle: str) -> go.Figure:
    """Product line → item group → item, area = gross profit, colour = margin around the
    business's margin (green earns above it, red dilutes it)."""
    root = "All products"
    ids = [root, *nodes["id"].to_list()]
    parents = ["", *[p or root for p in nodes["parent"].to_list()]]
    labels = [root, *nodes["label"].to_list()]
    sizes = [float(nodes.filter(pl.col("level") == "product_line")["size"].sum()), *nodes["size"].to_list()]
    margins = [team_margin, *nodes["margin_pct"].to_list()]
    custom = [[ksh(sum(v or 0 for v in nodes.filter(pl.col("level") == "product_line")["gross_profit"].to_list())),
               pct(team_margin)]]
    custom += [[ksh(g), pct(m)] for g, m in zip(nodes["gross_profit"].to_list(), nodes["margin_pct"].to_list(),
                                                strict=True)]
    spread = max([abs((m or 0.0) - (team_margin or 0.0)) for m in margins] or [1.0]) or 1.0
    fig = go.Figure(go.Treemap(
        ids=ids, parents=parents, labels=labels, values=sizes, branchvalues="total", customdata=custom,
        marker={"colors": [m if m is not None else team_margin for m in margins], "colorscale": DIVERGING_SCALE,
                "cmid": team_margin, "cmin": (team_margin or 0.0) - spread, "cmax": (team_margin or 0.0) + spread,
                "showscale": True,
                "colorbar": {"title": {"text": "GP margin", "side": "top"}, "ticksuffix": "%", "orientation": "h",
                             "y": -0.02, "yanchor": "top", "thickness": 10, "len": 0.5, "x": 0, "xanchor": "left"}},
        texttemplate="<b>%{label}</b><br>%{customdata[0]} · %{customdata[1]}",
        hovertemplate="<b>%{label}</b><br>Gross profit %{customdata[0]}<br>Margin %{customdata[1]}"
                      "<br>%{percentRoot:.1%} of profitable items' GP<extra></extra>",
        pathbar={"visible": True}, maxdepth=3, tiling={"pad": 2},  # root, line, group; items on zoom
    ))
    fig = base_layout(fig, "Where the gross profit comes from",
                      f"{subtitle} · line → group · click a tile for its items<br>"
                      f"area = gross profit, colour = margin vs {pct(team_margin)} overall", height=560)
    fig.update_layout(margin={"t": 84, "b": 60})
    return fig


def items_grid(grid_id: Any, frame: pl.DataFrame, height: int = 400) -> Any:
    """Items with their product line and group; loss-making GP shows in red."""
    loss = {"styleConditions": [{"condition": "params.value < 0",
                                 "style": {"color": "var(--bs-danger)", "fontWeight": "600"}}]}
    columns = [
        text_column("item_name", "Item", pinned=True, minWidth=150, wrapText=True, autoHeight=True,
                    cellStyle={"lineHeight": "1.3", "paddingTop": "6px", "paddingBottom": "6px"}),
        money_column("gross_profit", "Gross profit", cellStyle=loss),
        pct_column("margin_pct", "GP margin"),
        money_column("revenue", "Revenue"),
        pct_column("gross_profit_share_pct", "Share of GP"),
        count_column("transactions", "Transactions"),
        text_column("product_line", "Product line", minWidth=130),
        text_column("item_group", "Item group", minWidth=110),
    ]
    return data_grid(grid_id, frame, columns, height=height)
