"""CSV and Excel downloads carry every row, with readable headers."""

from __future__ import annotations

import base64
import csv
import io

import openpyxl
import polars as pl

from components.exports import download_payload, export_frame, register_table
from data.filters import Filters
from data.queries import breakdown


def test_export_frame_labels_and_rounds():
    frame = pl.DataFrame({"branch": ["A"], "gross_profit": [1.23456], "margin_pct": [12.3456]})
    out = export_frame(frame)
    assert out.columns == ["Branch", "Gross profit (KSh)", "GP margin (%)"]
    assert out.row(0) == ("A", 1.23, 12.35)


def test_csv_download_has_all_rows(demo_engine):
    register_table("test-page", "test-customers", "Customers", lambda f: breakdown(f, "customer"))
    payload = download_payload("csv", "test-customers", Filters())
    rows = list(csv.DictReader(io.StringIO(payload["content"])))
    assert len(rows) == breakdown(Filters(), "customer").height
    assert payload["filename"].endswith(".csv")


def test_excel_workbook_has_a_sheet_per_table(demo_engine):
    register_table("test-xlsx", "test-branches", "Branches", lambda f: breakdown(f, "branch"))
    register_table("test-xlsx", "test-lines", "Product lines", lambda f: breakdown(f, "product_line"))
    payload = download_payload("xlsx", "test-xlsx", Filters.create(branch=["Mombasa"]))
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(payload["content"])))
    assert book.sheetnames == ["Filters", "Branches", "Product lines"]
    assert book["Branches"].max_row == 2  # header + Mombasa
    assert "branch Mombasa" in book["Filters"]["B2"].value


def test_text_that_looks_like_a_formula_stays_text_in_excel(demo_engine):
    register_table("test-formula", "test-evil", "Evil", lambda f: pl.DataFrame({"customer": ["=1+1", "@SUM(A1)"]}))
    payload = download_payload("xlsx", "test-formula", Filters())
    sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(payload["content"])))["Evil"]
    assert [sheet["A2"].value, sheet["A3"].value] == ["=1+1", "@SUM(A1)"]
    assert sheet["A2"].data_type == "s"
