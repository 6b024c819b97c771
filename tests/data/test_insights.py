"""Insights are computed from the data; each is checked against an independent Polars figure."""

from __future__ import annotations

import polars as pl
import pytest

from data.filters import Filters
from data.insights import (
    MIN_ACCOUNTS,
    MIN_REVENUE_SHARE_PCT,
    MIN_TRANSACTIONS,
    NON_ACCOUNT_CUSTOMERS,
    customer_concentration,
    insights,
    margin_spread,
    rank_gap,
    top_customer_share,
)
from data.queries import breakdown


def test_pareto_share_matches_polars(demo_engine, demo_frame):
    accounts = (
        demo_frame.filter(~pl.col("customer").is_in(list(NON_ACCOUNT_CUSTOMERS)))
        .group_by("customer").agg((pl.col("revenue") - pl.col("cost")).sum().alias("gp"))
        .sort("gp", descending=True)
    )
    top_n = round(accounts.height * 0.2)
    share = accounts["gp"].head(top_n).sum() / accounts["gp"].sum() * 100
    insight = customer_concentration(Filters())
    assert insight is not None
    assert f"({top_n:,})" in insight.text and f"{share:.1f}%" in insight.text


def test_rank_gap_names_the_salesperson_with_the_biggest_gap(demo_engine, demo_frame):
    people = (
        demo_frame.group_by("salesperson")
        .agg(pl.col("revenue").sum().alias("rev"), (pl.col("revenue") - pl.col("cost")).sum().alias("gp"))
        .with_columns(pl.col("rev").rank("ordinal", descending=True).alias("rr"),
                      pl.col("gp").rank("ordinal", descending=True).alias("gr"))
        .with_columns((pl.col("rr").cast(pl.Int64) - pl.col("gr").cast(pl.Int64)).abs().alias("gap"))
    )
    biggest = people["gap"].max()
    candidates = people.filter(pl.col("gap") == biggest)["salesperson"].to_list()
    insight = rank_gap(Filters())
    assert insight is not None and any(name in insight.text for name in candidates)


def test_empty_view_has_no_insights(demo_engine):
    assert insights(Filters.create(branch=["No such branch"])) == []


@pytest.mark.parametrize("key", ["pareto", "rank_gap", "margin_spread", "margin_mover"])
def test_each_insight_appears_for_a_normal_period(demo_engine, key):
    found = {i.key for i in insights(Filters.create(start="2025-01-01", end="2025-06-30"))}
    assert key in found


# -- sample sizes and totals with losses (issue 9, item 11) ----------------------------------------
@pytest.fixture
def store_of(tmp_path):  # type: ignore[no-untyped-def]
    """Point the data layer at a store built from the given lines (closed afterwards)."""
    from data import service
    from data.engines.duckdb_engine import DuckDBEngine
    from tests.conftest import build_store

    engines = []

    def build(lines: pl.DataFrame) -> None:
        build_store(tmp_path / f"store{len(engines)}", lines)
        engines.append(DuckDBEngine(tmp_path / f"store{len(engines)}"))
        service.configure(engines[-1])

    yield build
    for engine in engines:
        engine.close()


def _losing_customers(frame: pl.DataFrame, share: float = 0.5) -> pl.DataFrame:
    """``frame`` with the smaller half of the account customers selling at a loss."""
    accounts = (frame.filter(~pl.col("customer").is_in(list(NON_ACCOUNT_CUSTOMERS))).group_by("customer")
                .agg(pl.col("revenue").sum()).sort(["revenue", "customer"]))
    losers = accounts.head(int(accounts.height * share))["customer"].to_list()
    return frame.with_columns(pl.when(pl.col("customer").is_in(losers)).then(pl.col("revenue") * 1.6)
                              .otherwise(pl.col("cost")).alias("cost"))


def test_a_share_of_a_total_with_losses_says_so(store_of, demo_frame):
    store_of(_losing_customers(demo_frame))
    result = top_customer_share(breakdown(Filters(), "customer"))
    assert result is not None and result[0] > 100.0  # the top 20% earn more than the net total
    text = customer_concentration(Filters()).text
    accounts = breakdown(Filters(), "customer").filter(~pl.col("customer").is_in(list(NON_ACCOUNT_CUSTOMERS)))
    losers = accounts.filter(pl.col("gross_profit") < 0)
    assert f"{result[0]:.1f}% of account gross profit, a total net of" in text
    assert f"lost on {losers.height:,} loss-making customers" in text


def test_a_share_without_losses_makes_no_such_claim(demo_engine):
    accounts = breakdown(Filters(), "customer").filter(~pl.col("customer").is_in(list(NON_ACCOUNT_CUSTOMERS)))
    text = customer_concentration(Filters()).text
    assert ("net of" in text) == (accounts.filter(pl.col("gross_profit") < 0).height > 0)


def test_too_few_account_customers_give_no_concentration(store_of, demo_frame):
    accounts = (demo_frame.filter(~pl.col("customer").is_in(list(NON_ACCOUNT_CUSTOMERS)))["customer"].unique()
                .sort().head(MIN_ACCOUNTS - 1).to_list())
    store_of(demo_frame.filter(pl.col("customer").is_in(accounts)))
    assert customer_concentration(Filters()) is None


def test_a_tiny_product_line_is_never_the_best_margin_line(store_of, demo_frame):
    tiny = demo_frame.head(1).with_columns(pl.lit("Gold Leaf").alias("product_line"), pl.lit(100.0).alias("revenue"),
                                           pl.lit(1.0).alias("cost"), pl.lit(1.0).alias("quantity"))
    store_of(pl.concat([demo_frame, tiny]))
    lines = breakdown(Filters(), "product_line")
    assert lines.sort("margin_pct", descending=True)["product_line"][0] == "Gold Leaf"  # 99% margin, one line
    insight = margin_spread(Filters())
    assert insight is not None and "Gold Leaf" not in insight.text
    eligible = lines.filter((pl.col("transactions") >= MIN_TRANSACTIONS)
                            & (pl.col("revenue_share_pct") >= MIN_REVENUE_SHARE_PCT))
    best = eligible.sort("margin_pct", descending=True).row(0, named=True)
    assert f"{best['product_line']} earns {best['margin_pct']:.1f}%" in insight.text


def test_a_product_line_share_over_losses_says_so(store_of, demo_frame):
    losing = demo_frame.with_columns(pl.when(pl.col("product_line") == "Plumbing").then(pl.col("revenue") * 1.5)
                                     .otherwise(pl.col("cost")).alias("cost"))
    store_of(losing)
    text = margin_spread(Filters()).text
    assert "GP shares are of a total net of" in text and "lost on 1 product line." in text

