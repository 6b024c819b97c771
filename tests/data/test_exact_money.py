"""Exact money: a file whose amounts carry 3-4 decimals sums to the cent of ``Decimal`` arithmetic,
through the whole path (ingest -> store -> data layer -> REST), rounded once at the end.

Before exact money each line was rounded to cents at ingest and the cost of a file that gives
gross profit was rounded separately, so totals drifted by shillings; ``test_the_old_rounding_drifts``
keeps the figure that proves this file could fail."""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import requests

from data import service
from data.engines.duckdb_engine import DuckDBEngine
from data.filters import Filters
from data.queries import breakdown, customer_profiles, summary
from ingest.pipeline import ingest_file
from tests.live import running_app

LINES = 10_000
CENT = Decimal("0.01")
LINES_OF_PRODUCT = ("Cement", "Paints & Finishes", "Plumbing", "Electrical", "Tools & Hardware")


def _amount(rng: random.Random, low: int, high: int) -> Decimal:
    """A KSh amount with 3 or 4 decimals, as computed discounts and unit price x quantity give."""
    places = rng.choice((3, 4))
    return Decimal(rng.randint(low * 10**places, high * 10**places)) / Decimal(10**places)


def _source(rng: random.Random) -> list[dict[str, object]]:
    rows = []
    for i in range(LINES):
        revenue = _amount(rng, 50, 250_000)
        if rng.random() < 0.03:  # returns: negative quantity, revenue and profit
            revenue = -revenue
        profit = (revenue * Decimal(rng.randint(-50, 450)) / Decimal(1000)).quantize(Decimal("0.0001"))
        rows.append({
            "Date": (dt.date(2025, 1, 1) + dt.timedelta(days=i % 180)).isoformat(),
            "Invoice": f"INV-{i // 3}",
            "Branch": rng.choice(("Nairobi CBD", "Mombasa", "Kisumu")),
            "Product Line": rng.choice(LINES_OF_PRODUCT),
            "Item": f"Item {rng.randint(1, 60)}",
            "Salesperson": f"Person {rng.randint(1, 12)}",
            "Customer": f"Customer {rng.randint(1, 400):03d}",
            "Qty": -1 if revenue < 0 else rng.randint(1, 20),
            "Net Sales": revenue,
            "Gross Profit": profit,
        })
    return rows


def _write_csv(rows: list[dict[str, object]], path: Path) -> None:
    header = list(rows[0])
    lines = [",".join(header)] + [",".join(f'"{r[h]}"' for h in header) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _totals(rows: list[dict[str, object]], key: str | None = None) -> dict[str, dict[str, Decimal]]:
    out: dict[str, dict[str, Decimal]] = {}
    for r in rows:
        group = out.setdefault(str(r[key]) if key else "all", {"revenue": Decimal(0), "gross_profit": Decimal(0)})
        group["revenue"] += r["Net Sales"]  # type: ignore[operator]
        group["gross_profit"] += r["Gross Profit"]  # type: ignore[operator]
    return out


def _cent(value: Decimal) -> float:
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


@pytest.fixture(scope="module")
def exact_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, object]]]:
    rows = _source(random.Random(20261201))
    folder = tmp_path_factory.mktemp("exact-money")
    _write_csv(rows, folder / "lines.csv")
    result = ingest_file(folder / "lines.csv", data_dir=folder / "store", mode="replace")
    assert result.ok, result.report.text()
    return folder / "store", rows


@pytest.fixture
def exact_engine(exact_store):
    engine = DuckDBEngine(exact_store[0])
    service.configure(engine)
    yield engine
    engine.close()


def test_totals_equal_decimal_sums_rounded_once(exact_store, exact_engine):
    _, rows = exact_store
    want = _totals(rows)["all"]
    got = summary(Filters()).row(0, named=True)
    assert got["revenue"] == _cent(want["revenue"])
    assert got["gross_profit"] == _cent(want["gross_profit"])
    assert got["cost"] == _cent(want["revenue"] - want["gross_profit"])


@pytest.mark.parametrize(("key", "dimension"), [("Product Line", "product_line"), ("Customer", "customer")])
def test_group_totals_equal_decimal_sums(exact_store, exact_engine, key, dimension):
    _, rows = exact_store
    want = _totals(rows, key)
    frame = customer_profiles(Filters()) if dimension == "customer" else breakdown(Filters(), dimension)
    got = {r[dimension]: r for r in frame.iter_rows(named=True)}
    assert set(got) == set(want)
    for name, sums in want.items():
        assert got[name]["revenue"] == _cent(sums["revenue"]), name
        assert got[name]["gross_profit"] == _cent(sums["gross_profit"]), name


def test_rest_gives_the_same_exact_figures(exact_store):
    data_dir, rows = exact_store
    want_all, by_line = _totals(rows)["all"], _totals(rows, "Product Line")
    by_customer = _totals(rows, "Customer")
    with running_app(data_dir, workers=1) as url, requests.Session() as http:
        summary_doc = http.get(f"{url}/api/kpis/summary", timeout=30).json()["data"]
        lines_doc = http.get(f"{url}/api/kpis/product-lines", timeout=30).json()["data"]
        customers_doc = http.get(f"{url}/api/kpis/customers?limit=10000", timeout=30).json()["data"]
    assert summary_doc["metrics"]["revenue"]["value"] == _cent(want_all["revenue"])
    assert summary_doc["metrics"]["grossProfit"]["value"] == _cent(want_all["gross_profit"])
    assert {r["productLine"]: r["grossProfit"] for r in lines_doc} == \
        {k: _cent(v["gross_profit"]) for k, v in by_line.items()}
    assert {r["customer"]: r["grossProfit"] for r in customers_doc} == \
        {k: _cent(v["gross_profit"]) for k, v in by_customer.items()}


def test_the_old_rounding_drifts(exact_store):
    """What per-line cent rounding of revenue and of (revenue - profit) gave: shillings off."""
    _, rows = exact_store
    revenue = sum(r["Net Sales"].quantize(CENT, rounding=ROUND_HALF_UP) for r in rows)  # type: ignore[union-attr]
    cost = sum((r["Net Sales"] - r["Gross Profit"]).quantize(CENT, rounding=ROUND_HALF_UP)  # type: ignore[operator]
               for r in rows)
    exact = _totals(rows)["all"]["gross_profit"]
    assert abs((revenue - cost) - exact) > Decimal(1)
