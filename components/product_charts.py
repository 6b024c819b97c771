"""Figures and tables for the Products page. Pure: frames in, figures/grids out."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import polars as pl

from components.charts import add_hbar, bubble_radius, corner_boxes, hbar_room, padded_range, place_labels
from components.figure_spec import finish, new_figure
from components.format import ksh, margin, pct, plot_margin
from components.grid import count_column, data_grid, margin_column, money_column, pct_column, text_column
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
    money = [[ksh(r), ksh(g), margin(m)] for r, g, m in zip(rows["revenue"].to_list(),
                                                             rows["gross_profit"].to_list(), margins, strict=True)]
    fig = new_figure()
    for column, name, color in (("revenue_share_pct", "Share of revenue", REVENUE_COLOR),
                                ("gross_profit_share_pct", "Share of gross profit", PROFIT_COLOR)):
        values = rows[column].to_list()
        add_hbar(fig, values, lines, [pct(v) for v in values], name, marker_color=color, customdata=money,
                 hovertemplate=("%{y}<br>" + name + " %{x:.1f}%<br>Revenue %{customdata[0]} · GP %{customdata[1]}"
                                " · margin %{customdata[2]}<extra>Click to filter</extra>"))
    values = [*rows["revenue_share_pct"].to_list(), *rows["gross_profit_share_pct"].to_list()]
    fig.update_layout(barmode="group", bargap=0.22, bargroupgap=0.05)
    fig.update_xaxes(ticksuffix="%", nticks=5)
    fig.update_yaxes(autorange="reversed", tickvals=lines,
                     ticktext=[f"{wrap_label(line, 16)}<br><span style='font-size:10px'>{margin(m)} margin</span>"
                               for line, m in zip(lines, margins, strict=True)])
    fig = base_layout(fig, "Share of revenue vs share of gross profit", subtitle,
                      height=140 + 58 * max(1, len(lines)))
    # A negative share's label sits right of zero (add_hbar), never on the product line names.
    hbar_room(fig, values, [pct(v) for v in values])
    return finish(fig)


# The alignment chart's plot area at its narrowest (a 390 px phone) and its height: labels are
# placed so they do not overlap there, and only spread out on wider screens.
ALIGNMENT_PLOT_PX = (250.0, 340.0)
_CORNERS = ((HIDDEN_GEM, "left", "top"), (STAR, "right", "top"), (QUESTION_MARK, "left", "bottom"),
            (VOLUME_TRAP, "right", "bottom"))


def alignment_chart(frame: pl.DataFrame, guides: dict, colors: dict[str, str], subtitle: str,
                    labels: int = 10) -> go.Figure:
    """Share of revenue or transactions (x) against margin (y), bubble = GP, with quadrant guides
    at the average share and the business's margin: are sales efforts where the margin is? The
    biggest earners are named where a label fits without covering another label or a caption."""
    level, basis = guides["level"], guides["basis"]
    rows = (frame.with_columns(pl.col("margin_pct").map_elements(plot_margin, return_dtype=pl.Float64))
            .filter(pl.col("share_pct").is_not_null() & pl.col("margin_pct").is_not_null()))
    gp = rows["gross_profit"].to_list()
    biggest = max([abs(v or 0.0) for v in gp] or [1.0]) or 1.0
    sizeref = 2.0 * biggest / 48**2
    xs, ys = rows["share_pct"].to_list(), rows["margin_pct"].to_list()
    x_range = padded_range([*xs, guides.get("share") or 0.0, 0.0], 0.06, 0.12)
    y_range = padded_range([*ys, guides.get("margin") or 0.0, 0.0], 0.18, 0.3)
    captions = [("<br>".join(QUADRANT_TEXT[key].split(": ")), side, edge) for key, side, edge in _CORNERS]
    order = sorted(range(rows.height), key=lambda i: -(gp[i] or 0.0))
    names = rows[level].to_list()
    text, positions = place_labels(
        [xs[i] for i in order], [ys[i] for i in order],
        [wrap_label(names[i], 14) if rank < labels else "" for rank, i in enumerate(order)],
        [bubble_radius(abs(gp[i] or 0.0), sizeref, 6) for i in order], x_range, y_range, ALIGNMENT_PLOT_PX,
        obstacles=corner_boxes(captions, ALIGNMENT_PLOT_PX))
    label_of = {i: (t, p) for i, t, p in zip(order, text, positions, strict=True)}
    rows = rows.with_columns(pl.Series("_label", [label_of[i][0] for i in range(rows.height)], dtype=pl.String),
                             pl.Series("_position", [label_of[i][1] for i in range(rows.height)], dtype=pl.String))
    fig = new_figure()
    for line in sorted(rows["product_line"].unique().to_list()):
        part = rows.filter(pl.col("product_line") == line)
        names = part[level].to_list()
        fig.add_scatter(
            x=part["share_pct"].to_list(), y=part["margin_pct"].to_list(), mode="markers+text", name=line,
            text=part["_label"].to_list(), textposition=part["_position"].to_list(),
            textfont={"size": 10, "color": LABEL_COLOR}, cliponaxis=False, showlegend=level != "product_line",
            marker={"size": [max(abs(v or 0.0), 0.0) for v in part["gross_profit"].to_list()], "sizemode": "area",
                    "sizeref": sizeref, "sizemin": 6, "color": colors.get(line, PALETTE[0]),
                    "opacity": 0.85,
                    "line": {"width": [3 if (v or 0) < 0 else 1 for v in part["gross_profit"].to_list()],
                             "color": [NEGATIVE_COLOR if (v or 0) < 0 else "rgba(60,60,60,.6)"
                                       for v in part["gross_profit"].to_list()]}},
            customdata=[[line, n, ksh(g), ksh(r), q, margin(m)] for n, g, r, q, m in zip(
                names, part["gross_profit"].to_list(), part["revenue"].to_list(), part["quadrant"].to_list(),
                part["margin_pct"].to_list(), strict=True)],
            hovertemplate=("<b>%{customdata[1]}</b> (%{customdata[0]})<br>Share of " + basis + " %{x:.1f}% · "
                           "margin %{customdata[5]}<br>GP %{customdata[2]} · revenue %{customdata[3]}"
                           "<br>%{customdata[4]}<extra>Click to filter to the product line</extra>"),
        )
    if guides.get("share") is not None:
        fig.add_vline(x=guides["share"], line=GUIDE_LINE)
    if guides.get("margin") is not None:
        fig.add_hline(y=guides["margin"], line=GUIDE_LINE)
    for caption, side, edge in captions:
        fig.add_annotation(text=caption, x=0.01 if side == "left" else 0.99, y=0.99 if edge == "top" else 0.01,
                           xref="paper", yref="paper", xanchor=side, yanchor=edge, align=side, showarrow=False,
                           font={"size": 10, "color": MUTED})
    fig.update_xaxes(title={"text": f"Share of {basis}"}, ticksuffix="%", range=x_range)
    fig.update_yaxes(title={"text": "GP margin"}, ticksuffix="%", range=y_range)
    guide_text = f"lines: average share {pct(guides.get('share'))}, overall margin {margin(guides.get('margin'))}"
    # Short title and broken subtitle lines: Plotly does not wrap, and phones are 390 px wide.
    return finish(base_layout(fig, "Is selling effort where the margin is?",
                              f"{subtitle} · bubble = gross profit<br>{guide_text}", height=500).update_layout(
        margin={"t": 78}))


def profit_treemap(nodes: pl.DataFrame, team_margin: float | None, subtitle: str) -> go.Figure:
    """Product line → item group → item, area = net gross profit (``data.products.hierarchy``),
    colour = margin around the business's margin (green earns above it, red dilutes it). Lines
    and groups that lose money have no area: the subtitle counts them instead of hiding them."""
    root = "All products"
    drawn = nodes.filter(pl.col("size") > 0)
    ids = [root, *drawn["id"].to_list()]
    parents = ["", *[p or root for p in drawn["parent"].to_list()]]
    labels = [root, *drawn["label"].to_list()]
    sizes = [float(drawn.filter(pl.col("level") == "product_line")["size"].sum()), *drawn["size"].to_list()]
    margins = [plot_margin(team_margin), *[plot_margin(m) for m in drawn["margin_pct"].to_list()]]
    total_gp = sum(v or 0 for v in nodes.filter(pl.col("level") == "product_line")["gross_profit"].to_list())
    custom = [[ksh(total_gp), margin(team_margin)]]
    custom += [[ksh(g), margin(m)] for g, m in zip(drawn["gross_profit"].to_list(), drawn["margin_pct"].to_list(),
                                                   strict=True)]
    centre = plot_margin(team_margin) or 0.0
    spread = max([abs((m if m is not None else centre) - centre) for m in margins] or [1.0]) or 1.0
    fig = new_figure(dict(
        type="treemap", ids=ids, parents=parents, labels=labels, values=sizes, branchvalues="total", customdata=custom,
        marker={"colors": [m if m is not None else centre for m in margins], "colorscale": DIVERGING_SCALE,
                "cmid": centre, "cmin": centre - spread, "cmax": centre + spread,
                "showscale": True,
                "colorbar": {"title": {"text": "GP margin", "side": "top"}, "ticksuffix": "%", "orientation": "h",
                             "y": -0.02, "yanchor": "top", "thickness": 10, "len": 0.5, "x": 0, "xanchor": "left"}},
        texttemplate="<b>%{label}</b><br>%{customdata[0]} · %{customdata[1]}",
        hovertemplate="<b>%{label}</b><br>Gross profit %{customdata[0]}<br>Margin %{customdata[1]}"
                      "<br>%{percentRoot:.1%} of the drawn area<extra></extra>",
        pathbar={"visible": True}, maxdepth=3, tiling={"pad": 2},  # root, line, group; items on zoom
    ))
    losing = [(level, nodes.filter((pl.col("level") == level) & (pl.col("gross_profit") <= 0)).height)
              for level in ("product_line", "item_group")]
    words = {"product_line": "line", "item_group": "group"}
    lost = ", ".join(f"{n} loss-making {words[level]}{'s' if n > 1 else ''}" for level, n in losing if n)
    note = f"<br>not drawn: {lost} (see the bottom items)" if lost else ""  # own line: Plotly does not wrap
    fig = base_layout(fig, "Where the gross profit comes from",
                      f"{subtitle} · line → group · click a tile for its items<br>"
                      f"area = net gross profit, colour = margin vs {margin(team_margin)} overall{note}",
                      height=560)
    fig.update_layout(margin={"t": 100 if lost else 84, "b": 60})
    return finish(fig)


def items_grid(grid_id: Any, frame: pl.DataFrame, height: int = 400) -> Any:
    """Items with their product line and group; loss-making GP shows in red."""
    loss = {"styleConditions": [{"condition": "params.value < 0",
                                 "style": {"color": "var(--bs-danger)", "fontWeight": "600"}}]}
    columns = [
        text_column("item_name", "Item", pinned=True, minWidth=150, wrapText=True, autoHeight=True,
                    cellStyle={"lineHeight": "1.3", "paddingTop": "6px", "paddingBottom": "6px"}),
        money_column("gross_profit", "Gross profit", cellStyle=loss),
        margin_column("margin_pct", "GP margin"),
        money_column("revenue", "Revenue"),
        pct_column("gross_profit_share_pct", "Share of GP"),
        count_column("transactions", "Transactions"),
        text_column("product_line", "Product line", minWidth=130),
        text_column("item_group", "Item group", minWidth=110),
    ]
    return data_grid(grid_id, frame, columns, height=height)
