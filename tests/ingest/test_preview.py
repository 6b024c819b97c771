"""The Data page's preview and mapping: what ``mauzo ingest`` itself detects, and a downloaded TOML
that the CLI loads to the very same result as the page's mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.mapping import MappingError, load_mapping
from ingest.opportunities_mapping import load_pipeline_mapping
from ingest.pipeline import ingest_file
from ingest.preview import mapping_document, preview_file, rules, to_toml
from ingest.source import ReadError
from tests.ingest.conftest import run_cli, store_state

SWAHILI = ("Tarehe;Tawi;Aina;Muuzaji;Mteja;Idadi;Mauzo;Gharama;Maoni\n"
           "05/01/2024;Nairobi;Cement;Jane Wanjiku;Acme Ltd;10;12.500,00;10.000,00;é\n"
           "06/01/2024;Mombasa;Paint;Ali Hassan;Walk-in;2;3.400,50;2.100,25;ok\n"
           "13/01/2024;Kisumu;Roofing;Otieno;Lakeside;-1;-850,00;-600,00;\n")
COLUMNS = {"Tarehe": "sale_date", "Tawi": "branch", "Aina": "product_line", "Muuzaji": "salesperson",
           "Mteja": "customer", "Idadi": "quantity", "Mauzo": "revenue", "Gharama": "cost"}


@pytest.fixture
def swahili(tmp_path: Path) -> Path:
    path = tmp_path / "mauzo.csv"
    path.write_bytes(SWAHILI.encode("cp1252"))
    return path


def test_the_preview_detects_what_the_ingest_detects(swahili, tmp_path):
    preview = preview_file(swahili, "sales")
    assert preview.headers == list(SWAHILI.split("\n")[0].split(";"))
    assert preview.encoding == "cp1252" and preview.delimiter == ";"
    assert preview.rows[0][0] == "05/01/2024" and preview.rows[0][-1] == "é" and len(preview.rows) == 3
    assert all(target is None for target in preview.plan.values())  # no spelling it knows
    assert {p.column for p in preview.problems if p.check == "missing_column"} == {
        "sale_date", "branch", "product_line", "quantity", "revenue", "cost"}
    doc = mapping_document("sales", COLUMNS, decimal=",")
    mapped = preview_file(swahili, "sales", doc)
    assert mapped.plan == {**COLUMNS, "Maoni": None}
    assert mapped.date_formats == {"sale_date": "%d/%m/%Y"}
    facts = ingest_file(swahili, data_dir=tmp_path / "store", mapping=rules("sales", doc), dry_run=True).report
    assert facts.status == "dry_run"
    assert (facts.facts["encoding"], facts.facts["delimiter"]) == (mapped.encoding, mapped.delimiter)
    assert f"date format {mapped.date_formats['sale_date']}" in facts.notes
    assert facts.facts["columns"] == {v: k for k, v in COLUMNS.items()}


def test_recognised_headers_are_planned_like_the_cli(tmp_path):
    path = tmp_path / "erp.csv"
    path.write_text("Order Date,Branch,Product Line,Qty,Net Sales,Amount,GP\n2024-01-05,Nairobi,Cement,1,5,5,1\n")
    preview = preview_file(path, "sales")
    assert preview.plan["Order Date"] == "sale_date" and preview.plan["GP"] == "gross_profit"
    assert preview.plan["Net Sales"] is None and preview.plan["Amount"] is None  # ambiguous: not guessed
    assert [(p.column, p.check) for p in preview.problems] == [("revenue", "ambiguous_column"),
                                                               ("revenue", "missing_column")]  # as the CLI says
    chosen = preview_file(path, "sales", mapping_document("sales", {"Net Sales": "revenue"}))
    assert chosen.plan["Net Sales"] == "revenue" and chosen.plan["Amount"] is None and not chosen.problems


def test_a_big_csv_is_previewed_from_its_start(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("Date,Branch,Category,Qty,Net Sales,Cost\n" + "2024-01-05,Nairobi,Cement,1,5,4\n" * 100_000)
    preview = preview_file(path, "sales", limit=64 * 1024)
    assert preview.partial and len(preview.rows) == 10 and preview.plan["Category"] == "product_line"


def test_garbage_is_refused_with_the_readers_problem(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 10)
    with pytest.raises(ReadError, match="PDF"):
        preview_file(path, "sales")


def test_a_mapping_the_cli_would_refuse_is_refused():
    with pytest.raises(MappingError, match="several source columns"):
        mapping_document("sales", {"A": "revenue", "B": "revenue"})
    with pytest.raises(MappingError, match="not a canonical column"):
        mapping_document("sales", {"A": "profit_margin"})
    with pytest.raises(MappingError, match="not an opportunity column"):
        mapping_document("pipeline", {"A": "revenue"})


def test_the_downloaded_toml_gives_the_cli_the_same_result(swahili, tmp_path):
    doc = mapping_document("sales", COLUMNS, decimal=",", delimiter=";", encoding="cp1252", date_format="%d/%m/%Y")
    toml = tmp_path / "mapping.toml"
    toml.write_text(to_toml(doc, "Mauzo column mapping for mauzo.csv"), encoding="utf-8")
    assert load_mapping(toml) == rules("sales", doc)
    page = ingest_file(swahili, data_dir=tmp_path / "page", mapping=rules("sales", doc))
    cli = run_cli("--data-dir", tmp_path / "cli", "ingest", swahili, "--mapping", toml)
    assert page.status == "ok" and cli.returncode == 0, cli.stderr
    assert store_state(tmp_path / "page")[1] == store_state(tmp_path / "cli")[1]
    assert len(store_state(tmp_path / "cli")[1]) == 3


def test_any_header_survives_the_toml(tmp_path):
    odd = {'Tarehe "ya" mauzo': "sale_date", "Tawi\\Branch": "branch", "Aina\x7f\ttab": "product_line",
           "Ñame é ü": "customer"}
    doc = mapping_document("sales", odd)
    toml = tmp_path / "odd.toml"
    toml.write_text(to_toml(doc), encoding="utf-8")
    assert load_mapping(toml).columns == odd


def test_a_pipeline_mapping_round_trips(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text("Deal,Agent,Hatua,Thamani\nD1,Jane,Won,100\n", encoding="utf-8")
    preview = preview_file(path, "pipeline")
    assert preview.plan["Agent"] == "salesperson" and preview.plan["Deal"] is None
    doc = mapping_document("pipeline", {"Deal": "opportunity_id", "Hatua": "stage", "Thamani": "value"})
    assert preview_file(path, "pipeline", doc).plan == {"Deal": "opportunity_id", "Agent": "salesperson",
                                                       "Hatua": "stage", "Thamani": "value"}
    toml = tmp_path / "crm.toml"
    toml.write_text(to_toml(doc), encoding="utf-8")
    assert load_pipeline_mapping(toml) == rules("pipeline", doc, tmp_path)


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
def test_workbooks_and_parquet_are_previewed_by_the_same_readers(tmp_path, suffix):
    import datetime as dt

    import polars as pl

    frame = pl.DataFrame({"Order Date": [dt.date(2025, 1, 5), dt.date(2025, 1, 6)], "Branch": ["Nairobi", "Kisumu"],
                          "Product Line": ["Cement", "Paint"], "Qty": [1.0, 2.0], "Net Sales": [10.0, 20.0],
                          "Cost": [5.0, 9.0]})
    path = tmp_path / f"sales{suffix}"
    frame.write_excel(path) if suffix == ".xlsx" else frame.write_parquet(path)
    preview = preview_file(path, "sales")
    assert preview.kind == suffix.lstrip(".") and preview.headers == frame.columns
    assert preview.plan["Order Date"] == "sale_date" and not preview.problems
    assert preview.rows[1][1] == "Kisumu" and preview.encoding is None
    assert ingest_file(path, data_dir=tmp_path / "store", dry_run=True).status == "dry_run"
