"""Number formatting for KSh, percentages and counts, used by every page and figure."""

from __future__ import annotations

import math


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def ksh(value: float | None, compact: bool = True) -> str:
    """``KSh 1.24M`` (compact) or ``KSh 12,450`` (exact to the shilling); negatives keep their sign."""
    if _missing(value):
        return "—"
    sign = "-" if value < 0 else ""
    amount = abs(float(value))
    if compact:
        for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
            # Compare after rounding, so 999,999 reads KSh 1.00M and not KSh 1,000.00K.
            if round(amount / limit, 2) >= 1:
                return f"{sign}KSh {amount / limit:,.2f}{suffix}"
    return f"{sign}KSh {amount:,.0f}"


def pct(value: float | None, signed: bool = False) -> str:
    """Percentages with one decimal: ``24.3%``; ``+1.2%`` when ``signed``."""
    if _missing(value):
        return "—"
    return f"{value:+.1f}%" if signed else f"{value:.1f}%"


def pp(value: float | None) -> str:
    """A change between two percentages, in percentage points."""
    if _missing(value):
        return "—"
    return f"{value:+.1f} pp"


def count(value: float | None) -> str:
    if _missing(value):
        return "—"
    return f"{value:,.0f}"


def metric_value(kind: str, value: float | None) -> str:
    """Format by metric kind (see ``data.metrics.Metric.kind``)."""
    if kind == "money":
        return ksh(value)
    if kind == "pct":
        return pct(value)
    if kind == "count":
        return count(value)
    return count(value) if value is None or float(value).is_integer() else f"{value:,.1f}"
