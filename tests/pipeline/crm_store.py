"""A real store holding the public CRM data set (../shared/datasets/crm-sales-opportunities),
built here with Polars straight from the CSV files, independently of ``mauzo ingest``, so the
pipeline analytics are checked against figures computed another way."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from data.schema import MONEY_SCALE, OPPORTUNITIES_TABLE, UNASSIGNED
from data.store import IngestRecord, SnapshotStore

CRM = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "crm-sales-opportunities"


def crm_frame() -> pl.DataFrame:
    """The opportunities in storage schema: regional office as branch, product series as line."""
    if not (CRM / "sales_pipeline.csv").exists():
        pytest.skip(f"the CRM data set is not at {CRM} (shared/ is missing)")
    deals = pl.read_csv(CRM / "sales_pipeline.csv", try_parse_dates=True)
    teams = pl.read_csv(CRM / "sales_teams.csv")
    products = pl.read_csv(CRM / "products.csv").with_columns(pl.col("product").str.replace_all(" ", ""))
    accounts = pl.read_csv(CRM / "accounts.csv")
    frame = (
        deals.with_columns(pl.col("product").str.replace_all(" ", "").alias("product_key"))
        .join(teams, on="sales_agent", how="left")
        .join(products.rename({"product": "product_key"}), on="product_key", how="left")
        .join(accounts.select("account", "sector"), on="account", how="left")
    )
    outcome = (pl.when(pl.col("deal_stage") == "Won").then(pl.lit("won"))
               .when(pl.col("deal_stage") == "Lost").then(pl.lit("lost")).otherwise(pl.lit("open")))
    return frame.select(
        pl.col("opportunity_id"),
        pl.col("sales_agent").alias("salesperson"),
        pl.col("manager"),
        pl.col("regional_office").alias("branch"),
        pl.col("product"),
        pl.col("series").alias("product_line"),
        pl.col("account").fill_null(UNASSIGNED).alias("customer"),
        pl.col("sector").fill_null(UNASSIGNED),
        pl.lit(UNASSIGNED).alias("lead_source"),
        pl.col("deal_stage").alias("stage"),
        outcome.alias("outcome"),
        pl.col("engage_date").cast(pl.Date),
        pl.col("close_date").cast(pl.Date),
        pl.coalesce(pl.col("close_date"), pl.col("engage_date")).cast(pl.Date).alias("activity_date"),
        (pl.col("close_date") - pl.col("engage_date")).dt.total_days().cast(pl.Int32).alias("cycle_days"),
        (pl.col("close_value").cast(pl.Int64) * MONEY_SCALE).alias("value_e4"),
    )


def build_crm_store(data_dir: Path) -> Path:
    frame = crm_frame()
    store = SnapshotStore(data_dir)
    with store.write(IngestRecord(file_name="sales_pipeline.csv", sha256="crm", mode="replace", rows=frame.height,
                                  table=OPPORTUNITIES_TABLE)) as writer:
        writer.append_frame(frame, table=OPPORTUNITIES_TABLE)
    return data_dir
