"""The canonical CRM opportunity (one deal, won, lost or open), defined once as a Pandera model.

Files and the demo generator both produce this frame: text dimensions filled (``Unassigned`` where
the source has none), dates parsed, the deal value as KSh floats, and the derived columns the data
layer reads (``outcome``, ``activity_date``, ``cycle_days``). Only after the whole frame is valid is
it converted to the storage columns of ``data.schema.OPPORTUNITY_COLUMNS`` (``to_storage``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandera.polars as pa
import polars as pl
from pandera.errors import SchemaErrors

from data.schema import MONEY_SCALE, OPPORTUNITY_COLUMNS, OUTCOMES
from ingest.report import MAX_EXAMPLES, Problem
from ingest.schema import MONEY_LIMIT, today

# Text dimensions a deal is described by; a blank one becomes ``Unassigned``.
DIMENSIONS: tuple[str, ...] = ("salesperson", "manager", "branch", "product", "product_line", "customer", "sector",
                               "lead_source")
DATES: tuple[str, ...] = ("engage_date", "close_date")
# Columns a source file (or a mapping constant, or a lookup) can supply.
SOURCE_COLUMNS: tuple[str, ...] = ("opportunity_id", *DIMENSIONS, "stage", *DATES, "value")
REQUIRED_SOURCE: tuple[str, ...] = ("opportunity_id", "stage")
# The canonical frame: the storage columns with the value in KSh instead of MONEY_SCALE units.
COLUMNS: tuple[str, ...] = tuple("value" if c == "value_e4" else c for c in OPPORTUNITY_COLUMNS if c != "batch_id")
SCHEMA: dict[str, pl.DataType] = {
    **{c: pl.String() for c in ("opportunity_id", *DIMENSIONS, "stage", "outcome")},
    **{c: pl.Date() for c in (*DATES, "activity_date")},
    "cycle_days": pl.Int64(),
    "value": pl.Float64(),
}
DEFAULT_WON = ("Won",)
DEFAULT_LOST = ("Lost",)


@dataclass(frozen=True)
class StageRules:
    """Which stage names mean won and lost (case-insensitive). ``open`` None: every other stage is
    open; a tuple: only those are, and any other stage name is rejected (a typo like ``Wonn``)."""

    won: tuple[str, ...] = DEFAULT_WON
    lost: tuple[str, ...] = DEFAULT_LOST
    open: tuple[str, ...] | None = None

    def spelling(self) -> dict[str, str]:
        """lower-case stage name -> the spelling the rules give it (stored, so the funnel groups one name)."""
        names = (*self.won, *self.lost, *(self.open or ()))
        return {name.lower(): name for name in names}

    def order(self) -> list[str] | None:
        """Funnel order when the open stages are declared: open stages as listed, then won, then lost."""
        return None if self.open is None else [*self.open, *self.won, *self.lost]


def classify(frame: pl.DataFrame, rules: StageRules) -> pl.DataFrame:
    """Add ``outcome`` from the stage and give each stage the rules' spelling (so ``won`` and ``Won``
    are one funnel step). An unknown stage (rules that list ``open``) gets a null outcome: the
    caller reports it before the model runs."""
    spelling = rules.spelling()
    lower = pl.col("stage").str.to_lowercase()
    won = [s.lower() for s in rules.won]
    lost = [s.lower() for s in rules.lost]
    other = pl.lit("open") if rules.open is None else (
        pl.when(lower.is_in([s.lower() for s in rules.open])).then(pl.lit("open")).otherwise(None))
    outcome = (pl.when(lower.is_in(won)).then(pl.lit("won"))
               .when(lower.is_in(lost)).then(pl.lit("lost")).otherwise(other))
    return frame.with_columns(
        lower.replace_strict(spelling, default=pl.col("stage"), return_dtype=pl.String).alias("stage"),
        outcome.alias("outcome"),
    )


def with_derived_dates(frame: pl.DataFrame) -> pl.DataFrame:
    """``activity_date`` (close date of a closed deal, engage date of an open one) and ``cycle_days``
    (close - engage, closed deals with both dates), from ``outcome`` and the two dates."""
    closed = pl.col("outcome").is_in(["won", "lost"])
    return frame.with_columns(
        pl.when(closed).then(pl.col("close_date")).otherwise(pl.col("engage_date")).alias("activity_date"),
        pl.when(closed).then((pl.col("close_date") - pl.col("engage_date")).dt.total_days())
        .otherwise(None).cast(pl.Int64).alias("cycle_days"),
    ).select(COLUMNS)


class Opportunity(pa.DataFrameModel):
    """One CRM deal. Closed deals (won or lost) have a close date; open ones have none."""

    opportunity_id: str = pa.Field(nullable=False, str_length={"min_value": 1, "max_value": 200})
    salesperson: str = pa.Field(nullable=False, str_length={"min_value": 1, "max_value": 200})
    manager: str = pa.Field(nullable=False, str_length={"min_value": 1, "max_value": 200})
    branch: str = pa.Field(nullable=False, str_length={"min_value": 1, "max_value": 200})
    product: str = pa.Field(nullable=False, str_length={"min_value": 1, "max_value": 300})
    product_line: str = pa.Field(nullable=False, str_length={"min_value": 1, "max_value": 200})
    customer: str = pa.Field(nullable=False, str_length={"min_value": 1, "max_value": 300})
    sector: str = pa.Field(nullable=False, str_length={"min_value": 1, "max_value": 200})
    lead_source: str = pa.Field(nullable=False, str_length={"min_value": 1, "max_value": 200})
    stage: str = pa.Field(nullable=False, str_length={"min_value": 1, "max_value": 100})
    outcome: str = pa.Field(nullable=False, isin=list(OUTCOMES))
    engage_date: dt.date = pa.Field(nullable=True)
    close_date: dt.date = pa.Field(nullable=True)
    activity_date: dt.date = pa.Field(nullable=True)
    cycle_days: int = pa.Field(nullable=True)
    value: float = pa.Field(nullable=True, in_range={"min_value": 0.0, "max_value": MONEY_LIMIT})

    class Config:
        strict = True
        coerce = False

    @pa.check("opportunity_id", name="unique_id")
    def unique_id(cls, data: pa.PolarsData) -> pl.LazyFrame:
        # Every row of a repeated id fails (Pandera's own ``unique`` keeps the first one quiet).
        return data.lazyframe.select(~pl.col(data.key).is_duplicated())

    @pa.check("engage_date", "close_date", name="not_in_future")
    def not_in_future(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select((pl.col(data.key) <= pl.lit(today())).fill_null(True))

    @pa.check("engage_date", "close_date", name="not_before_1990")
    def plausible_year(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select((pl.col(data.key) >= pl.date(1990, 1, 1)).fill_null(True))

    @pa.dataframe_check(name="close_before_engage")
    def close_not_before_engage(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select((pl.col("close_date") >= pl.col("engage_date")).fill_null(True))

    @pa.dataframe_check(name="closed_without_close_date")
    def closed_has_close_date(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select((pl.col("outcome") == "open") | pl.col("close_date").is_not_null())

    @pa.dataframe_check(name="open_with_close_date")
    def open_has_no_close_date(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select((pl.col("outcome") != "open") | pl.col("close_date").is_null())

    @pa.dataframe_check(name="won_without_value")
    def won_has_value(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select((pl.col("outcome") != "won") | pl.col("value").is_not_null())


# Frame-level checks: the columns a report shows for them, and what they mean.
FRAME_CHECKS: dict[str, tuple[tuple[str, ...], str]] = {
    "close_before_engage": (("engage_date", "close_date"), "closed before it was engaged"),
    "closed_without_close_date": (("stage", "close_date"), "a won or lost deal needs a close date"),
    "open_with_close_date": (
        ("stage", "close_date"),
        "an open deal has a close date (is this stage a won or lost one? list it in [stages])"),
    "won_without_value": (("stage", "value"), "a won deal needs a value (its close value)"),
}


def failure_cases(frame: pl.DataFrame) -> pl.DataFrame | None:
    """Pandera's failure cases for ``frame`` (canonical columns), or None when every row is valid."""
    try:
        Opportunity.validate(frame.select(COLUMNS), lazy=True)
    except SchemaErrors as exc:
        return exc.failure_cases
    return None


def _message(check: str) -> str:
    if check == "not_in_future":
        return f"date in the future (after {today().isoformat()})"
    if check == "not_before_1990":
        return "date before 1990 (a two-digit year read as four digits?)"
    if check == "unique_id":
        return "opportunity id repeated in this file"
    if check.startswith("isin"):
        return f"outcome must be one of {', '.join(OUTCOMES)}"
    if check.startswith("in_range"):
        return f"value out of range (0 to {MONEY_LIMIT:,.0f} KSh; negative deal values are not allowed)"
    if check.startswith("str_length"):
        return "text too long (or empty)"
    return f"failed check {check}"


def validation_problems(frame: pl.DataFrame, lines: pl.Series, raw: pl.DataFrame, unit: str) -> list[Problem]:
    """Validate ``frame`` and report one problem per (column, check), with file lines and the raw
    values as written (``raw`` holds the source text per canonical column)."""
    failures = failure_cases(frame)
    if failures is None:
        return []
    found: list[Problem] = []
    for row in failures.filter(pl.col("index").is_null()).iter_rows(named=True):
        found.append(Problem(row["column"], row["check"], f"schema: {row['failure_case']}", 0))
    grouped = (
        failures.filter(pl.col("index").is_not_null())
        .group_by("column", "check", maintain_order=True)
        .agg(pl.col("index").unique().sort().alias("rows"))
    )
    for row in grouped.iter_rows(named=True):
        column, check, rows = row["column"], row["check"], row["rows"]
        if check in FRAME_CHECKS:
            shown, message = FRAME_CHECKS[check]
            examples = [(int(lines[i]), " / ".join(_shown(frame, raw, c, i) for c in shown))
                        for i in rows[:MAX_EXAMPLES]]
            found.append(Problem("/".join(shown), check, message, len(rows), examples, unit))
            continue
        examples = [(int(lines[i]), _shown(frame, raw, column, i)) for i in rows[:MAX_EXAMPLES]]
        found.append(Problem(column, check, _message(check), len(rows), examples, unit))
    return found


def _shown(frame: pl.DataFrame, raw: pl.DataFrame, column: str, row: int) -> str:
    """The value of ``column`` at ``row`` as the file wrote it (or as derived, when it has no source)."""
    if column in raw.columns:
        value = raw[column][row]
        return "" if value is None else str(value)
    value = frame[column][row]
    return "" if value is None else str(value)


def to_storage(frame: pl.DataFrame) -> pl.DataFrame:
    """Canonical deals -> ``OPPORTUNITY_COLUMNS`` (minus ``batch_id``): the value in MONEY_SCALE units,
    rounded half away from zero at the fourth decimal exactly as ``ingest.storage.to_storage`` does
    for sales money, so a KSh amount with up to four decimals is stored exactly."""
    value = (pl.col("value") * float(MONEY_SCALE)).round(6).round(0, mode="half_away_from_zero").cast(pl.Int64)
    return frame.select(
        *[pl.col(c) for c in COLUMNS if c not in ("value", "cycle_days")],
        pl.col("cycle_days").cast(pl.Int32),
        value.alias("value_e4"),
    ).select([c for c in OPPORTUNITY_COLUMNS if c != "batch_id"])
