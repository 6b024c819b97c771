"""Business metrics, declared once.

A ``Metric`` is either *additive* (an SQL aggregate over stored columns, run by the engine) or
*derived* (a Polars expression over other metrics, computed after aggregation, so a margin is
always a ratio of sums and never an average of ratios). ``derive``, the KPI cards, REST row
schemas, CSV/Excel headers, GraphQL fields and ``docs/metrics.md`` all read this registry.

Money is summed exactly in the store's fixed-point unit (``MONEY_SCALE`` = ten-thousandths of a
shilling, integers) and turned into KSh once, at the end of ``derive``: sums are rounded half away
from zero to the cent; ratios are computed from the exact integers first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from data.schema import MONEY_SCALE, NON_ACCOUNT_CUSTOMERS

# Units a metric can have; the display formatter (components/format.py) keys on these.
MONEY, PCT, COUNT, NUMBER, DATE = "money", "pct", "count", "number", "date"

# A line is a return when its quantity or value is negative.
IS_RETURN = "(quantity < 0 OR revenue_e4 < 0)"

Compute = Callable[[Callable[[str], pl.Expr]], pl.Expr]


@dataclass(frozen=True)
class Metric:
    """One figure people see (or one the figures are built from)."""

    name: str
    label: str
    kind: str  # MONEY | PCT | COUNT | NUMBER | DATE
    description: str
    higher_is_better: bool = True
    # Additive: an aggregate over stored columns. ``{time}`` is the dataset's time column as a
    # date; ``{params}`` the placeholders for ``params`` (bound, never written into SQL).
    sql: str | None = None
    params: tuple[object, ...] = ()
    # Derived: inputs (other metric names) and an expression over them; ``col(name)`` gives an
    # input in raw units (money still in MONEY_SCALE integers), so ratios are exact.
    inputs: tuple[str, ...] = ()
    compute: Compute | None = None
    kpi: bool = False  # a headline card on the Overview and in /api/kpis/summary
    public: bool = True  # shown in REST rows, exports and docs (False: a building block only)
    per_period: bool = True  # meaningful per period (offered as a trend metric)
    fmt: str = ""  # d3-format for charts and tables; empty: chosen from the kind
    nullable: bool = False  # an aggregate that is null (unknown) rather than 0 when no value is known
    dtype: type[pl.DataType] | None = field(default=None, compare=False)

    @property
    def additive(self) -> bool:
        return self.sql is not None

    @property
    def unit_suffix(self) -> str:
        return {MONEY: " (KSh)", PCT: " (%)"}.get(self.kind, "")


def _ratio(numerator: pl.Expr, denominator: pl.Expr, scale: float = 1.0) -> pl.Expr:
    """A ratio that is null, never infinite, when the denominator is zero."""
    return pl.when(denominator != 0).then(numerator.cast(pl.Float64) / denominator.cast(pl.Float64) * scale)


def _margin(col: Callable[[str], pl.Expr]) -> pl.Expr:
    # No margin where returns outweigh sales: -20 GP on -100 revenue is not a 20% margin.
    return pl.when(col("revenue") > 0).then(_ratio(col("gross_profit"), col("revenue"), 100.0))


SALES_METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("units", "Units", NUMBER, "Quantity sold, net of returns.",
               sql="COALESCE(SUM(quantity), 0)", dtype=pl.Float64),
        Metric("lines", "Sales lines", COUNT, "Invoice lines.", sql="COUNT(*)", dtype=pl.Int64),
        # Distinct invoices per branch (numbering often restarts per branch), plus one per line that
        # carries no invoice id.
        Metric("transactions", "Transactions", COUNT,
               "Distinct invoices per branch (lines without an invoice id count once each).",
               sql="COUNT(DISTINCT branch || '|' || invoice_id) "
                   "+ COALESCE(SUM(CASE WHEN invoice_id IS NULL THEN 1 ELSE 0 END), 0)",
               kpi=True, dtype=pl.Int64),
        Metric("customers", "Active customers", COUNT,
               "Distinct account customers with at least one line (walk-in, cash and unassigned sales excluded).",
               sql="COUNT(DISTINCT CASE WHEN customer NOT IN ({params}) THEN customer END)",
               params=tuple(sorted(NON_ACCOUNT_CUSTOMERS)), kpi=True, dtype=pl.Int64),
        Metric("revenue", "Revenue", MONEY, "Net sales value after returns (KSh).",
               sql="COALESCE(SUM(revenue_e4), 0)", kpi=True),
        Metric("cost", "Cost", MONEY, "Cost of the goods sold, net of returns (KSh).", False,
               sql="COALESCE(SUM(cost_e4), 0)"),
        Metric("gross_profit", "Gross profit", MONEY, "Revenue minus cost (KSh).",
               sql="COALESCE(SUM(revenue_e4 - cost_e4), 0)", kpi=True),
        Metric("margin_pct", "GP margin", PCT, "Gross profit as a share of revenue (ratio of sums).",
               inputs=("gross_profit", "revenue"), compute=_margin, kpi=True),
        Metric("gross_sales", "Gross sales", MONEY, "Sales before returns (KSh).",
               sql=f"COALESCE(SUM(CASE WHEN {IS_RETURN} THEN 0 ELSE revenue_e4 END), 0)", public=False),
        Metric("returns_value", "Returns", MONEY, "Value of returned goods (KSh).", False,
               sql=f"COALESCE(SUM(CASE WHEN {IS_RETURN} THEN -revenue_e4 ELSE 0 END), 0)"),
        Metric("return_rate_pct", "Return rate", PCT, "Returns as a share of gross sales before returns.", False,
               inputs=("returns_value", "gross_sales"),
               compute=lambda col: _ratio(col("returns_value"), col("gross_sales"), 100.0), kpi=True),
        Metric("avg_transaction_value", "Avg transaction value", MONEY, "Revenue per transaction (KSh).",
               inputs=("revenue", "transactions"),
               compute=lambda col: _ratio(col("revenue"), col("transactions")), kpi=True),
        Metric("avg_gp_per_sale", "Avg GP per sale", MONEY, "Gross profit per transaction (KSh).",
               inputs=("gross_profit", "transactions"),
               compute=lambda col: _ratio(col("gross_profit"), col("transactions"))),
        Metric("first_sale", "First sale", DATE, "Date of the first sale in the view.",
               sql="MIN({time})", per_period=False),
        Metric("last_sale", "Last sale", DATE, "Date of the latest sale in the view.",
               sql="MAX({time})", per_period=False),
        Metric("active_days", "Active days", COUNT, "Days with at least one sale.",
               sql="COUNT(DISTINCT {time})", per_period=False, dtype=pl.Int64),
    )
}

# The metric registry of the sales dataset (the name every page and endpoint has always used).
METRICS = SALES_METRICS

# -- CRM opportunities (the pipeline dataset) ---------------------------------------------------
WILSON_Z = 1.96  # 95% confidence


def _wilson(col: Callable[[str], pl.Expr], upper: bool) -> pl.Expr:
    """Wilson score interval of the win rate (percent): honest for small samples and near 0 or
    100%, where the normal approximation is not."""
    n = (col("won") + col("lost")).cast(pl.Float64)
    p = col("won").cast(pl.Float64) / n
    z2 = WILSON_Z**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = WILSON_Z * ((p * (1 - p) / n + z2 / (4 * n * n)).sqrt()) / (1 + z2 / n)
    return pl.when(n > 0).then((centre + half if upper else centre - half) * 100.0)


def _count_where(condition: str) -> str:
    return f"COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0)"


PIPELINE_METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("opportunities", "Opportunities", COUNT, "Deals in the view: won, lost and open.",
               sql="COUNT(*)", kpi=True, dtype=pl.Int64),
        Metric("won", "Won", COUNT, "Deals won.", sql=_count_where("outcome = {params}"), params=("won",),
               dtype=pl.Int64),
        Metric("lost", "Lost", COUNT, "Deals lost.", False, sql=_count_where("outcome = {params}"), params=("lost",),
               dtype=pl.Int64),
        Metric("open_deals", "Open", COUNT, "Deals still open.", sql=_count_where("outcome = {params}"),
               params=("open",), dtype=pl.Int64),
        Metric("engaged", "Engaged", COUNT, "Deals that reached engagement (have an engage date).",
               sql=_count_where("engage_date IS NOT NULL"), dtype=pl.Int64),
        Metric("open_unengaged", "Open, not engaged", COUNT, "Open deals not engaged yet (still qualifying).",
               sql=_count_where("outcome = {params} AND engage_date IS NULL"), params=("open",), dtype=pl.Int64),
        Metric("lost_unengaged", "Lost before engaging", COUNT,
               "Deals lost without ever being engaged: a qualification leak.", False,
               sql=_count_where("outcome = {params} AND engage_date IS NULL"), params=("lost",), dtype=pl.Int64),
        Metric("won_value", "Won value", MONEY, "Value of the deals won (KSh).",
               sql="COALESCE(SUM(CASE WHEN outcome = {params} THEN value_e4 ELSE 0 END), 0)", params=("won",),
               kpi=True),
        Metric("lost_value", "Lost value", MONEY, "Value of the deals lost, where known (KSh).", False,
               sql="COALESCE(SUM(CASE WHEN outcome = {params} THEN value_e4 ELSE 0 END), 0)", params=("lost",)),
        # No COALESCE: when no open deal has a known value the figure is unknown (null), not KSh 0.
        Metric("open_value", "Open pipeline value", MONEY, "Value of the open deals, where known (KSh).",
               sql="SUM(CASE WHEN outcome = {params} THEN value_e4 END)", params=("open",), kpi=True, nullable=True),
        Metric("cycle_days_total", "Cycle days (sum)", NUMBER, "Sum of engage-to-close days of closed deals.",
               sql="COALESCE(SUM(cycle_days), 0)", public=False, dtype=pl.Int64),
        Metric("cycle_deals", "Deals with a cycle", COUNT, "Closed deals with both an engage and a close date.",
               sql="COUNT(cycle_days)", public=False, dtype=pl.Int64),
        Metric("closed", "Closed", COUNT, "Deals won or lost.", inputs=("won", "lost"),
               compute=lambda col: col("won") + col("lost"), dtype=pl.Int64),
        Metric("win_rate_pct", "Win rate", PCT, "Won / (won + lost): the share of closed deals that were won.",
               inputs=("won", "lost"), compute=lambda col: _ratio(col("won"), col("won") + col("lost"), 100.0),
               kpi=True),
        Metric("win_rate_low_pct", "Win rate, 95% low", PCT,
               "Lower end of the 95% Wilson interval of the win rate: what the sample supports for sure.",
               inputs=("won", "lost"), compute=lambda col: _wilson(col, upper=False)),
        Metric("win_rate_high_pct", "Win rate, 95% high", PCT, "Upper end of the 95% Wilson interval of the win rate.",
               inputs=("won", "lost"), compute=lambda col: _wilson(col, upper=True)),
        Metric("avg_won_value", "Avg won deal", MONEY, "Won value per won deal (KSh).",
               inputs=("won_value", "won"), compute=lambda col: _ratio(col("won_value"), col("won"))),
        Metric("avg_cycle_days", "Avg sales cycle", NUMBER, "Mean days from engage to close of closed deals.",
               inputs=("cycle_days_total", "cycle_deals"),
               compute=lambda col: _ratio(col("cycle_days_total"), col("cycle_deals"))),
        Metric("engaged_on", "Engaged on", DATE, "The earliest engage date in the group (a deal's own, per deal).",
               sql="MIN(engage_date)", per_period=False),
        Metric("first_activity", "First activity", DATE, "Earliest activity date in the view.",
               sql="MIN({time})", per_period=False),
        Metric("last_activity", "Last activity", DATE, "Latest activity date in the view.",
               sql="MAX({time})", per_period=False),
    )
}
PIPELINE_AGGREGATES: tuple[str, ...] = tuple(
    m.name for m in PIPELINE_METRICS.values() if m.additive and m.per_period
)

# What a "summary" row holds: every additive figure except the first/last-sale dates.
CORE_AGGREGATES: tuple[str, ...] = tuple(
    m.name for m in SALES_METRICS.values() if m.additive and m.per_period
)
KPI_METRICS: tuple[str, ...] = (
    "revenue", "gross_profit", "margin_pct", "transactions", "avg_transaction_value", "customers", "return_rate_pct",
)
assert set(KPI_METRICS) == {m.name for m in SALES_METRICS.values() if m.kpi}, "KPI order must list every kpi metric"


def public_metrics(registry: dict[str, Metric] = SALES_METRICS) -> tuple[Metric, ...]:
    return tuple(m for m in registry.values() if m.public)


# Polars reaches NumPy through a lazy proxy whose first use is not thread-safe: two threads
# resolving it at once (two requests converting money at the same time) can fail
# with "'module' object does not support item assignment" (``numpy._globals`` replaces the proxy's
# own ``_globals``). A cache test's worker process hit it. Resolve it once, here, at import.
pl.Series("numpy_proxy", np.zeros(0))


def _sum_to_ksh(units: pl.Series) -> pl.Series:
    """A fixed-point sum (Int64) -> KSh: rounded half away from zero to the cent in integer
    arithmetic, then a true IEEE division, so 4765599116 cents is the double nearest 47655991.16
    (Polars would divide by a constant as a multiplication by its reciprocal: 47655991.160000004)."""
    per_cent = MONEY_SCALE // 100
    nulls = units.null_count()
    values = (units.fill_null(0) if nulls else units).to_numpy()
    cents = (np.abs(values) + per_cent // 2) // per_cent * np.sign(values)
    ksh = cents.astype(np.float64) / 100.0
    if nulls:
        ksh[units.is_null().to_numpy()] = np.nan
        return pl.Series(units.name, ksh, dtype=pl.Float64).fill_nan(None)
    return pl.Series(units.name, ksh, dtype=pl.Float64)


def derive(frame: pl.DataFrame, registry: dict[str, Metric] = SALES_METRICS, keep_raw: bool = False,
           wanted: Iterable[str] | None = None) -> pl.DataFrame:
    """Turn a frame of additive aggregates (one row or one per group) into every figure they allow.

    Derived metrics whose inputs are present are added (ratios with a zero denominator are null);
    money turns into KSh; building-block metrics (``public=False``) are dropped. ``keep_raw`` keeps
    each additive money column in fixed point as ``<name>_raw`` so callers can re-aggregate
    exactly (e.g. customer tiers). ``wanted`` limits which derived metrics are added."""
    present = set(frame.columns)
    raw = {name: pl.col(name) for name in registry if name in present}
    wanted_set = set(wanted) if wanted is not None else None
    derived: list[tuple[Metric, pl.Expr]] = []
    for metric in registry.values():
        if metric.additive or metric.compute is None or metric.name in present:
            continue
        if wanted_set is not None and metric.name not in wanted_set:
            continue
        if all(name in raw for name in metric.inputs):
            expr = metric.compute(lambda name: raw[name])
            derived.append((metric, expr))
            raw[metric.name] = expr
    sums = [m.name for m in registry.values() if m.additive and m.kind == MONEY and m.name in present]
    added = [expr.alias(metric.name) for metric, expr in derived]  # from the frame's own columns
    added += [pl.col(name).cast(pl.Int64) for name in sums]
    if keep_raw:
        added += [pl.col(name).cast(pl.Int64).alias(f"{name}_raw") for name in sums]
    out = frame.with_columns(added) if added else frame
    # One pass: money converted in NumPy (no Polars callback per column), other metrics cast,
    # other columns (period, dimensions) first, then metrics in declaration order, building
    # blocks dropped. (Two Polars calls in all: about 1 ms a call on a small breakdown, not 2.5.)
    columns: list[pl.Series | pl.Expr] = [pl.col(name) for name in out.columns
                                          if name not in registry and not name.endswith("_raw")]
    for name, metric in registry.items():
        if name not in out.columns or not metric.public:
            continue
        if metric.kind == MONEY and metric.additive:
            columns.append(_sum_to_ksh(out[name]))
        elif metric.kind == MONEY:  # a derived amount (an average) keeps its precision
            columns.append(pl.col(name).cast(pl.Float64) / float(MONEY_SCALE))
        elif metric.dtype is not None:
            columns.append(pl.col(name).cast(metric.dtype))
        else:
            columns.append(pl.col(name))
    columns += [pl.col(name) for name in out.columns if name.endswith("_raw") and name[:-4] in registry]
    return out.select(columns)


def add_shares(frame: pl.DataFrame, columns: tuple[str, ...] = ("revenue", "gross_profit")) -> pl.DataFrame:
    """Add ``<col>_share_pct``: each row's share of the column total (for mix and alignment charts)."""
    exprs = []
    for name in columns:
        if name in frame.columns:
            total = pl.col(name).sum()
            exprs.append(pl.when(total != 0).then(pl.col(name) / total * 100.0).alias(f"{name}_share_pct"))
    return frame.with_columns(exprs) if exprs else frame


def change_pct(current: float | None, previous: float | None) -> float | None:
    """Relative change in percent; None when there is no meaningful base."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / abs(previous) * 100.0
