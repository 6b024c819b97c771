"""``ingest_file`` end to end on real files and a real store: what lands, and what is refused."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from data import service
from data.engines.duckdb_engine import DuckDBEngine
from data.filters import Filters
from data.queries import summary
from data.schema import MONEY_SCALE
from ingest.pipeline import ingest_file


def _stored(cents: int) -> int:
    """An amount in cents as the store holds it (integers in 1/MONEY_SCALE KSh)."""
    return cents * MONEY_SCALE // 100


def _cents(frame: pl.DataFrame) -> dict[str, int]:
    cents = frame.select(
        (pl.col("revenue") * 100).round(0).cast(pl.Int64).sum().alias("revenue"),
        (pl.col("cost") * 100).round(0).cast(pl.Int64).sum().alias("cost"),
    ).row(0, named=True)
    return {"revenue": cents["revenue"], "gross_profit": cents["revenue"] - cents["cost"]}


def _as_export(frame: pl.DataFrame) -> pl.DataFrame:
    """The demo lines as an ERP would export them: other headers, KSh prefixes, thousands commas."""
    money = [f"KSh {v:,.2f}" for v in frame["revenue"]]
    return frame.select(
        pl.col("sale_date").dt.strftime("%d/%m/%Y").alias("Order Date"),
        pl.col("invoice_id").alias("Invoice No"),
        pl.col("branch").alias("Branch"),
        pl.col("product_line").alias("ProductLine"),
        pl.col("item_group").alias("Item Group"),
        pl.col("item_name").alias("Item Name"),
        pl.col("salesperson").alias("SalesPerson"),
        pl.col("customer").alias("CardName"),
        pl.col("quantity").alias("Qty"),
        pl.Series("Net Sales", money),
        (pl.col("revenue") - pl.col("cost")).round(2).map_elements(lambda v: f"{v:,.2f}", return_dtype=pl.String)
        .alias("Gross Profit"),
    )


def test_round_trip_matches_independent_polars_to_the_cent(tmp_path, demo_frame):
    source = tmp_path / "export.csv"
    text = _as_export(demo_frame).write_csv(line_terminator="\r\n")
    source.write_bytes(("\ufeff" + text).encode("utf-8"))
    result = ingest_file(source, data_dir=tmp_path / "store", mode="replace")
    assert result.ok, result.report.text()
    assert result.rows == demo_frame.height
    engine = DuckDBEngine(tmp_path / "store")
    service.configure(engine)
    try:
        got = summary(Filters()).row(0, named=True)
    finally:
        engine.close()
    want = _cents(demo_frame)
    assert round(got["revenue"] * 100) == want["revenue"]
    assert round(got["gross_profit"] * 100) == want["gross_profit"]
    assert got["lines"] == demo_frame.height


def test_stored_rows_hold_exactly_the_file_values(base_store, state):
    version, rows = state(base_store)
    assert version is not None
    assert rows == sorted([
        (dt.date(2024, 1, 5), "INV-1", "Nairobi", "Cement", "Unassigned", "Bamburi 50kg", "Jane Wanjiku",
         "Acme Ltd", 10.0, _stored(1250000), _stored(1000000)),
        (dt.date(2024, 1, 6), "INV-2", "Mombasa", "Paint", "Unassigned", "Crown 4L", "Ali Hassan", "Walk-in", 2.0,
         _stored(340050), _stored(210025)),
        (dt.date(2024, 1, 7), "CN-3", "Kisumu", "Roofing", "Unassigned", "Mabati 3m", "Otieno Ouma",
         "Lakeside Hardware", -1.0, _stored(-85000), _stored(-60000)),
    ])


GOOD = "2024-02-01,Nakuru,Cement,Bamburi 50kg,Jane Wanjiku,Acme Ltd,1,100.00,80.00,INV-9"


def _reject_cases() -> dict[str, tuple[bytes, str, dict]]:
    """name -> (file bytes, expected check, extra ingest_file kwargs)."""
    header = "Order Date,Branch,Product Line,Item Name,Sales Person,Customer,Qty,Net Sales,Cost,Invoice No"
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    def body(*lines: str) -> bytes:
        return ("\n".join([header, *lines]) + "\n").encode()
    return {
        "missing required column": (b"Order Date,Product Line,Qty,Net Sales,Cost\n2024-01-01,A,1,5,4\n",
                                    "missing_column", {}),
        "unparseable date": (body(GOOD, GOOD.replace("2024-02-01", "31/02/2024")), "date_format", {}),
        "date in the future": (body(GOOD, GOOD.replace("2024-02-01", future)), "not_in_future", {}),
        "non-numeric money": (body(GOOD, GOOD.replace("100.00", '"12,4x"')), "number_format", {}),
        "empty file": (b"", "empty_file", {}),
        "header only": (body(), "no_rows", {}),
        "blank lines only after header": (body("", "", ""), "no_rows", {}),
        "wrong delimiter": (body(GOOD).replace(b",", b";"), "delimiter", {"delimiter": ","}),
        "ambiguous delimiter": (b"a,b;c\n1,2;3\n", "delimiter", {}),
        "ragged row": (body(GOOD, GOOD + ",extra"), "field_count", {}),
        "empty required value": (body(GOOD, GOOD.replace("Nakuru", "")), "missing_value", {}),
        "no cost or gross profit": (b"Date,Branch,Product Line,Qty,Amount\n2024-01-01,N,A,1,5\n", "missing_column", {}),
        "undecodable for named encoding": ("Date\nCafé\n".encode("cp1252"), "encoding", {"encoding": "utf-8"}),
        "unsupported type": (b"x", "file_type", {"suffix": ".json"}),
        "bad mapping": (body(GOOD), "mapping", {"mapping_text": "date_fromat = '%d'"}),
        "date before 1990": (body(GOOD.replace("2024-02-01", "1989-12-31")), "not_before_1990", {}),
    }


@pytest.mark.parametrize("case", list(_reject_cases()))
def test_rejections_leave_previous_data_untouched(case, base_store, state, tmp_path):
    content, check, extra = _reject_cases()[case]
    path = tmp_path / f"bad{extra.pop('suffix', '.csv')}"
    path.write_bytes(content)
    if "mapping_text" in extra:
        mapping = tmp_path / "map.toml"
        mapping.write_text(extra.pop("mapping_text"), encoding="utf-8")
        extra["mapping"] = mapping
    before = state(base_store)
    result = ingest_file(path, data_dir=base_store, mode="replace", **extra)
    assert not result.ok
    assert result.exit_code == 2
    assert check in [p.check for p in result.report.problems], result.report.text()
    assert state(base_store) == before
    assert result.data_version == before[0]
    assert "nothing was written" in result.report.text()


def test_report_names_line_and_raw_value(base_store, tmp_path, make_csv):
    lines = [GOOD.replace("INV-9", f"INV-{i}") for i in range(1, 1300)]
    lines[1202] = lines[1202].replace("100.00", '"12,4x"')  # file line 1,204
    lines[1250] = lines[1250].replace("2024-02-01", "2024-13-01")
    path = tmp_path / "big.csv"
    path.write_text(make_csv(lines), encoding="utf-8")
    result = ingest_file(path, data_dir=base_store)
    text = result.report.text()
    assert 'line 1,204: revenue = "12,4x"' in text
    assert 'line 1,252: sale_date = "2024-13-01"' in text
    problem = next(p for p in result.report.problems if p.column == "revenue")
    assert (problem.count, problem.check) == (1, "number_format")


def test_many_failures_show_first_five_lines_and_a_count(base_store, tmp_path, make_csv):
    lines = [GOOD.replace("Nakuru", "") for _ in range(40)]
    path = tmp_path / "f.csv"
    path.write_text(make_csv(lines), encoding="utf-8")
    problem = ingest_file(path, data_dir=base_store).report.problems[0]
    assert problem.count == 40
    assert [line for line, _ in problem.examples] == [2, 3, 4, 5, 6]
    assert "... and 35 more" in "\n".join(problem.lines())


def test_crm_pipeline_export_unfiltered_is_rejected_with_line_numbers(base_store, state, crm_csv, crm_mapping):
    before = state(base_store)
    result = ingest_file(crm_csv, data_dir=base_store, mapping=crm_mapping(with_filter=False))
    assert result.exit_code == 2
    missing = next(p for p in result.report.problems if p.check == "missing_value")
    assert missing.column == "sale_date"
    assert missing.count == 2089  # deals still Engaging or Prospecting have no close date
    first_open = crm_first_open_line(crm_csv)
    assert missing.examples[0] == (first_open, "")
    assert state(base_store) == before


def test_crm_pipeline_export_won_deals_through_a_mapping(tmp_path, crm_csv, crm_mapping):
    result = ingest_file(crm_csv, data_dir=tmp_path / "crm", mapping=crm_mapping(with_filter=True), mode="replace")
    assert result.ok, result.report.text()
    won = pl.read_csv(crm_csv, infer_schema=False).filter(pl.col("deal_stage") == "Won")
    assert result.rows == won.height == 4238
    assert result.report.facts["filtered_rows"] == 8800 - 4238
    engine = DuckDBEngine(tmp_path / "crm")
    service.configure(engine)
    try:
        got = summary(Filters()).row(0, named=True)
    finally:
        engine.close()
    assert round(got["revenue"] * 100) == won["close_value"].cast(pl.Int64).sum() * 100


def crm_first_open_line(path) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if ",Engaging," in line or ",Prospecting," in line:
            return number
    raise AssertionError("no open deal")


def test_dry_run_validates_and_writes_nothing(base_store, state, tmp_path, make_csv):
    before = state(base_store)
    path = tmp_path / "ok.csv"
    path.write_text(make_csv([GOOD]), encoding="utf-8")
    result = ingest_file(path, data_dir=base_store, dry_run=True)
    assert result.ok and result.status == "dry_run" and result.rows == 1
    assert state(base_store) == before


def test_append_duplicate_refused_unless_forced_and_replace_replaces(base_store, state, tmp_path, make_csv):
    path = tmp_path / "more.csv"
    path.write_text(make_csv([GOOD]), encoding="utf-8")
    first = ingest_file(path, data_dir=base_store)
    assert first.ok and len(state(base_store)[1]) == 4
    before = state(base_store)
    again = ingest_file(path, data_dir=base_store)
    assert again.exit_code == 2 and again.report.problems[0].check == "duplicate_file"
    assert "--force" in again.report.text()
    assert state(base_store) == before
    forced = ingest_file(path, data_dir=base_store, force=True)
    assert forced.ok and len(state(base_store)[1]) == 5
    replaced = ingest_file(path, data_dir=base_store, mode="replace")
    assert replaced.ok and len(state(base_store)[1]) == 1


def test_base_file_can_be_appended_again_after_a_replace_removed_it(base_store, tmp_path, make_csv):
    other = tmp_path / "other.csv"
    other.write_text(make_csv([GOOD]), encoding="utf-8")
    assert ingest_file(other, data_dir=base_store, mode="replace").ok
    base = tmp_path / "base.csv"  # written by the base_store fixture; no longer in the current data
    assert ingest_file(base, data_dir=base_store).ok


def test_report_json_on_success_and_failure(base_store, tmp_path, make_csv):
    path = tmp_path / "ok.csv"
    path.write_text(make_csv([GOOD]), encoding="utf-8")
    result = ingest_file(path, data_dir=base_store)
    out = tmp_path / "report.json"
    result.report.write_json(out)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["status"] == "ok" and data["rows"] == 1 and data["problems"] == []
    assert data["sha256"] == result.sha256 and len(data["sha256"]) == 64
    assert data["data_version"] == result.data_version != data["previous_data_version"]
    assert data["seconds"] >= 0 and data["columns"]["revenue"] == "Net Sales"

    path.write_text(make_csv([GOOD.replace("100.00", "abc")]), encoding="utf-8")
    failed = ingest_file(path, data_dir=base_store)
    failed.report.write_json(out)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["status"] == "rejected"
    assert data["problems"] == [{"column": "revenue", "check": "number_format", "message": "not a number",
                                 "count": 1, "examples": [{"line": 2, "value": "abc"}]}]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_encodings_and_line_endings(encoding, newline, tmp_path, state, make_csv):
    lines = [GOOD.replace("Acme Ltd", "Café Olé £td"), "", GOOD.replace("Acme Ltd", '"Mwangi, Sons & ""Co"""')]
    path = tmp_path / "enc.csv"
    path.write_bytes(make_csv(lines, newline=newline).encode(encoding))
    result = ingest_file(path, data_dir=tmp_path / "s", mode="replace")
    assert result.ok, result.report.text()
    assert result.report.facts["encoding"] == encoding
    customers = sorted(row[7] for row in state(tmp_path / "s")[1])
    assert customers == ["Café Olé £td", 'Mwangi, Sons & "Co"']
    # line numbers survive every combination: break the third data line (file line 4)
    path.write_bytes(make_csv([*lines, GOOD.replace("Nakuru", "")], newline=newline).encode(encoding))
    problem = ingest_file(path, data_dir=tmp_path / "s", mode="replace").report.problems[0]
    assert problem.examples == [(5, "")]


def test_mapping_with_two_digit_years_decimal_comma_semicolon_and_cp1252(tmp_path, state):
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        'date_format = "%d-%m-%y"\ndecimal = ","\n'
        '[columns]\n"Tarehe" = "sale_date"\n"Tawi" = "branch"\n"Aina" = "product_line"\n'
        '"Idadi" = "quantity"\n"Mauzo" = "revenue"\n"Gharama" = "cost"\n"Mteja" = "customer"\n',
        encoding="utf-8",
    )
    text = "Tarehe;Tawi;Aina;Idadi;Mauzo;Gharama;Mteja;Maelezo\n05-01-24;Nyeri;Rangi;1,5;KSh 1.234,56;1.000,10;Zoé;x\n"
    path = tmp_path / "swahili.csv"
    path.write_bytes(text.encode("cp1252"))
    result = ingest_file(path, data_dir=tmp_path / "s", mapping=mapping, mode="replace")
    assert result.ok, result.report.text()
    assert result.report.facts["ignored_columns"] == ["Maelezo"]
    (row,) = state(tmp_path / "s")[1]
    assert row[0] == dt.date(2024, 1, 5)
    assert (row[2], row[3], row[7], row[8], row[9], row[10]) == ("Nyeri", "Rangi", "Zoé", 1.5, _stored(123456),
                                                                 _stored(100010))


def test_excel_input_reports_sheet_rows(tmp_path, state):
    frame = pl.DataFrame({
        "Order Date": [dt.date(2024, 1, 5), None, dt.date(2024, 1, 7), dt.date(2024, 1, 8)],
        "Branch": ["Nairobi", None, "Eldoret", "Thika"],
        "Product Line": ["Cement", None, "Paint", "Paint"],
        "Qty": [1.0, None, 2.0, 3.0],
        "Net Sales": ["1,200.50", None, "KSh 300", "12,4x"],
        "Cost": [1000.0, None, 200.0, 1.0],
    })
    path = tmp_path / "sales.xlsx"
    frame.write_excel(path)
    result = ingest_file(path, data_dir=tmp_path / "s", mode="replace")
    problem = result.report.problems[0]
    assert (problem.column, problem.examples) == ("revenue", [(5, "12,4x")])
    import openpyxl  # independent check that "line 5" is the sheet row holding that value
    assert openpyxl.load_workbook(path).active.cell(row=5, column=5).value == "12,4x"

    frame[3, "Net Sales"] = "400"
    frame.write_excel(path)
    result = ingest_file(path, data_dir=tmp_path / "s", mode="replace")
    assert result.ok, result.report.text()
    assert result.rows == 3 and result.report.facts["blank_rows"] == 1
    rows = state(tmp_path / "s")[1]
    assert [(r[0], r[9]) for r in rows] == [(dt.date(2024, 1, 5), _stored(120050)),
                                            (dt.date(2024, 1, 7), _stored(30000)),
                                            (dt.date(2024, 1, 8), _stored(40000))]


def test_parquet_input_keeps_types_and_reports_rows(tmp_path, state):
    frame = pl.DataFrame({
        "sale_date": [dt.date(2024, 1, 5), dt.date(2024, 1, 6), dt.datetime(2024, 1, 7, 15, 30).date()],
        "branch": ["Nairobi", "Kisumu", "Nakuru"],
        "product_line": ["Cement", "Paint", "Paint"],
        "quantity": [1, 2, 3],
        "revenue": [1200.5, 300.0, 99.99],
        "gross_profit": [200.5, 100.0, 9.99],
    })
    path = tmp_path / "sales.parquet"
    frame.write_parquet(path)
    result = ingest_file(path, data_dir=tmp_path / "s", mode="replace")
    assert result.ok, result.report.text()
    assert [(r[8], r[9], r[10]) for r in state(tmp_path / "s")[1]] == [
        (1.0, _stored(120050), _stored(100000)), (2.0, _stored(30000), _stored(20000)),
        (3.0, _stored(9999), _stored(9000))]
    frame.with_columns(pl.Series("sale_date", [dt.date(2024, 1, 5), dt.date(2099, 1, 1), None])).write_parquet(path)
    result = ingest_file(path, data_dir=tmp_path / "s", mode="replace")
    text = result.report.text()
    assert "row 2: sale_date = \"2099-01-01\"" in text and "row 3: sale_date = (empty)" in text

