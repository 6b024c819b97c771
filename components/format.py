"""The one formatter for KSh, percentages and counts: card values, chart labels, axis ticks,
colour bars, heatmap cells, insight sentences and (as JavaScript twins) grid cells.

Rules (docs/presentation.md):
- compact KSh uses K, M and B (never Plotly's SI "G"), two decimals on values, trimmed on ticks;
- a sign is shown only when the displayed amount is not zero (no "-KSh 0", no "-0.0%");
- a GP margin beyond ±``MARGIN_LIMIT`` percent reads "n/a": such a margin only happens when net
  revenue is tiny next to the profit (returns almost cancel the sales) and means nothing to a reader;
  charts leave it out (a gap) instead of stretching an axis to 10^10 %.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

MARGIN_LIMIT = 1000.0
NOT_APPLICABLE = "n/a"
MISSING = "—"
_STEPS = ((1e9, "B"), (1e6, "M"), (1e3, "K"))


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _compact(amount: float) -> tuple[float, str]:
    """``amount`` (not negative) scaled to K/M/B; the unit is chosen after rounding, so 999,999
    reads 1.00M and not 1,000.00K."""
    for limit, suffix in _STEPS:
        if round(amount / limit, 2) >= 1:
            return amount / limit, suffix
    return amount, ""


def ksh(value: float | None, compact: bool = True, trim: bool = False) -> str:
    """``KSh 1.24M`` (compact), ``KSh 12,450`` (exact to the shilling); ``trim`` drops trailing
    zeros (axis ticks: ``KSh 1.5M``, ``KSh 500K``). Negatives keep their sign outside the currency."""
    if _missing(value):
        return MISSING
    amount = abs(float(value))  # type: ignore[arg-type]
    scaled, suffix = _compact(amount) if compact else (amount, "")
    text = f"{scaled:,.{2 if suffix else 0}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    negative = float(value) < 0 and any(ch in "123456789" for ch in text)  # type: ignore[arg-type]
    return f"{'-' if negative else ''}KSh {text}{suffix}"


def ksh_exact(value: float | None) -> str:
    """Exact to the shilling: tables and tooltips."""
    return ksh(value, compact=False)


def _one_decimal(value: float, signed: bool) -> str:
    rounded = round(float(value), 1)
    if rounded == 0:
        return "0.0"
    return f"{rounded:+.1f}" if signed else f"{rounded:.1f}"


def pct(value: float | None, signed: bool = False) -> str:
    """Percentages with one decimal: ``24.3%``; ``+1.2%`` when ``signed``; never ``-0.0%``."""
    if _missing(value):
        return MISSING
    return f"{_one_decimal(value, signed)}%"  # type: ignore[arg-type]


def margin(value: float | None) -> str:
    """A GP margin: like ``pct`` but "n/a" beyond ±``MARGIN_LIMIT`` percent (see the module doc)."""
    if not _missing(value) and abs(float(value)) > MARGIN_LIMIT:  # type: ignore[arg-type]
        return NOT_APPLICABLE
    return pct(value)


def plot_margin(value: float | None) -> float | None:
    """A margin fit to plot: None (a gap) when missing or beyond ±``MARGIN_LIMIT``."""
    if _missing(value) or abs(float(value)) > MARGIN_LIMIT:  # type: ignore[arg-type]
        return None
    return float(value)  # type: ignore[arg-type]


def plot_margins(values: Iterable[float | None]) -> list[float | None]:
    return [plot_margin(v) for v in values]


def pp(value: float | None) -> str:
    """A change between two percentages, in percentage points."""
    if _missing(value):
        return MISSING
    return f"{_one_decimal(value, True)} pp"  # type: ignore[arg-type]


def count(value: float | None) -> str:
    """A whole number with thousands separators; never ``-0``."""
    if _missing(value):
        return MISSING
    text = f"{abs(float(value)):,.0f}"  # type: ignore[arg-type]
    return f"-{text}" if float(value) < 0 and text != "0" else text  # type: ignore[arg-type]


def metric_value(kind: str, value: float | None, name: str = "") -> str:
    """Format by metric kind (see ``data.metrics.Metric.kind``); ``name`` spots margins."""
    if kind == "money":
        return ksh(value)
    if kind == "pct":
        return margin(value) if "margin" in name else pct(value)
    if kind == "count":
        return count(value)
    return count(value) if value is None or float(value).is_integer() else f"{value:,.1f}"


# -- axis ticks ---------------------------------------------------------------------------------
def nice_ticks(low: float, high: float, target: int = 5, whole: bool = False) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 x 10^n apart) covering ``low``..``high``; ``whole``
    keeps every tick a whole number."""
    low, high = float(min(low, high)), float(max(low, high))
    if high == low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(1, target)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10)
                if m * magnitude >= raw * 0.999 and not (whole and (m * magnitude) % 1))
    first = math.floor(low / step + 1e-9) * step
    ticks, tick = [], first
    while tick < high + step * 1e-6:
        ticks.append(0.0 if abs(tick) < step * 1e-9 else round(tick, 10))
        tick += step
    if ticks[-1] < high - step * 1e-6:
        ticks.append(round(tick, 10))
    return ticks


def ksh_ticks(low: float, high: float, target: int = 5) -> tuple[list[float], list[str]]:
    """Tick values and labels for a KSh axis or colour bar, labelled by ``ksh`` (K/M/B, trimmed).
    Steps are whole shillings at least (labels have no decimals below KSh 1,000)."""
    if max(low, high) - min(low, high) < target:
        high = max(low, high) + target
    values = nice_ticks(low, high, target, whole=True)
    return values, [ksh(v, trim=True) for v in values]


def pct_tick(value: float) -> str:
    """A percentage axis tick: ``pct`` with trailing zeros trimmed (``15%``, ``2.5%``)."""
    text = pct(value).removesuffix("%")
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"


# -- grid cells (dash-ag-grid evaluates these strings; ``d3`` is in scope) ------------------------
# Each mirrors a Python formatter above (same sign rule, ASCII minus, "n/a" margins);
# ``GRID_FORMATTERS`` pairs them, so a grid can size a column from the text its widest value shows.
def _grid_js(fmt: str, prefix: str = "", suffix: str = "", signed: bool = False, limit: float | None = None) -> str:
    digits = f"d3.format('{fmt}')(Math.abs(params.value))"
    sign = f"(/[1-9]/.test({digits}) ? (params.value < 0 ? '-' : '{'+' if signed else ''}') : '')"
    body = f"{sign} + '{prefix}' + {digits} + '{suffix}'"
    if limit is not None:
        body = f"Math.abs(params.value) > {limit:g} ? '{NOT_APPLICABLE}' : {body}"
    return f"params.value == null ? '{MISSING}' : {body}"


MONEY_JS = _grid_js(",.0f", prefix="KSh ")
PCT_JS = _grid_js(".1f", suffix="%")
MARGIN_JS = _grid_js(".1f", suffix="%", limit=MARGIN_LIMIT)
SIGNED_PCT_JS = _grid_js(".1f", suffix="%", signed=True)
PP_JS = _grid_js(".1f", suffix=" pp", signed=True)
COUNT_JS = _grid_js(",.0f")

GRID_FORMATTERS: dict[str, Callable[[float | None], str]] = {
    MONEY_JS: ksh_exact,
    PCT_JS: pct,
    MARGIN_JS: margin,
    SIGNED_PCT_JS: lambda v: pct(v, signed=True),
    PP_JS: pp,
    COUNT_JS: count,
}
