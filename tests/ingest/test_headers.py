"""Common header spellings are recognised; explicit mappings win; ambiguity is refused."""

from __future__ import annotations

import pytest

from ingest.headers import normalise, plan_columns, recognise


@pytest.mark.parametrize(
    ("header", "canonical"),
    [
        ("SalesPerson", "salesperson"), ("Sales Person", "salesperson"), ("sales_person", "salesperson"),
        ("SlpName", "salesperson"), ("CardName", "customer"), ("Customer Name", "customer"),
        ("ProductLine", "product_line"), ("Product line", "product_line"), ("product_line", "product_line"),
        ("Branch", "branch"), ("Order Date", "sale_date"), ("Invoice Date", "sale_date"),
        ("Item Name", "item_name"), ("Item Group", "item_group"), ("Qty", "quantity"),
        ("Net Sales", "revenue"), ("Net Sales (KSh)", "revenue"), ("Amount", "revenue"), ("Cost", "cost"),
        ("Gross Profit", "gross_profit"), ("GP", "gross_profit"), ("Invoice No", "invoice_id"),
        ("Invoice No.", "invoice_id"), ("INVOICE-NUMBER", "invoice_id"),
    ],
)
def test_recognised_spellings(header, canonical):
    assert recognise(header) == canonical


@pytest.mark.parametrize("header", ["Remarks", "Unit Price", "Margin %", ""])
def test_unrelated_headers_are_not_recognised(header):
    assert recognise(header) is None


def test_normalise_drops_case_space_punctuation_and_currency():
    assert normalise(" Net_Sales (KES) ") == "netsales"
    assert normalise("KSh") == "ksh"  # a bare currency word is kept, not emptied


def test_plan_uses_mapping_first_and_ignores_the_rest():
    plan = plan_columns(["Posting", "Branch", "Remarks", "Amount"], {"Posting": "sale_date"})
    assert plan.sources == {"sale_date": "Posting", "branch": "Branch", "revenue": "Amount"}
    assert plan.ignored == ["Remarks"]
    assert plan.problems == []


def test_mapping_target_overrides_a_recognised_header():
    plan = plan_columns(["Date", "Value Date"], {"Value Date": "sale_date"})
    assert plan.sources == {"sale_date": "Value Date"}
    assert plan.ignored == ["Date"]


def test_two_columns_for_one_meaning_are_refused():
    plan = plan_columns(["Amount", "Net Sales", "Branch"])
    assert [p.check for p in plan.problems] == ["ambiguous_column"]
    assert "Amount" in plan.problems[0].message and "Net Sales" in plan.problems[0].message
    assert "revenue" not in plan.sources


def test_mapping_naming_an_absent_column_is_a_problem():
    plan = plan_columns(["Branch"], {"Outlet": "branch"})
    assert [p.check for p in plan.problems] == ["mapping_column_missing"]
