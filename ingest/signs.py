"""Lines whose quantity, revenue and cost signs contradict each other.

A sale has quantity, revenue and cost all >= 0; a return (credit note) has all three <= 0. Zero
fits either: a zero-cost line (a service, or cost not tracked), a free item (revenue 0, cost > 0),
a price correction with quantity 0. A line is **contradictory** when at least one of the three is
positive and at least one is negative, e.g. quantity -10 with revenue +1,000 and cost +800. The
dashboard counts a line with a negative quantity or revenue as a return, so such a line would
show up as a negative return. Signs are read from the values as written (before rounding to the
cent); only an exact zero is zero.

By default contradictory lines are rejected. A mapping can say which column carries the sign
instead (``signs = "quantity"`` or ``signs = "revenue"``): the other two then take that column's
sign, keeping their size. A line whose sign column is 0 still contradicts and is rejected.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from ingest.report import Problem, problem_from_mask

SIGN_POLICIES = ("reject", "quantity", "revenue")
CHECK = "sign_mismatch"


@dataclass
class SignOutcome:
    frame: pl.DataFrame
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    normalised: int = 0


def contradictory(frame: pl.DataFrame) -> pl.Series:
    """True where one of quantity, revenue, cost is > 0 and another is < 0 (zero is neutral)."""
    values = [pl.col("quantity"), pl.col("revenue"), pl.col("cost")]
    positive = pl.any_horizontal([v > 0 for v in values])
    negative = pl.any_horizontal([v < 0 for v in values])
    return frame.select((positive & negative).fill_null(False).alias("contradictory"))["contradictory"]


def _with_sign_of(frame: pl.DataFrame, mask: pl.Series, source: str) -> pl.DataFrame:
    """Rows in ``mask``: the other two of quantity/revenue/cost take ``source``'s sign."""
    sign = pl.col(source).sign()
    others = [c for c in ("quantity", "revenue", "cost") if c != source]
    return frame.with_columns([
        pl.when(pl.lit(mask)).then(pl.col(c).abs() * sign).otherwise(pl.col(c)).alias(c) for c in others
    ])


def check_signs(frame: pl.DataFrame, lines: pl.Series, raw: pl.DataFrame, unit: str, policy: str,
                cost_label: str = "cost") -> SignOutcome:
    """Apply ``policy`` to ``frame`` (rows that parsed cleanly); ``raw`` holds the text as written.

    ``cost_label`` names the source of cost in reports (``gross_profit`` when cost was derived)."""
    if policy not in SIGN_POLICIES:
        raise ValueError(f"signs must be one of {SIGN_POLICIES}, not {policy!r}")
    outcome = SignOutcome(frame)
    if frame.height == 0:
        return outcome
    bad = contradictory(frame)
    if policy != "reject" and bool(bad.any()):
        fixable = bad & (frame[policy] != 0)
        outcome.normalised = int(fixable.sum())
        if outcome.normalised:
            outcome.frame = _with_sign_of(frame, fixable, policy)
            first = lines.filter(fixable).head(5).to_list()
            outcome.notes.append(
                f"signs = \"{policy}\": {outcome.normalised:,} line{'s' if outcome.normalised != 1 else ''} took "
                f"their signs from {policy} ({unit}s {', '.join(f'{n:,}' for n in first)}"
                f"{', ...' if outcome.normalised > len(first) else ''})")
        bad = bad & ~fixable
    if not bool(bad.any()):
        return outcome
    cost_raw = raw["cost"] if "cost" in raw.columns else frame["cost"].cast(pl.String)
    shown = pl.select(pl.concat_str([pl.lit(raw["quantity"].cast(pl.String)), pl.lit(raw["revenue"].cast(pl.String)),
                                     pl.lit(cost_raw.cast(pl.String))], separator=" / ")).to_series()
    if policy == "reject":
        message = ("signs disagree (a sale has quantity, revenue and cost all >= 0, a return all <= 0; 0 fits "
                   "either); fix these lines, or set signs = \"quantity\" (or \"revenue\") in a mapping")
    else:
        message = (f"signs disagree and {policy} is 0, so signs = \"{policy}\" cannot tell which sign is right")
    problem = problem_from_mask(f"quantity/revenue/{cost_label}", CHECK, message, bad, lines, shown, unit)
    if problem:
        outcome.problems.append(problem)
    return outcome
