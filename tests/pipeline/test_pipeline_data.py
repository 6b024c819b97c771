"""Pipeline analytics on the public CRM data set, against figures computed independently with Polars
from the CSV files (and the data set's own published counts)."""

from __future__ import annotations

import math

import polars as pl
import pytest

from data import pipeline
from data.filters import Filters
from data.scope import Scope, scoped
from tests.pipeline.crm_store import crm_frame


@pytest.fixture(scope="module")
def deals() -> pl.DataFrame:
    return crm_frame()


def test_headline_figures_match_the_published_counts(crm_engine):
    s = pipeline.summary(Filters())
    assert (s["opportunities"], s["won"], s["lost"], s["open_deals"], s["closed"]) == (8800, 4238, 2473, 2089, 6711)
    assert round(s["win_rate_pct"], 2) == 63.15
    assert s["won_value"] == 10_005_534.0
    assert s["win_rate_low_pct"] < s["win_rate_pct"] < s["win_rate_high_pct"]


def _wilson(won: int, lost: int) -> tuple[float, float]:
    n, p, z = won + lost, won / (won + lost), 1.96
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (centre - half) * 100, (centre + half) * 100


def _median(values: list[int]) -> float | None:
    return float(pl.Series(values, dtype=pl.Float64).median()) if values else None


def test_per_agent_win_rates_and_median_cycles_equal_polars(crm_engine, deals):
    got = {r["salesperson"]: r for r in pipeline.win_rates(Filters(), "salesperson").iter_rows(named=True)}
    closed = deals.filter(pl.col("outcome").is_in(["won", "lost"]))
    assert set(got) == set(deals["salesperson"].unique())
    for (agent,), rows in closed.group_by("salesperson"):
        won = rows.filter(pl.col("outcome") == "won")
        lost = rows.filter(pl.col("outcome") == "lost")
        row = got[agent]
        assert (row["won"], row["lost"]) == (won.height, lost.height)
        assert row["win_rate_pct"] == pytest.approx(won.height / rows.height * 100)
        low, high = _wilson(won.height, lost.height)
        assert (row["win_rate_low_pct"], row["win_rate_high_pct"]) == (pytest.approx(low), pytest.approx(high))
        assert row["median_cycle_won_days"] == _median(won["cycle_days"].drop_nulls().to_list())
        assert row["median_cycle_lost_days"] == _median(lost["cycle_days"].drop_nulls().to_list())
        assert row["median_cycle_closed_days"] == _median(rows["cycle_days"].drop_nulls().to_list())
        assert row["small_sample"] == (rows.height < pipeline.SMALL_SAMPLE)


def test_ranking_uses_the_sure_part_of_the_rate_and_leaves_small_samples_unranked(crm_engine):
    rates = pipeline.win_rates(Filters.create(start="2017-12-01"), "salesperson")
    ranked = rates.filter(pl.col("rank").is_not_null())
    assert ranked["win_rate_low_pct"].to_list() == sorted(ranked["win_rate_low_pct"].to_list(), reverse=True)
    small = rates.filter(pl.col("small_sample"))
    assert small.height > 0 and small["rank"].is_null().all()  # one month: most agents have few deals


def test_funnel_counts_every_deal_once(crm_engine, deals):
    steps = {r["step"]: r for r in pipeline.funnel(Filters()).iter_rows(named=True)}
    qual, closing = steps["qualification"], steps["closing"]
    assert qual["entered"] == 8800 and qual["waiting"] == deals.filter(
        (pl.col("outcome") == "open") & pl.col("engage_date").is_null()).height == 500
    assert qual["lost"] == 0  # every lost deal in this data set was engaged first
    assert closing["entered"] == qual["passed"] == 8300
    assert (closing["lost"], closing["waiting"], closing["passed"]) == (2473, 1589, 4238)
    assert closing["decided_lost_pct"] == pytest.approx(2473 / (2473 + 4238) * 100)
    by_branch = pipeline.funnel(Filters(), by="branch")
    assert by_branch.filter(pl.col("step") == "closing")["lost"].sum() == 2473


def test_open_pipeline_ages_open_deals_to_the_data_and_flags_overdue_ones(crm_engine, deals):
    result = pipeline.open_pipeline(Filters())
    assert result["total"] == 2089 and str(result["as_of"]) == "2017-12-31"
    assert result["usual_cycle_days"] == _median(deals.filter(pl.col("outcome") == "won")["cycle_days"].to_list())
    oldest = result["oldest"]
    assert oldest["age_days"].drop_nulls().to_list() == sorted(oldest["age_days"].drop_nulls().to_list(), reverse=True)
    assert (oldest["overdue"] == (oldest["age_days"] > result["usual_cycle_days"]).fill_null(False)).all()
    assert dict(zip(result["by_stage"]["stage"], result["by_stage"]["open_deals"], strict=True)) == \
        {"Engaging": 1589, "Prospecting": 500}


def test_assignment_adjusts_for_the_lead_mix(crm_engine, deals):
    people = pipeline.assignment(Filters())
    row = people.filter(pl.col("salesperson") == "Hayden Neloms").row(0, named=True)
    mine = deals.filter((pl.col("salesperson") == "Hayden Neloms") & pl.col("outcome").is_in(["won", "lost"]))
    others = deals.filter((pl.col("salesperson") != "Hayden Neloms") & pl.col("outcome").is_in(["won", "lost"]))
    seg = others.group_by("product", "sector").agg((pl.col("outcome") == "won").mean().alias("rate"))
    expected = mine.join(seg, on=["product", "sector"], how="left")["rate"].mean() * 100
    assert row["expected_win_rate_pct"] == pytest.approx(expected)
    assert row["skill_pp"] == pytest.approx(row["win_rate_pct"] - expected)
    sentences = pipeline.standouts(people)
    assert sentences and all(any(name in s for name in people["salesperson"]) for s in sentences)


def test_global_filters_the_pipeline_lacks_are_reported_not_applied():
    view = pipeline.applicable(Filters.create(branch=["East"], item_group=["Cables"]))
    assert view.filters.values("branch") == ("East",) and view.filters.values("item_group") == ()
    assert [d.arg for d in view.not_applied] == ["itemGroup"]


def test_a_branch_scope_holds_for_the_pipeline(crm_engine):
    with scoped(Scope.of(branch=["East"])):
        rates = pipeline.win_rates(Filters(), "branch")
        total = pipeline.summary(Filters())["opportunities"]
        insights = " ".join(pipeline.pipeline_insights(Filters()))
    assert rates["branch"].to_list() == ["East"]
    assert total == pipeline.summary(Filters.create(branch=["East"]))["opportunities"]
    assert "West" not in insights and "Central" not in insights


def test_dates_apply_to_close_dates_of_closed_and_engage_dates_of_open_deals(crm_engine, deals):
    view = Filters.create(start="2017-06-01", end="2017-06-30")
    got = pipeline.summary(view)
    start, end = view.start, view.end
    closed = deals.filter(pl.col("close_date").is_between(start, end))
    open_ = deals.filter(pl.col("close_date").is_null() & pl.col("engage_date").is_between(start, end))
    assert got["closed"] == closed.height and got["open_deals"] == open_.height


def test_cycle_histogram_counts_every_closed_deal_once(crm_engine, deals):
    hist = pipeline.cycle(Filters())["histogram"]
    closed = deals.filter(pl.col("outcome").is_in(["won", "lost"]) & pl.col("cycle_days").is_not_null())
    assert hist["opportunities"].sum() == closed.height
    within = closed.filter(pl.col("cycle_days").is_between(15, 29))
    got = hist.filter(pl.col("bucket") == "15-29")
    assert dict(zip(got["outcome"], got["opportunities"], strict=True)) == {
        o: within.filter(pl.col("outcome") == o).height for o in ("won", "lost")}
