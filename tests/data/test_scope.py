"""Scopes: a scoped runner cannot read outside its scope through any query, option list or insight.

The reference for "what Mombasa may see" is the same view filtered to Mombasa without a scope:
every figure under the scope must equal it, and no other branch's name may appear anywhere."""

from __future__ import annotations

import polars as pl
import pytest

from data import customers, products, queries, salespeople
from data.branches import branch_comparison
from data.datasets import SALES
from data.engines.duckdb_dialect import DUCKDB_DIALECT
from data.filters import Filters
from data.insights import insights
from data.scope import Scope, current_scope, scoped
from data.service import QueryRunner
from data.sql import QuerySpec, compile_query

ALLOWED = "Mombasa"
VIEW = Filters.create(start="2024-07-01", end="2025-06-30")

# Every public entry point of the data layer that pages, REST and exports call.
FRAMES = {
    "summary": lambda f: queries.summary(f),
    "trend": lambda f: queries.trend(f, "month"),
    "breakdown.branch": lambda f: queries.breakdown(f, "branch"),
    "breakdown.item": lambda f: queries.breakdown(f, "item_name", context=("item_group", "product_line")),
    "breakdown.customer": lambda f: queries.breakdown(f, "customer"),
    "matrix": lambda f: queries.matrix(f, "branch", "product_line"),
    "branch trend": lambda f: queries.dimension_trend(f, "branch", "week"),
    "customer profiles": lambda f: queries.customer_profiles(f),
    "leaderboard": salespeople.leaderboard,
    "product mix": salespeople.product_mix,
    "margin drivers": salespeople.margin_drivers,
    "branch comparison": branch_comparison,
    "line profitability": products.line_profitability,
    "treemap": products.hierarchy,
    "customer table": lambda f: customers.customer_table(f),
    "tiers": customers.tier_summary,
    "ideal profile": customers.ideal_profile,
    "preferences": lambda f: customers.preferences(f, "branch"),
}


def _comparable(frame: pl.DataFrame) -> list[dict]:
    return frame.to_dicts()


@pytest.mark.parametrize("name", sorted(FRAMES))
def test_every_query_under_a_scope_equals_the_filtered_view(demo_engine, name):
    build = FRAMES[name]
    with scoped(Scope.of(branch=[ALLOWED])):
        got = build(VIEW)
    want = build(VIEW.with_selection(branch=[ALLOWED]))
    assert _comparable(got) == _comparable(want)
    if "branch" in got.columns:
        assert set(got["branch"].drop_nulls()) <= {ALLOWED}


def test_kpis_and_their_comparison_period_stay_in_scope(demo_engine):
    with scoped(Scope.of(branch=[ALLOWED])):
        got = queries.kpis(VIEW)
    assert got == queries.kpis(VIEW.with_selection(branch=[ALLOWED]))


def test_option_lists_show_only_the_scope(demo_engine):
    everyone = queries.filter_options()
    with scoped(Scope.of(branch=[ALLOWED])):
        options = queries.filter_options()
    assert options["branches"] == [ALLOWED] and len(everyone["branches"]) > 1
    # Other lists only hold what the scope's sales contain (a salesperson who never sold there is hidden).
    mombasa = queries.breakdown(Filters.create(branch=[ALLOWED]), "salesperson")["salesperson"].to_list()
    assert sorted(options["salespeople"]) == sorted(mombasa)


def test_insights_speak_only_of_the_scope(demo_engine):
    other_branches = set(queries.filter_options()["branches"]) - {ALLOWED}
    with scoped(Scope.of(branch=[ALLOWED])):
        found = insights(VIEW)
    text = " ".join(i.text for i in found)
    assert found and not [b for b in other_branches if b in text]


def test_a_filter_outside_the_scope_yields_no_rows_never_more(demo_engine):
    with scoped(Scope.of(branch=[ALLOWED])):
        assert queries.summary(Filters.create(branch=["Kisumu"]))["lines"][0] == 0
        assert queries.breakdown(Filters.create(branch=["Kisumu", ALLOWED]), "branch")["branch"].to_list() == [ALLOWED]


def test_nested_scopes_only_narrow(demo_engine):
    with scoped(Scope.of(branch=[ALLOWED, "Kisumu"])), scoped(Scope.of(branch=["Kisumu", "Nakuru"])):
        assert queries.filter_options()["branches"] == ["Kisumu"]
        with scoped(Scope()):  # an unrestricted scope inside cannot widen
            assert queries.filter_options()["branches"] == ["Kisumu"]
    assert current_scope().unrestricted


def test_a_scoped_runner_applies_its_own_scope(demo_engine):
    runner = QueryRunner(demo_engine, scope=Scope.of(branch=[ALLOWED]))
    frame = runner.run(QuerySpec("t", dimensions=("branch",), aggregates=("lines",)))
    assert frame["branch"].to_list() == [ALLOWED]
    assert runner.scoped(Scope.of(branch=["Kisumu"])).run(QuerySpec("t", aggregates=("lines",)))["lines"][0] == 0


@pytest.mark.parametrize("scope", [Scope.of(branch=[]), Scope.of(customer=["x"]) & Scope.of(customer=["y"])])
def test_a_scope_that_allows_nothing_shows_nothing(demo_engine, scope):
    with scoped(scope):
        assert queries.summary(Filters())["lines"][0] == 0
        assert queries.filter_options()["branches"] == []


def test_the_scope_is_bound_never_written_into_sql():
    query = compile_query(QuerySpec("t", Filters.create(branch=["Kisumu"]), aggregates=("lines",)), DUCKDB_DIALECT,
                          scope=Scope.of(branch=["Mombasa'; DROP TABLE sales; --"]))
    assert query.sql == "SELECT COUNT(*) AS lines FROM sales WHERE branch IN (?) AND branch IN (?)"
    assert query.params == ("Kisumu", "Mombasa'; DROP TABLE sales; --")


def test_a_scope_on_a_dimension_the_dataset_lacks_fails_closed():
    lacking = Scope((("stage", ("Won",)),))
    query = compile_query(QuerySpec("t", aggregates=("lines",), dataset=SALES), DUCKDB_DIALECT, scope=lacking)
    assert query.sql.endswith("WHERE 1 = 0")
