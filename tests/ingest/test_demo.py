"""The demo generator: the last day is an ordinary full day, not a pile of returns that would make
every 30-day sparkline spike at its end."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from ingest.demo import RETURN_SHARE, generate
from ingest.validate_canonical import validate_canonical


def _days(frame: pl.DataFrame) -> pl.DataFrame:
    returns = pl.col("quantity") < 0
    return (
        frame.group_by("sale_date")
        .agg(
            pl.len().alias("lines"),
            returns.mean().alias("return_share"),
            (-pl.col("revenue").filter(returns).sum() / pl.col("revenue").filter(~returns).sum()).alias("value_rate"),
        )
        .sort("sale_date")
    )


@pytest.mark.parametrize(("seed", "end"), [(7, dt.date(2026, 11, 28)), (3, dt.date(2025, 6, 30))])
def test_the_last_day_is_a_normal_full_day(seed, end):
    frame = generate(rows=200_000, seed=seed, end=end)
    assert validate_canonical(frame) is None
    assert frame["sale_date"].max() == end
    days = _days(frame)
    last = days.row(-1, named=True)
    # the same weekday over the eight weeks before: the usual volume and return rates
    usual = days.filter((pl.col("sale_date").dt.weekday() == end.isoweekday())
                        & (pl.col("sale_date") < end) & (pl.col("sale_date") >= end - dt.timedelta(weeks=8)))
    assert 0.6 < last["lines"] / usual["lines"].mean() < 1.4
    # ~2.8% of lines are returns on an ordinary day; the clamped generator put ~25% (and ~16% of
    # the value, 37% on smaller data sets) on the last day
    assert last["return_share"] < 2.2 * RETURN_SHARE
    assert last["value_rate"] < 3 * days["value_rate"].median()
    last_week = frame.filter(pl.col("sale_date") > end - dt.timedelta(days=7))
    assert 0.5 * RETURN_SHARE < (last_week["quantity"] < 0).mean() < 1.5 * RETURN_SHARE


def test_no_return_is_dated_after_the_last_day_and_the_share_stays_near_the_target():
    frame = generate(rows=50_000, seed=1, end=dt.date(2025, 1, 31))
    assert frame["sale_date"].max() <= dt.date(2025, 1, 31)
    assert abs((frame["quantity"] < 0).mean() - RETURN_SHARE) < 0.004
