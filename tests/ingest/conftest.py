"""Fixtures for ingest tests: small files written in tmp_path and a store with known contents."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from data.store import SnapshotStore
from ingest.pipeline import ingest_file

REPO_ROOT = Path(__file__).resolve().parents[2]
HEADER = "Order Date,Branch,Product Line,Item Name,Sales Person,Customer,Qty,Net Sales,Cost,Invoice No"
BASE_LINES = [
    "2024-01-05,Nairobi,Cement,Bamburi 50kg,Jane Wanjiku,Acme Ltd,10,12500.00,10000.00,INV-1",
    "2024-01-06,Mombasa,Paint,Crown 4L,Ali Hassan,Walk-in,2,3400.50,2100.25,INV-2",
    "2024-01-07,Kisumu,Roofing,Mabati 3m,Otieno Ouma,Lakeside Hardware,-1,-850.00,-600.00,CN-3",
]


def store_state(data_dir: Path) -> tuple[str | None, list[tuple]]:
    """The data version and every stored row, read straight from the snapshot file."""
    manifest = SnapshotStore(data_dir).manifest()
    if manifest is None:
        return None, []
    con = duckdb.connect(str(data_dir / manifest.snapshot), read_only=True)
    try:
        rows = con.sql("SELECT * EXCLUDE (batch_id) FROM sales ORDER BY ALL").fetchall()
    finally:
        con.close()
    return manifest.version, rows


def run_cli(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real ``mauzo`` entry point (``python -m ingest.cli``) from the repo root."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([sys.executable, "-m", "ingest.cli", *map(str, args)], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[..., Path]:
    """write_file(name, text_or_bytes, encoding="utf-8") -> path in tmp_path."""
    def write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path
    return write


def csv_text(lines: list[str], header: str = HEADER, newline: str = "\n") -> str:
    return newline.join([header, *lines]) + newline


@pytest.fixture
def base_store(tmp_path: Path) -> Path:
    """A store holding the three BASE_LINES, ingested through the real pipeline."""
    data_dir = tmp_path / "store"
    source = tmp_path / "base.csv"
    source.write_text(csv_text(BASE_LINES), encoding="utf-8")
    result = ingest_file(source, data_dir=data_dir, mode="replace")
    assert result.ok, result.report.text()
    return data_dir


CRM_CSV = REPO_ROOT.parent / "shared" / "datasets" / "crm-sales-opportunities" / "sales_pipeline.csv"


@pytest.fixture
def crm_csv() -> Path:
    """The public CRM sales-pipeline export (8,800 deals); skipped when ../shared is absent."""
    if not CRM_CSV.is_file():
        pytest.skip(f"public dataset not available at {CRM_CSV}")
    return CRM_CSV


@pytest.fixture
def crm_mapping(tmp_path: Path) -> Callable[..., Path]:
    """Mapping for the CRM export: one row per deal, no branch, quantity or cost in the file."""
    def build(with_filter: bool) -> Path:
        text = """
date_format = "%Y-%m-%d"
[columns]
close_date = "sale_date"
close_value = "revenue"
sales_agent = "salesperson"
account = "customer"
product = "product_line"
opportunity_id = "invoice_id"
[constants]
branch = "CRM"
quantity = 1
cost = 0
"""
        if with_filter:
            text += '[filter]\ndeal_stage = ["Won"]\n'
        path = tmp_path / f"crm-{with_filter}.toml"
        path.write_text(text, encoding="utf-8")
        return path
    return build


@pytest.fixture
def state() -> Callable[[Path], tuple[str | None, list[tuple]]]:
    return store_state


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_cli


@pytest.fixture
def make_csv() -> Callable[..., str]:
    return csv_text
