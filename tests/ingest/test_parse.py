"""Strings -> typed values: money formats, date formats, optional dimensions, derived cost."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from ingest.mapping import Mapping
from ingest.parse import parse_dates, parse_frame, parse_numbers


def numbers(values: list[str | None], decimal: str = ".", thousands: str = ",") -> list[float | None]:
    return parse_numbers(pl.Series("v", values, dtype=pl.String), decimal, thousands).to_list()


def test_money_with_prefixes_separators_and_signs():
    raw = ["12500", "12,500.00", "KSh 12,500.50", "KES1,234,567.8", "Ksh. 7", "-KSh 1,000", "KSh -1,000",
           "(2,000.00)", " 3.5 ", "1e3", "+4", ".5"]
    assert numbers(raw) == [12500, 12500, 12500.5, 1234567.8, 7, -1000, -1000, -2000, 3.5, 1000, 4, 0.5]


@pytest.mark.parametrize("bad", ["12,4x", "1,5", "12,34,567", "abc", "1.2.3", "KSh", "--5", "5-"])
def test_non_numbers_are_null(bad):
    assert numbers([bad]) == [None]


def test_decimal_comma_rules():
    assert numbers(["1.234,56", "-0,5", "KSh 1.000", "7"], decimal=",", thousands=".") == [1234.56, -0.5, 1000, 7]
    assert numbers(["1 234,5", "1\u00a0234,5"], decimal=",", thousands=" ") == [1234.5, 1234.5]
    assert numbers(["1,234.56"], decimal=",", thousands=".") == [None]


@pytest.mark.parametrize(("decimal", "thousands"), [(".", ","), (",", "."), (",", " "), (".", "")])
def test_a_column_of_plain_numbers_reads_as_each_value_alone(decimal, thousands):
    # A column the number pattern reads as it is skips the cleaning; one messy value sends the
    # whole column through it. Each value alone takes whichever path it needs: all must agree.
    values = ["12500", "1,234.5", "1.234,5", "1 234,5", "-3", "+4", ".5", "7.", "1e3", "00012", "",
              None, "KSh 1,000", "(2,000.00)", " 8 ", "1,5", "x"]
    alone = [numbers([v], decimal, thousands)[0] for v in values]
    assert numbers(values, decimal, thousands) == alone


def test_typed_numbers_pass_through():
    assert parse_numbers(pl.Series("v", [1, 2]), ".", ",").to_list() == [1.0, 2.0]


@pytest.mark.parametrize(
    ("values", "fmt"),
    [
        (["2024-01-05", "2024-12-31"], "%Y-%m-%d"),
        (["05/01/2024", "31/12/2024"], "%d/%m/%Y"),
        (["05.01.2024", "31.12.2024"], "%d.%m.%Y"),
        (["2024-01-05 13:45:00", "2024-12-31 00:00:00"], "%Y-%m-%d %H:%M:%S"),
        (["05-Jan-2024", "31-Dec-2024"], "%d-%b-%Y"),
    ],
)
def test_auto_detects_date_formats(values, fmt):
    dates, used = parse_dates(pl.Series(values), None, "csv")
    assert used == fmt
    assert dates.to_list() == [dt.date(2024, 1, 5), dt.date(2024, 12, 31)]


def test_day_first_is_preferred_and_month_first_only_when_needed():
    dates, used = parse_dates(pl.Series(["01/02/2024", "03/04/2024"]), None, "csv")
    assert used == "%d/%m/%Y" and dates[0] == dt.date(2024, 2, 1)
    dates, used = parse_dates(pl.Series(["01/13/2024", "12/31/2024"]), None, "csv")
    assert used == "%m/%d/%Y" and dates[0] == dt.date(2024, 1, 13)


def test_mapping_format_is_strict():
    dates, _ = parse_dates(pl.Series(["05-01-24", "2024-01-05"]), "%d-%m-%y", "csv")
    assert dates.to_list() == [dt.date(2024, 1, 5), None]


def test_excel_date_cells_are_accepted_alongside_the_mapping_format():
    dates, _ = parse_dates(pl.Series(["05-01-24", "2024-01-06 00:00:00"]), "%d-%m-%y", "xlsx")
    assert dates.to_list() == [dt.date(2024, 1, 5), dt.date(2024, 1, 6)]


def _raw(**columns: list[str | None]) -> pl.DataFrame:
    return pl.DataFrame({k: pl.Series(v, dtype=pl.String) for k, v in columns.items()})


def test_optional_dims_default_and_cost_derived_from_gross_profit():
    raw = _raw(sale_date=["2024-01-05", "2024-01-06"], branch=["Nairobi", " Thika "], product_line=["A", "B"],
               salesperson=["Jane", "  "], quantity=["1", "2"], revenue=["100", "KSh 1,000"],
               gross_profit=["25", "-50"], invoice_id=["", "INV-9"])
    parsed = parse_frame(raw, pl.Series([2, 3]), Mapping(), "csv", "line")
    assert parsed.problems == []
    frame = parsed.frame
    assert frame["branch"].to_list() == ["Nairobi", "Thika"]
    assert frame["salesperson"].to_list() == ["Jane", "Unassigned"]
    assert frame["customer"].to_list() == ["Unassigned", "Unassigned"]
    assert frame["item_group"].to_list() == ["Unassigned", "Unassigned"]
    assert frame["invoice_id"].to_list() == [None, "INV-9"]
    assert frame["cost"].to_list() == [75.0, 1050.0]


def test_parse_problems_name_column_lines_and_raw_values():
    raw = _raw(sale_date=["2024-01-05", "5th Jan", ""], branch=["N", "N", "N"], product_line=["A", "", "A"],
               quantity=["1", "1", "x"], revenue=["12,4x", "10", "1,5"], cost=["1", "1", "1"])
    parsed = parse_frame(raw, pl.Series([2, 1204, 9]), Mapping(), "csv", "line")
    found = {(p.column, p.check): p for p in parsed.problems}
    assert found["sale_date", "date_format"].examples == [(1204, "5th Jan")]
    assert found["sale_date", "missing_value"].examples == [(9, "")]
    assert found["product_line", "missing_value"].examples == [(1204, "")]
    assert found["quantity", "number_format"].examples == [(9, "x")]
    revenue = found["revenue", "number_format"]
    assert revenue.count == 2 and revenue.examples == [(2, "12,4x"), (9, "1,5")]
    assert "decimal comma?" in revenue.message
    assert parsed.bad.to_list() == [True, True, True]
