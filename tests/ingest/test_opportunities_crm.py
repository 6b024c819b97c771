"""The public CRM data set in ../shared loads with the shipped mapping (examples/crm-opportunities.toml);
the figures are read back from the store and compared with the files themselves."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from data.schema import MONEY_SCALE, OPPORTUNITIES_TABLE, UNASSIGNED
from data.store import SnapshotStore
from ingest.opportunities_ingest import ingest_opportunities
from ingest.opportunities_mapping import load_pipeline_mapping
from tests.ingest.conftest import REPO_ROOT, run_cli

CRM = REPO_ROOT.parent / "shared" / "datasets" / "crm-sales-opportunities"
EXAMPLE = REPO_ROOT / "examples" / "crm-opportunities.toml"


@pytest.fixture(scope="module")
def crm() -> Path:
    if not (CRM / "sales_pipeline.csv").is_file():
        pytest.skip(f"public CRM data set not available at {CRM}")
    return CRM


@pytest.fixture(scope="module")
def raw(crm: Path) -> pl.DataFrame:
    """The pipeline file as written, for independent figures."""
    return pl.read_csv(crm / "sales_pipeline.csv", infer_schema=False)


@pytest.fixture(scope="module")
def loaded(crm: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame]:
    """The real CLI loads the data set into a fresh store; returns the store and its deals."""
    data_dir = tmp_path_factory.mktemp("crm-store")
    done = run_cli("--data-dir", data_dir, "ingest", crm / "sales_pipeline.csv", "--dataset", "pipeline",
                   "--mapping", EXAMPLE, "--mode", "replace")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ingested 8,800 rows from sales_pipeline.csv")
    manifest = SnapshotStore(data_dir).manifest()
    con = duckdb.connect(str(data_dir / manifest.snapshot), read_only=True)
    try:
        deals = con.sql(f"SELECT * FROM {OPPORTUNITIES_TABLE}").pl()
    finally:
        con.close()
    return data_dir, deals


def test_counts_and_won_value_match_the_data_set(loaded, raw):
    data_dir, deals = loaded
    stages = dict(raw["deal_stage"].value_counts().iter_rows())
    outcomes = dict(deals["outcome"].value_counts().iter_rows())
    assert deals.height == raw.height == 8_800
    open_stages = stages["Engaging"] + stages["Prospecting"]
    assert outcomes == {"won": stages["Won"], "lost": stages["Lost"], "open": open_stages}
    assert outcomes == {"won": 4_238, "lost": 2_473, "open": 2_089}
    won_value = deals.filter(pl.col("outcome") == "won")["value_e4"].sum()
    assert won_value == raw.filter(pl.col("deal_stage") == "Won")["close_value"].cast(pl.Int64).sum() * MONEY_SCALE
    assert won_value == 10_005_534 * MONEY_SCALE
    assert round(100 * outcomes["won"] / (outcomes["won"] + outcomes["lost"]), 2) == 63.15
    assert SnapshotStore(data_dir).manifest().rows_of(OPPORTUNITIES_TABLE) == 8_800


def test_real_world_mess_is_handled_as_documented(loaded, raw):
    _, deals = loaded
    # GTXPro is GTX Pro (alias), so every product has its series as product line.
    assert "GTXPro" not in deals["product"].to_list()
    assert deals.filter(pl.col("product") == "GTX Pro").height == raw.filter(pl.col("product") == "GTXPro").height
    assert set(deals["product_line"]) == {"GTX", "MG", "GTK"}
    assert set(deals["branch"]) == {"Central", "East", "West"} and UNASSIGNED not in set(deals["manager"])
    assert "technolgy" in set(deals["sector"])  # kept as spelt
    no_account = deals.filter(pl.col("customer") == UNASSIGNED)
    assert no_account.height == raw["account"].null_count() == 1_425
    assert set(no_account["outcome"]) == {"open"} and set(no_account["sector"]) == {UNASSIGNED}
    # Open deals: valued at the list price; prospects have no engage date, hence no activity date.
    opened = deals.filter(pl.col("outcome") == "open")
    assert opened["close_date"].null_count() == opened.height and opened["value_e4"].null_count() == 0
    assert opened["activity_date"].null_count() == raw.filter(pl.col("deal_stage") == "Prospecting").height


def test_per_agent_win_rates_and_median_cycles_equal_polars_on_the_file(loaded, raw):
    _, deals = loaded
    closed = raw.filter(pl.col("deal_stage").is_in(["Won", "Lost"])).with_columns(
        (pl.col("close_date").str.to_date() - pl.col("engage_date").str.to_date()).dt.total_days().alias("days"))
    expected = closed.group_by("sales_agent").agg(
        ((pl.col("deal_stage") == "Won").sum() / pl.len()).alias("win_rate"),
        pl.col("days").median().alias("cycle")).sort("sales_agent")
    got = deals.filter(pl.col("outcome") != "open").group_by("salesperson").agg(
        ((pl.col("outcome") == "won").sum() / pl.len()).alias("win_rate"),
        pl.col("cycle_days").median().alias("cycle")).sort("salesperson")
    assert got.rename({"salesperson": "sales_agent"}).equals(expected)


def test_without_the_alias_gtxpro_is_reported_and_nothing_written(crm, tmp_path):
    text = EXAMPLE.read_text(encoding="utf-8")
    text = "\n".join(line for line in text.splitlines() if not line.startswith("aliases"))
    text = text.replace('lookup_dir = "../../shared/datasets/crm-sales-opportunities"', f'lookup_dir = "{crm}"')
    mapping = tmp_path / "no-alias.toml"
    mapping.write_text(text, encoding="utf-8")
    result = ingest_opportunities(crm / "sales_pipeline.csv", data_dir=tmp_path / "store", mapping=mapping)
    assert result.exit_code == 2
    (found,) = result.report.problems
    assert found.check == "lookup_unmatched" and found.message.startswith('product "GTXPro" not in products.csv')
    assert found.count == 1_480 and found.examples[0] == (3, "GTXPro")
    assert SnapshotStore(tmp_path / "store").manifest() is None


def test_example_mapping_is_valid_and_points_at_the_data_set(crm):
    mapping = load_pipeline_mapping(EXAMPLE)
    assert {lookup.path for lookup in mapping.lookups} == {crm.resolve() / f for f in
                                                            ("sales_teams.csv", "products.csv", "accounts.csv")}
