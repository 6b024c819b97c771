"""Figures for the Branches page. Pure: frames in, Plotly figures out.

Branch lines and bars use ``color_map`` colours so Mombasa is the same colour here as on every
other page; growth is green/red because that is what a manager scans for first.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from components.charts import GRAIN_LABEL, hbar_room, hover_period, money_ticks, period_axis, span
from components.figure_spec import Figure, finish, new_figure
from components.format import ksh, ksh_exact, ksh_ticks, margin, pct, plot_margins
from components.theme import DIVERGING_SCALE, HEATMAP_SCALE, NEGATIVE_COLOR, PROFIT_COLOR, REVENUE_COLOR, base_layout
from data.metrics import METRICS

GROWTH_UP = PROFIT_COLOR
GROWTH_DOWN = NEGATIVE_COLOR
GROWTH_NONE = "#64748b"

# Trend metrics offered by the selector (all come out of ``dimension_trend`` via ``derive``).
TREND_METRICS: tuple[str, ...] = (
    "revenue", "gross_profit", "margin_pct", "transactions", "avg_transaction_value", "return_rate_pct",
)

# Heatmap values: column -> (label, is money).
HEATMAP_VALUES: dict[str, tuple[str, bool]] = {
    "gross_profit": ("Gross profit", True),
    "margin_pct": ("GP margin", False),
    "row_gp_share_pct": ("Share of the branch's GP", False),
}


def growth_color(value: float | None) -> str:
    if value is None:
        return GROWTH_NONE
    return GROWTH_UP if value >= 0 else GROWTH_DOWN


def _growth_text(value: float | None) -> str:
    return "—" if value is None else pct(value, signed=True)


def branch_growth_bars(frame: pl.DataFrame, colors: dict[str, str], subtitle: str) -> go.Figure:
    """GP per branch (branch colour) with the previous period as a grey tick and the GP growth as
    a green/red label: size and direction in one glance. Biggest branch on top. Labels stay
    short (the growth only) so they fit beside the bars on a phone; KSh figures are on the axis,
    in the hover and in the table beside the chart."""
    rows = frame.sort("gross_profit", descending=True)
    branches = rows["branch"].to_list()
    gp = rows["gross_profit"].to_list()
    prev = rows["prev_gross_profit"].to_list()
    growth = rows["gp_growth_pct"].to_list()
    margins = rows["margin_pct"].to_list()
    fig = new_figure()
    fig.add_bar(
        x=gp, y=branches, orientation="h", name="This period",
        marker_color=[NEGATIVE_COLOR if (v or 0) < 0 else colors.get(b, PROFIT_COLOR)
                      for b, v in zip(branches, gp, strict=True)],
        customdata=[[ksh(v), ksh(p), _growth_text(g), margin(m)] for v, p, g, m in zip(gp, prev, growth, margins,
                                                                                      strict=True)],
        hovertemplate="%{y}<br>GP %{customdata[0]} (%{customdata[2]} vs previous)"
                      "<br>Previous period %{customdata[1]}<br>Margin %{customdata[3]}<extra></extra>",
    )
    fig.add_scatter(
        x=prev, y=branches, mode="markers", name="Previous period",
        marker={"symbol": "line-ns", "size": 20, "line": {"width": 3, "color": REVENUE_COLOR}},
        customdata=[[ksh_exact(p)] for p in prev],
        hovertemplate="%{y}<br>Previous period %{customdata[0]}<extra></extra>",
    )
    # Growth labels sit right of whichever is longer, the bar or the previous-period tick.
    anchors = [max(v or 0, p or 0) for v, p in zip(gp, prev, strict=True)]
    labels = [_growth_text(g) for g in growth]
    fig.add_scatter(
        x=anchors, y=branches, mode="text", text=labels, textposition="middle right", cliponaxis=False,
        textfont={"color": [growth_color(g) for g in growth], "size": 12}, showlegend=False, hoverinfo="skip",
    )
    fig.update_yaxes(autorange="reversed")
    money_ticks(fig, "x", *span([*gp, *prev]), target=2)
    fig = base_layout(fig, "Branch gross profit and growth", subtitle, height=130 + 36 * max(1, len(branches)))
    fig.update_layout(bargap=0.3)
    hbar_room(fig, anchors, labels, size=12, also=[*gp, *prev])
    return finish(fig)


def _axis_format(fig: Figure, metric: str, values: list[float | None]) -> None:
    kind = METRICS[metric].kind
    if kind == "money":
        money_ticks(fig, "y", *span(values))
    elif kind == "pct":
        fig.update_yaxes(ticksuffix="%", tickformat=".1f")
    else:
        fig.update_yaxes(tickformat=",d")


def _hover_values(metric: str, values: list[float | None]) -> list[list[str]]:
    """Hover text per point from the one formatter (exact KSh, "n/a" margins)."""
    kind = METRICS[metric].kind
    if kind == "money":
        return [[ksh_exact(v)] for v in values]
    if kind == "pct":
        return [[margin(v) if "margin" in metric else pct(v)] for v in values]
    return [["—" if v is None else f"{v:,.0f}"] for v in values]


def _hover(metric: str, grain: str) -> str:
    return ("%{fullData.name}<br>" + hover_period(grain) + "<br>" + METRICS[metric].label
            + " %{customdata[0]}<extra></extra>")


def complete_periods(frame: pl.DataFrame, metric: str) -> pl.DataFrame:
    """Every (period, branch) pair of the view: a period without sales is 0 for revenue, GP and
    transactions, but a gap (null) for ratios, which have no value without sales."""
    grid = frame.select("period").unique().join(frame.select("branch").unique(), how="cross")
    full = grid.join(frame.select("period", "branch", metric), on=["period", "branch"], how="left")
    if METRICS[metric].kind != "pct" and metric != "avg_transaction_value":
        full = full.with_columns(pl.col(metric).fill_null(0))
    return full.sort(["branch", "period"])


def branch_trend_lines(frame: pl.DataFrame, metric: str, grain: str, colors: dict[str, str],
                       subtitle: str) -> go.Figure:
    """One line per branch for ``metric`` over time, in the branch's colour."""
    fig = new_figure()
    full = complete_periods(frame, metric)
    plotted: list[float | None] = []
    for branch in sorted(full["branch"].unique().to_list()):
        rows = full.filter(pl.col("branch") == branch)
        values = rows[metric].to_list()
        shown = plot_margins(values) if "margin" in metric else values
        plotted += shown
        fig.add_scatter(
            x=rows["period"].to_list(), y=shown, name=branch, mode="lines+markers",
            line={"color": colors.get(branch), "width": 2}, marker={"size": 4 if full["period"].n_unique() > 1 else 8},
            customdata=_hover_values(metric, values), hovertemplate=_hover(metric, grain), connectgaps=False,
        )
    _axis_format(fig, metric, plotted)
    period_axis(fig, full["period"].to_list(), grain)
    title = f"{GRAIN_LABEL.get(grain, '')} {METRICS[metric].label.lower()} by branch".strip()
    fig = base_layout(fig, title[0].upper() + title[1:], subtitle, height=400)
    fig.update_layout(hovermode="closest")
    return finish(fig)


def _order(frame: pl.DataFrame, dimension: str) -> list[str]:
    """Values by total GP, biggest first, so the heatmap reads from the most important corner."""
    totals = frame.group_by(dimension).agg(pl.col("gross_profit").sum()).sort(["gross_profit", dimension],
                                                                               descending=[True, False])
    return totals[dimension].to_list()


def _cell_text(value: float | None, column: str) -> str:
    """A heatmap cell: the title carries "(KSh)", so money is ``ksh`` without the currency."""
    if value is None:
        return ""
    if HEATMAP_VALUES[column][1]:
        return ksh(value).replace("KSh ", "")
    return margin(value) if column == "margin_pct" else pct(value)


def _colorbar_ticks(z: list[list[float | None]]) -> dict:
    """Colour-bar ticks labelled like the cells (``853.20K`` next to ``800K``, never ``800k``)."""
    low, high = span([v for row in z for v in row])
    values, text = ksh_ticks(low, high, target=4)
    return {"tickmode": "array", "tickvals": values, "ticktext": [t.replace("KSh ", "") for t in text]}


def branch_line_heatmap(frame: pl.DataFrame, value: str, subtitle: str, overall_margin: float | None = None
                        ) -> go.Figure:
    """Branch (rows) x product line (columns) coloured by ``value``. Margins use a red-to-green
    scale centred on the view's overall margin, so red means "below our average"."""
    label, money = HEATMAP_VALUES[value]
    branches, lines = _order(frame, "branch"), _order(frame, "product_line")
    cells = {(r["branch"], r["product_line"]): r for r in frame.iter_rows(named=True)}
    raw = [[(cells.get((b, p)) or {}).get(value) for p in lines] for b in branches]
    text = [[_cell_text(v, value) for v in row] for row in raw]
    z = [plot_margins(row) for row in raw] if value == "margin_pct" else raw
    gp = [[(cells.get((b, p)) or {}).get("gross_profit") for p in lines] for b in branches]
    margins = [[(cells.get((b, p)) or {}).get("margin_pct") for p in lines] for b in branches]
    custom = [[[ksh_exact(g), margin(m)] for g, m in zip(g_row, m_row, strict=True)]
              for g_row, m_row in zip(gp, margins, strict=True)]
    heat: dict = {"colorscale": HEATMAP_SCALE, "reversescale": False}
    if value == "margin_pct":
        heat = {"colorscale": DIVERGING_SCALE, "zmid": overall_margin}
    fig = new_figure(dict(
        type="heatmap", z=z, x=lines, y=branches, text=text, texttemplate="%{text}", textfont={"size": 11},
        customdata=custom, xgap=2, ygap=2, hoverongaps=False,
        hovertemplate="%{y} · %{x}<br>GP %{customdata[0]}<br>Margin %{customdata[1]}<extra></extra>",
        colorbar={"thickness": 10, "len": 0.9,
                  **(_colorbar_ticks(z) if money else {"ticksuffix": "%", "tickformat": ".0f"})},
        **heat,
    ))
    fig.update_yaxes(autorange="reversed", showgrid=False)
    fig.update_xaxes(showgrid=False, tickangle=-30)
    unit = " (KSh)" if money else ""
    return finish(base_layout(fig, f"{label}{unit}: branch x product line", subtitle,
                              height=140 + 36 * max(1, len(branches))))
