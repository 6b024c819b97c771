"""The demo pipeline: deterministic, valid, its won deals line up with the demo sales, and it carries
the loss patterns the /pipeline page is meant to find; ``mauzo demo`` loads it atomically."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest

from data.schema import MONEY_SCALE, OPPORTUNITIES_TABLE
from data.store import SnapshotStore
from ingest.demo import generate
from ingest.demo_catalog import WALK_IN
from ingest.demo_pipeline import DEMO_STAGES, LEAKS, OPEN_STAGES, generate_pipeline
from ingest.opportunities import failure_cases
from tests.ingest.conftest import run_cli

END = dt.date(2025, 6, 30)
CELL = ["salesperson", "product_line", "branch", "month"]


@pytest.fixture(scope="module")
def sales() -> pl.DataFrame:
    return generate(rows=100_000, seed=5, end=END)


@pytest.fixture(scope="module")
def deals(sales: pl.DataFrame) -> pl.DataFrame:
    return generate_pipeline(sales, seed=5)


def closed(deals: pl.DataFrame) -> pl.DataFrame:
    return deals.filter(pl.col("outcome") != "open").with_columns((pl.col("outcome") == "won").alias("won"))


def test_deterministic_for_a_seed_and_valid(sales, deals):
    assert generate_pipeline(sales, seed=5).equals(deals)
    assert not generate_pipeline(sales, seed=6).equals(deals)
    assert failure_cases(deals) is None
    assert deals["opportunity_id"].n_unique() == deals.height
    assert set(deals["stage"]) <= set(DEMO_STAGES)
    assert set(deals.filter(pl.col("outcome") == "lost")["stage"]) == set(OPEN_STAGES)
    assert set(deals.filter(pl.col("outcome") == "won")["stage"]) == {"Won"}
    assert deals["activity_date"].max() <= END


def test_won_deals_add_up_to_each_cells_account_sales_exactly(sales, deals):
    gross = (sales.filter((pl.col("revenue") > 0) & (pl.col("customer") != WALK_IN))
             .with_columns(pl.col("sale_date").dt.month_start().alias("month"))
             .group_by(CELL).agg((pl.col("revenue") * 100).round(0).cast(pl.Int64).sum().alias("cents")))
    won = (deals.filter(pl.col("outcome") == "won").with_columns(pl.col("close_date").dt.month_start().alias("month"))
           .group_by(CELL).agg((pl.col("value") * 100).round(0).cast(pl.Int64).sum().alias("cents")))
    assert won.sort(CELL).equals(gross.sort(CELL))


def test_each_won_deal_is_a_real_customer_closed_on_its_first_invoice(sales, deals):
    bought = (sales.filter(pl.col("revenue") > 0)
              .with_columns(pl.col("sale_date").dt.month_start().alias("month"))
              .group_by([*CELL, "customer"]).agg(pl.col("sale_date").min().alias("first"),
                                                 pl.col("item_name").unique().alias("items")))
    won = deals.filter(pl.col("outcome") == "won").with_columns(pl.col("close_date").dt.month_start().alias("month"))
    joined = won.join(bought, on=[*CELL, "customer"], how="left")
    assert joined["first"].null_count() == 0
    assert (joined["close_date"] == joined["first"]).all()
    assert joined.select(pl.col("items").list.contains(pl.col("product"))).to_series().all()
    assert (won["engage_date"] < won["close_date"]).all() and won["engage_date"].null_count() == 0


def test_lead_sources_and_sectors_differ_in_win_rate(deals):
    by_source = closed(deals).group_by("lead_source").agg(pl.col("won").mean())
    rate = dict(by_source.iter_rows())
    assert rate["Cold call"] < rate["Website"] < rate["Referral"] < rate["Repeat customer"]
    by_sector = dict(closed(deals).group_by("sector").agg(pl.col("won").mean()).iter_rows())
    assert by_sector["Government"] == min(by_sector.values())


def test_branches_leak_at_different_stages(deals):
    lost = deals.filter(pl.col("outcome") == "lost")
    late = dict(lost.group_by("branch").agg((pl.col("stage") == "Negotiation").mean()).iter_rows())
    early = dict(lost.group_by("branch").agg((pl.col("stage") == "Prospecting").mean()).iter_rows())
    late_branches = [b for b, shares in LEAKS.items() if shares[3] > shares[0]]
    early_branches = [b for b, shares in LEAKS.items() if shares[0] > shares[3]]
    assert min(late[b] for b in late_branches) > max(late[b] for b in early_branches)
    assert min(early[b] for b in early_branches) > max(early[b] for b in late_branches)


def test_a_best_closer_works_on_poor_leads(deals):
    """Closer skill = win rate above what the salesperson's lead sources would predict; lead quality =
    that prediction. The best closer's leads are worse than most colleagues'."""
    deals = closed(deals)
    source_rate = deals.group_by("lead_source").agg(pl.col("won").mean().alias("expected"))
    people = (deals.join(source_rate, on="lead_source").group_by("salesperson")
              .agg((pl.col("won").mean() - pl.col("expected").mean()).alias("skill"),
                   pl.col("expected").mean().alias("lead_quality")))
    best = people.sort("skill", descending=True).row(0, named=True)
    assert best["lead_quality"] < people["lead_quality"].median()
    assert people["skill"].max() - people["skill"].min() > 0.2


def test_small_deal_sellers_win_more_often(deals):
    deals = closed(deals)
    people = deals.group_by("salesperson").agg(
        pl.col("won").mean().alias("win_rate"),
        pl.col("value").filter(pl.col("won")).median().alias("deal"),
        pl.col("value").filter(pl.col("won")).sum().alias("won_value"),
    )
    small = people.filter(pl.col("deal") < pl.col("deal").quantile(0.25))
    assert small["win_rate"].mean() > people["win_rate"].mean()
    big = deals.filter(pl.col("value") > pl.col("value").quantile(0.9))
    assert big["won"].mean() < deals["won"].mean()


def test_prospects_were_never_engaged(deals):
    prospects = deals.filter(pl.col("stage") == "Prospecting")
    assert set(prospects["outcome"]) == {"open", "lost"}
    assert prospects["engage_date"].null_count() == prospects["cycle_days"].null_count() == prospects.height
    others = deals.filter(pl.col("stage") != "Prospecting")
    assert others["engage_date"].null_count() == 0


def test_open_deals_are_recent_with_a_few_stale_ones(deals):
    opened = deals.filter(pl.col("outcome") == "open")
    age = opened.filter(pl.col("engage_date").is_not_null()).select(
        (pl.lit(END) - pl.col("engage_date")).dt.total_days().alias("age"))["age"]
    assert opened["close_date"].null_count() == opened.height and opened["value"].null_count() == 0
    assert (age >= 0).all() and (age <= 90).mean() > 0.75
    assert 0 < (age > 150).mean() < 0.2
    assert set(opened["stage"]) == set(OPEN_STAGES)


def store_deals(data_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    manifest = SnapshotStore(data_dir).manifest()
    con = duckdb.connect(str(data_dir / manifest.snapshot), read_only=True)
    try:
        month = "date_trunc('month', {})::DATE AS month"
        sales = con.sql(f"SELECT salesperson, product_line, branch, {month.format('sale_date')}, "
                        "sum(revenue_e4) AS value FROM sales WHERE revenue_e4 > 0 AND customer <> ? "
                        "GROUP BY ALL ORDER BY ALL", params=[WALK_IN]).pl()
        won = con.sql(f"SELECT salesperson, product_line, branch, {month.format('close_date')}, "
                      f"sum(value_e4) AS value FROM {OPPORTUNITIES_TABLE} WHERE outcome = 'won' "
                      "GROUP BY ALL ORDER BY ALL").pl()
    finally:
        con.close()
    return sales, won


def test_mauzo_demo_loads_the_pipeline_lined_up_with_sales(tmp_path):
    data_dir = tmp_path / "store"
    done = run_cli("--data-dir", data_dir, "demo", "--rows", "3000", "--seed", "2", "--end-date", "2025-03-31")
    assert done.returncode == 0, done.stderr
    assert " deals in " in done.stdout
    sales, won = store_deals(data_dir)
    assert sales.equals(won) and won["value"].sum() % (MONEY_SCALE // 100) == 0
    manifest = SnapshotStore(data_dir).manifest()
    assert manifest.history[0]["table"] == OPPORTUNITIES_TABLE
    assert manifest.history[0]["stage_order"] == list(DEMO_STAGES)

    # The same demo appended again: its sales lines are added (as before), its deals are not doubled.
    deals = manifest.rows_of(OPPORTUNITIES_TABLE)
    again = run_cli("--data-dir", data_dir, "demo", "--rows", "3000", "--seed", "2", "--end-date", "2025-03-31",
                    "--mode", "append")
    assert again.returncode == 0, again.stderr
    assert SnapshotStore(data_dir).manifest().rows_of(OPPORTUNITIES_TABLE) == deals


def test_if_empty_keeps_a_store_that_holds_only_deals(tmp_path):
    """A store with deals but no sales lines is not empty: --if-empty must not replace it."""
    data_dir = tmp_path / "store"
    path = tmp_path / "deals.csv"
    path.write_text("opportunity_id,deal_stage,engage_date,close_date,close_value\nD1,Won,2024-01-05,2024-02-01,10\n",
                    encoding="utf-8")
    assert run_cli("--data-dir", data_dir, "ingest", path, "--dataset", "pipeline").returncode == 0
    before = SnapshotStore(data_dir).manifest()
    done = run_cli("--data-dir", data_dir, "demo", "--rows", "500", "--if-empty")
    assert done.returncode == 0 and "no demo generated" in done.stdout
    assert SnapshotStore(data_dir).manifest().version == before.version
