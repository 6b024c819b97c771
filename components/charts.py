"""Plotly figure builders and axis helpers shared by the pages. Pure: a frame in, a figure out."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import plotly.graph_objects as go
import polars as pl

from components.figure_spec import Figure, finish, new_figure
from components.format import ksh, ksh_exact, ksh_ticks, margin, nice_ticks, pct_tick, plot_margins
from components.labels import shorten
from components.theme import NEGATIVE_COLOR, PROFIT_COLOR, REVENUE_COLOR, base_layout

GRAIN_LABEL = {"day": "Daily", "week": "Weekly", "month": "Monthly", "quarter": "Quarterly", "year": "Yearly"}
_DAY_MS = 86_400_000
# Length of one period of each grain (months and years on average: only used for padding and widths).
GRAIN_MS: dict[str, float] = {"day": _DAY_MS, "week": 7 * _DAY_MS, "month": 30.44 * _DAY_MS,
                              "quarter": 91.31 * _DAY_MS, "year": 365.25 * _DAY_MS}
_TICK_FORMAT = {"day": "%d %b", "week": "%d %b", "month": "%b %Y", "quarter": "%b %Y", "year": "%Y"}
_HOVER_PERIOD = {"day": "%{x|%d %b %Y}", "week": "Week of %{x|%d %b %Y}", "month": "%{x|%b %Y}",
                 "quarter": "Quarter from %{x|%b %Y}", "year": "%{x|%Y}"}
MAX_TIME_TICKS = 8
# Outside labels: an average glyph is ~0.6 em in DejaVu Sans (the widest of the fonts we render with).
GLYPH_EM = 0.6


def money_ticks(fig: Figure, axis: str = "y", low: float = 0.0, high: float = 0.0, target: int = 5) -> None:
    """KSh tick labels from ``components.format.ksh`` (K/M/B like every label, never Plotly's "G")
    for an axis showing ``low``..``high``. Explicit ticks do not follow a zoom; the figures here are
    read whole (the mode bar keeps zoom for a closer look at the bars, with hover values)."""
    values, text = ksh_ticks(min(low, 0.0), max(high, 0.0), target)
    fig.update_layout({f"{axis}axis": {"tickmode": "array", "tickvals": values, "ticktext": text}})


def span(values: Sequence[float | None]) -> tuple[float, float]:
    """Lowest and highest of ``values`` (missing ones ignored), always including zero."""
    present = [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return min([0.0, *present]), max([0.0, *present])


def hover_period(grain: str) -> str:
    """The hover text of a period: "Week of 03 Mar 2025", "Mar 2025"..."""
    return _HOVER_PERIOD.get(grain, "%{x|%d %b %Y}")


def period_axis(fig: Figure, periods: Sequence[dt.date], grain: str, axis: str = "x") -> None:
    """A date axis that reads at the grain of the data: ticks only on period starts, labelled as
    dates (never "23:59:59.9996"), padded half a period each side so one day is one labelled day."""
    if not periods:
        return
    first, last = min(periods), max(periods)
    length = GRAIN_MS.get(grain, _DAY_MS)
    half = dt.timedelta(milliseconds=length / 2)
    start, end = dt.datetime.combine(first, dt.time()), dt.datetime.combine(last, dt.time())
    count = round((end - start).total_seconds() * 1000 / length) + 1
    step = max(1, math.ceil(count / MAX_TIME_TICKS))
    dtick: float | str
    if grain in ("day", "week"):
        dtick = step * length
    else:
        dtick = f"M{step * {'month': 1, 'quarter': 3, 'year': 12}.get(grain, 1)}"
    fmt = _TICK_FORMAT.get(grain, "%d %b")
    if first == last and grain in ("day", "week"):
        fmt = "%d %b %Y"
    fig.update_layout({f"{axis}axis": {"type": "date", "range": [start - half, end + half], "tick0": start,
                                       "dtick": dtick, "tickformat": fmt, "ticklabelmode": "instant"}})


SINGLE_PERIOD_SHARE = 0.3


def single_period_bars(fig: Figure, grain: str) -> None:
    """Grouped bars over a single period: Plotly cannot infer a width from one x value (the bars
    come out 1 ms wide, or fill half the plot), so the group takes ``SINGLE_PERIOD_SHARE`` of the
    period, centred on its label."""
    bars = [t for t in fig.data if t["type"] == "bar"]
    if not bars:
        return
    group = GRAIN_MS.get(grain, _DAY_MS) * SINGLE_PERIOD_SHARE
    for i, trace in enumerate(bars):
        trace.update(width=group / len(bars), offset=-group / 2 + i * group / len(bars))


def text_px(text: str, size: int = 11) -> float:
    """Estimated width of a one-line label in pixels (a little generous on purpose)."""
    longest = max((len(part) for part in str(text).split("<br>")), default=0)
    return longest * size * GLYPH_EM + 8


def add_hbar(fig: Figure, values: Sequence[float | None], categories: Sequence[str], labels: Sequence[str],
             name: str, size: int = 11, **bar: object) -> None:
    """A horizontal bar trace with outside value labels. A negative bar's label would land on the
    category names left of it, so it is written right of the zero line instead, in the bar's own
    (empty) slot: a transparent carrier bar of the same ``offsetgroup`` holds it."""
    negative = [v is not None and v < 0 for v in values]
    fig.add_bar(x=list(values), y=list(categories), orientation="h", name=name, offsetgroup=name,
                text=[("" if neg else t) for t, neg in zip(labels, negative, strict=True)], textposition="outside",
                cliponaxis=False, textfont={"size": size}, **bar)
    if any(negative):
        fig.add_bar(x=[0.0 if neg else None for neg in negative], y=list(categories), orientation="h",
                    name=f"{name} (labels)", offsetgroup=name, showlegend=False, hoverinfo="skip",
                    marker={"color": "rgba(0,0,0,0)"}, text=[(t if neg else "") for t, neg in zip(
                        labels, negative, strict=True)], textposition="outside", cliponaxis=False,
                    textfont={"size": size}, meta="labels")


def hbar_room(fig: Figure, values: Sequence[float | None], labels: Sequence[str], size: int = 11,
              axis: str = "x", also: Sequence[float | None] = ()) -> None:
    """Room for outside labels of horizontal bars, so none is clipped at any screen width: the
    axis ends at the longest bar and the labels run into a right margin sized in pixels for the
    widest of them (negative bars carry theirs right of zero, see ``add_hbar``). ``also``: other
    values the axis must show. Call after ``base_layout`` (it sets the margins)."""
    low, high = span([*values, *also])
    right = max([text_px(t, size) for t in labels if t] or [0.0])
    if low < 0:
        low -= 0.02 * (high - low)
    fig.update_layout({f"{axis}axis": {"range": [low, high or 1.0]}})
    fig.update_layout(margin={"r": max(8, int(right) + 4)})


def padded_range(values: Sequence[float | None], below: float, above: float) -> list[float]:
    """An axis range around ``values`` with room for bubbles, labels and captions."""
    present = [float(v) for v in values if v is not None]
    low, high = min(present or [0.0]), max(present or [1.0])
    width = (high - low) or abs(high) or 1.0
    return [low - width * below, high + width * above]


def bubble_radius(size: float, sizeref: float, sizemin: float) -> float:
    """Pixel radius of an area-mode marker (generous: labels must clear the bubble)."""
    return max(sizemin, math.sqrt(max(size, 0.0) * 2 / sizeref) if sizeref else sizemin) / 2


def sparkline(values: list[float | None], color: str = PROFIT_COLOR) -> go.Figure:
    """A tiny line with no axes, for KPI cards."""
    fig = new_figure(dict(type="scatter", y=values, mode="lines", line={"color": color, "width": 2}, hoverinfo="skip",
                          fill="tozeroy", fillcolor="rgba(22,163,74,0.08)"))
    fig.update_layout(margin={"l": 0, "r": 0, "t": 0, "b": 0}, height=36, showlegend=False,
                      paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return finish(fig)


def revenue_profit_trend(frame: pl.DataFrame, grain: str, subtitle: str) -> go.Figure:
    """Revenue and gross profit bars per period, with the GP margin on a second axis."""
    periods = frame["period"].to_list()
    revenue, profit = frame["revenue"].to_list(), frame["gross_profit"].to_list()
    margins = frame["margin_pct"].to_list()
    when = hover_period(grain)
    fig = new_figure()
    fig.add_bar(x=periods, y=revenue, name="Revenue", marker_color=REVENUE_COLOR,
                customdata=[[ksh_exact(v)] for v in revenue],
                hovertemplate=when + "<br>Revenue %{customdata[0]}<extra></extra>")
    fig.add_bar(x=periods, y=profit, name="Gross profit", marker_color=PROFIT_COLOR,
                customdata=[[ksh_exact(v)] for v in profit],
                hovertemplate=when + "<br>Gross profit %{customdata[0]}<extra></extra>")
    fig.add_scatter(x=periods, y=plot_margins(margins), name="GP margin %", yaxis="y2", mode="lines+markers",
                    line={"color": "#f59e0b", "width": 2}, marker={"size": 5},
                    customdata=[[margin(m)] for m in margins],
                    hovertemplate=when + "<br>Margin %{customdata[0]}<extra></extra>")
    low, high = span(plot_margins(margins))
    ticks = nice_ticks(low, high, 4)
    fig.update_layout(barmode="group", yaxis2={"overlaying": "y", "side": "right", "showgrid": False,
                                               "rangemode": "tozero", "tickmode": "array", "tickvals": ticks,
                                               "ticktext": [pct_tick(v) for v in ticks]})
    money_ticks(fig, "y", *span([*revenue, *profit]))
    period_axis(fig, periods, grain)
    if len(set(periods)) == 1:
        single_period_bars(fig, grain)
    return finish(base_layout(fig, f"{GRAIN_LABEL.get(grain, '')} revenue and gross profit", subtitle,
                              height=340))


def ranked_bars(frame: pl.DataFrame, label_col: str, title: str, subtitle: str, value_col: str = "gross_profit",
                top: int = 5, colors: dict[str, str] | None = None) -> go.Figure:
    """Horizontal bars of the top rows by ``value_col``, biggest on top. The value labels the bar
    and the margin sits under the name, so labels stay short enough for a phone."""
    rows = frame.sort(value_col, descending=True).head(top)
    labels = rows[label_col].to_list()
    values = rows[value_col].to_list()
    margins = rows["margin_pct"].to_list() if "margin_pct" in rows.columns else [None] * len(labels)
    bar_colors = [
        NEGATIVE_COLOR if (v or 0) < 0 else (colors or {}).get(label, PROFIT_COLOR)
        for label, v in zip(labels, values, strict=True)
    ]
    text = [ksh(v) for v in values]
    fig = new_figure()
    add_hbar(fig, values, labels, text, title, marker_color=bar_colors,
             customdata=[[label, ksh_exact(v), margin(m)] for label, v, m in zip(labels, values, margins, strict=True)],
             hovertemplate="%{customdata[0]}<br>%{customdata[1]} · margin %{customdata[2]}<extra></extra>")
    fig.update_layout(showlegend=False)
    fig.update_yaxes(autorange="reversed", tickvals=labels,
                     ticktext=[f"{shorten(label, 22)}<br><span style='font-size:10px'>{margin(m)} margin</span>"
                               for label, m in zip(labels, margins, strict=True)])
    money_ticks(fig, "x", *span(values), target=2)
    fig = base_layout(fig, title, subtitle, height=80 + 42 * max(1, len(labels)))
    hbar_room(fig, values, text)
    return finish(fig)


# -- point labels that do not overlap -------------------------------------------------------------
LABEL_POSITIONS = ("top center", "bottom center", "middle right", "middle left")


def _box(x: float, y: float, radius: float, width: float, height: float, position: str
         ) -> tuple[float, float, float, float]:
    """The pixel box (left, bottom, right, top; y up) of a label at ``position`` around a marker."""
    if position == "top center":
        return x - width / 2, y + radius, x + width / 2, y + radius + height
    if position == "bottom center":
        return x - width / 2, y - radius - height, x + width / 2, y - radius
    if position == "middle right":
        return x + radius, y - height / 2, x + radius + width, y + height / 2
    return x - radius - width, y - height / 2, x - radius, y + height / 2


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float], pad: float = 2.0) -> bool:
    return a[0] < b[2] + pad and b[0] < a[2] + pad and a[1] < b[3] + pad and b[1] < a[3] + pad


def place_labels(xs: Sequence[float], ys: Sequence[float], texts: Sequence[str], radii: Sequence[float],
                 x_range: Sequence[float], y_range: Sequence[float], plot_px: tuple[float, float],
                 size: int = 10, obstacles: Sequence[tuple[float, float, float, float]] = ()
                 ) -> tuple[list[str], list[str]]:
    """Text and position per point so that no label overlaps another label or ``obstacles`` (pixel
    boxes such as corner captions), and if possible no other point's marker: points are taken in
    the given order (most important first), each tries above, below, right and left of its marker
    and keeps the first free spot, else it goes unlabelled (its name is in the hover).

    Positions are estimated on ``plot_px`` (width, height): pass the narrowest plot the chart is
    drawn at; on a wider screen the points only move further apart."""
    width_px, height_px = plot_px
    (x0, x1), (y0, y1) = x_range, y_range
    centres = [((x - x0) / ((x1 - x0) or 1.0) * width_px, (y - y0) / ((y1 - y0) or 1.0) * height_px)
               for x, y in zip(xs, ys, strict=True)]
    # Other markers are obstacles too (a label over a bubble reads as that bubble's name).
    markers = [(cx - r, cy - r, cx + r, cy + r) for (cx, cy), r in zip(centres, radii, strict=True)]
    placed: list[tuple[float, float, float, float]] = list(obstacles)
    out_text, out_pos = [""] * len(xs), ["top center"] * len(xs)
    for i, text in enumerate(texts):
        if not text:
            continue
        px, py = centres[i]
        w = text_px(text, size)
        h = (size + 3) * (text.count("<br>") + 1)
        others = markers[:i] + markers[i + 1:]
        # First choice: clear of labels and markers; else clear of labels (a crowded cluster).
        for avoid in ([*placed, *others], placed):
            spot = next((pos for pos in LABEL_POSITIONS if _free(_box(px, py, radii[i] + 1, w, h, pos), avoid,
                                                                 width_px, height_px)), None)
            if spot is not None:
                placed.append(_box(px, py, radii[i] + 1, w, h, spot))
                out_text[i], out_pos[i] = text, spot
                break
    return out_text, out_pos


def _free(box: tuple[float, float, float, float], avoid: Sequence[tuple[float, float, float, float]],
          width_px: float, height_px: float) -> bool:
    inside = box[0] >= -4 and box[2] <= width_px + 4 and box[1] >= 0 and box[3] <= height_px
    return inside and not any(_overlaps(box, other) for other in avoid)


def corner_boxes(texts: Sequence[tuple[str, str, str]], plot_px: tuple[float, float], size: int = 10
                 ) -> list[tuple[float, float, float, float]]:
    """Pixel boxes of corner captions given as (text, "left"|"right", "top"|"bottom")."""
    width_px, height_px = plot_px
    boxes = []
    for text, side, edge in texts:
        lines = text.split("<br>")
        w, h = text_px(max(lines, key=len), size), (size + 3) * len(lines)
        left = 0.0 if side == "left" else width_px - w
        bottom = height_px - h if edge == "top" else 0.0
        boxes.append((left, bottom, left + w, bottom + h))
    return boxes
