"""Colours and the Plotly look shared by every chart, so a branch or product line has the same
colour on every page (assigned from the sorted list of all values, not from what a view shows)."""

from __future__ import annotations

import plotly.graph_objects as go

PALETTE: tuple[str, ...] = (
    "#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d",
    "#ea580c", "#4f46e5", "#0d9488", "#a16207", "#be123c", "#475569",
)
REVENUE_COLOR = "#94a3b8"
PROFIT_COLOR = "#16a34a"
NEGATIVE_COLOR = "#dc2626"
HEATMAP_SCALE = "Blues"
DIVERGING_SCALE = "RdYlGn"


def color_map(all_values: list[str]) -> dict[str, str]:
    """Value -> colour, stable for a given set of values (pass every value the data holds)."""
    return {value: PALETTE[i % len(PALETTE)] for i, value in enumerate(sorted(all_values))}


def base_layout(fig: go.Figure, title: str | None = None, subtitle: str | None = None,
                height: int | None = None) -> go.Figure:
    """Apply the shared look: transparent background (works in light and dark mode; the CSS in
    assets/ sets text colours from the Bootstrap theme), compact margins, KSh-friendly hover."""
    text = None
    if title:
        text = f"{title}<br><sup>{subtitle}</sup>" if subtitle else title
    fig.update_layout(
        title={"text": text, "x": 0.0, "xanchor": "left", "font": {"size": 15}} if text else None,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12},
        margin={"l": 8, "r": 8, "t": 56 if text else 16, "b": 8},
        hoverlabel={"font": {"size": 12}},
        legend={"orientation": "h", "y": -0.15, "x": 0},
        colorway=list(PALETTE),
        separators=".,",
    )
    fig.update_xaxes(gridcolor="rgba(128,128,128,0.18)", zerolinecolor="rgba(128,128,128,0.35)", automargin=True)
    fig.update_yaxes(gridcolor="rgba(128,128,128,0.18)", zerolinecolor="rgba(128,128,128,0.35)", automargin=True)
    if height:
        fig.update_layout(height=height)
    return fig


def graph_config(filename: str) -> dict:
    """dcc.Graph config: PNG download from the mode bar with a meaningful file name."""
    return {
        "displaylogo": False,
        "responsive": True,
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
        "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
    }
