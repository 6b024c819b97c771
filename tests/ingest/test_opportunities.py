"""``ingest_opportunities``: CRM deals validated, enriched and committed like sales lines, on real
stores and hand-written hostile files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl
import pytest

from data.schema import MONEY_SCALE, OPPORTUNITIES_TABLE, UNASSIGNED
from data.store import SnapshotStore
from ingest.opportunities_ingest import ingest_opportunities
from ingest.pipeline import ingest_file
from ingest.schema import today

HEADER = "Deal Id,Sales Agent,Product,Account,Deal Stage,Engage Date,Close Date,Close Value"
DEALS = [
    "D1,Jane Wanjiku,Bamburi 50kg,Acme Ltd,Won,2024-01-05,2024-02-10,12500.50",
    "D2,Ali Hassan,Crown 4L,Lakeside Hardware,Lost,2024-01-06,2024-03-01,0",
    "D3,Jane Wanjiku,Crown 4L,,Engaging,2024-03-01,,",
    "D4,Ali Hassan,Bamburi 50kg,,Prospecting,,,",
]
TEAMS = "agent,manager,office\nJane Wanjiku,Otieno Ouma,Nairobi\nAli Hassan,Otieno Ouma,Mombasa\n"
PRODUCTS = "product,series,price\nBamburi 50kg,Cement,780\nCrown 4L,Paint,3400.5\n"
ACCOUNTS = "account,sector\nAcme Ltd,Construction\nLakeside Hardware,Retail\n"


def deals_csv(lines: list[str], header: str = HEADER) -> str:
    return "\n".join([header, *lines]) + "\n"


def stored(data_dir: Path) -> tuple[str | None, pl.DataFrame, int]:
    """The data version, every stored deal (by id) and the sales row count, read from the snapshot."""
    manifest = SnapshotStore(data_dir).manifest()
    if manifest is None:
        return None, pl.DataFrame(), 0
    con = duckdb.connect(str(data_dir / manifest.snapshot), read_only=True)
    try:
        deals = con.sql(f"SELECT * EXCLUDE (batch_id) FROM {OPPORTUNITIES_TABLE} ORDER BY opportunity_id").pl()
        sales = con.sql("SELECT COUNT(*) FROM sales").fetchall()[0][0]
    finally:
        con.close()
    return manifest.version, deals, sales


@pytest.fixture
def lookups(tmp_path: Path) -> Path:
    """Lookup files in tmp_path/lookups, like a CRM's team, product and account exports."""
    folder = tmp_path / "lookups"
    folder.mkdir()
    (folder / "teams.csv").write_text(TEAMS, encoding="utf-8")
    (folder / "products.csv").write_text(PRODUCTS, encoding="utf-8")
    (folder / "accounts.csv").write_text(ACCOUNTS, encoding="utf-8")
    return folder


MAPPING = """
lookup_dir = "lookups"
[columns]
"Deal Id" = "opportunity_id"
[stages]
open = ["Prospecting", "Engaging"]
[lookups.team]
file = "teams.csv"
join = "salesperson"
key = "agent"
set = {{ manager = "manager", office = "branch" }}
[lookups.products]
file = "products.csv"
join = "product"
key = "product"
set = {{ series = "product_line" }}
open_value = "price"
{product_extra}
[lookups.accounts]
file = "accounts.csv"
join = "customer"
key = "account"
set = {{ sector = "sector" }}
"""


@pytest.fixture
def mapping(tmp_path: Path, lookups: Path) -> Callable[..., Path]:
    """mapping(product_extra="", text=None) -> a mapping file beside the lookups folder."""
    def build(product_extra: str = "", text: str | None = None) -> Path:
        path = tmp_path / "map.toml"
        path.write_text(text if text is not None else MAPPING.format(product_extra=product_extra), encoding="utf-8")
        return path
    return build


def load(tmp_path: Path, lines: list[str], mapping: Path | None, mode: str = "replace", name: str = "deals.csv",
         store: str = "store", **kwargs):
    path = tmp_path / name
    path.write_text(deals_csv(lines), encoding="utf-8")
    return ingest_opportunities(path, data_dir=tmp_path / store, mapping=mapping, mode=mode, **kwargs)


def problem(result, check: str):
    found = [p for p in result.report.problems if p.check == check]
    assert found, f"no {check} problem in:\n{result.report.text()}"
    return found[0]


def test_valid_file_is_enriched_derived_and_stored(tmp_path, mapping):
    result = load(tmp_path, DEALS, mapping())
    assert result.ok, result.report.text()
    assert result.report.facts["outcomes"] == {"won": 1, "lost": 1, "open": 2}
    _, deals, _ = stored(tmp_path / "store")
    rows = {r["opportunity_id"]: r for r in deals.iter_rows(named=True)}
    won, lost, engaging, prospect = rows["D1"], rows["D2"], rows["D3"], rows["D4"]
    assert (won["outcome"], won["branch"], won["manager"], won["product_line"], won["sector"]) == (
        "won", "Nairobi", "Otieno Ouma", "Cement", "Construction")
    assert won["value_e4"] == 12500.50 * MONEY_SCALE and won["cycle_days"] == 36
    assert won["activity_date"] == won["close_date"] == dt.date(2024, 2, 10)
    assert (lost["outcome"], lost["value_e4"], lost["cycle_days"]) == ("lost", 0, 55)
    # Open deals: no cycle; dated by their engage date (none for a prospect); valued at the list price.
    assert (engaging["outcome"], engaging["activity_date"], engaging["cycle_days"]) == ("open", dt.date(2024, 3, 1),
                                                                                        None)
    assert engaging["value_e4"] == 3400.5 * MONEY_SCALE and prospect["value_e4"] == 780 * MONEY_SCALE
    assert prospect["activity_date"] is None
    # No account: customer and sector Unassigned, and the report says so.
    assert (engaging["customer"], engaging["sector"], prospect["lead_source"]) == (UNASSIGNED, UNASSIGNED, UNASSIGNED)
    assert any("2 deals without customer" in n for n in result.report.notes)
    history = SnapshotStore(tmp_path / "store").manifest().history[0]
    assert history["table"] == OPPORTUNITIES_TABLE and history["stage_order"] == ["Prospecting", "Engaging", "Won",
                                                                                  "Lost"]


def test_without_mapping_headers_are_recognised_and_stages_default(tmp_path):
    """Default rules: Won and Lost in any case are closed (stored in one spelling), any other stage open."""
    lines = ["D1,A,P,C,WON,2024-01-05,2024-02-10,10", "D2,A,P,C,lost,2024-01-05,2024-02-10,0",
             "D3,A,P,C,Negotiation,2024-01-05,,"]
    result = load(tmp_path, lines, None)
    assert result.ok, result.report.text()
    _, deals, _ = stored(tmp_path / "store")
    assert deals.select("stage", "outcome", "branch").rows() == [
        ("Won", "won", UNASSIGNED), ("Lost", "lost", UNASSIGNED), ("Negotiation", "open", UNASSIGNED)]


def test_unknown_stage_is_rejected_when_the_mapping_lists_open_stages(tmp_path, mapping):
    result = load(tmp_path, [*DEALS, "D5,Ali Hassan,Crown 4L,Acme Ltd,Wonn,2024-01-05,2024-02-10,10"], mapping())
    assert result.exit_code == 2
    found = problem(result, "unknown_stage")
    assert found.count == 1 and found.examples == [(6, "Wonn")]
    assert SnapshotStore(tmp_path / "store").manifest() is None


@pytest.mark.parametrize(("line", "check", "column", "shown"), [
    ("D9,Ali Hassan,Crown 4L,Acme Ltd,Won,2024-03-05,2024-02-10,10", "close_before_engage", "engage_date/close_date",
     "2024-03-05 / 2024-02-10"),
    ("D9,Ali Hassan,Crown 4L,Acme Ltd,Lost,2024-03-05,,0", "closed_without_close_date", "stage/close_date",
     "Lost / "),
    ("D9,Ali Hassan,Crown 4L,Acme Ltd,Won,2024-01-05,2024-02-10,", "won_without_value", "stage/value", "Won / "),
    ("D9,Ali Hassan,Crown 4L,Acme Ltd,Engaging,2024-01-05,2024-02-10,", "open_with_close_date", "stage/close_date",
     "Engaging / 2024-02-10"),
    ("D9,Ali Hassan,Crown 4L,Acme Ltd,Won,2024-01-05,2024-02-10,-10", "in_range(0.0, 1000000000000.0)", "value",
     "-10"),
    ("D9,Ali Hassan,Crown 4L,Acme Ltd,Won,2024-01-05,2024-02-10,1e13", "in_range(0.0, 1000000000000.0)", "value",
     "1e13"),
    ("D9,Ali Hassan,Crown 4L,Acme Ltd,Won,2024-01-05,2024-02-30,10", "date_format", "close_date", "2024-02-30"),
    ("D9,Ali Hassan,Crown 4L,Acme Ltd,Won,2024-01-05,2024-02-10,12x", "number_format", "value", "12x"),
    (",Ali Hassan,Crown 4L,Acme Ltd,Won,2024-01-05,2024-02-10,10", "missing_value", "opportunity_id", ""),
])
def test_bad_deal_is_rejected_with_its_line_and_value(tmp_path, mapping, line, check, column, shown):
    result = load(tmp_path, [*DEALS, line], mapping())
    assert result.exit_code == 2 and result.status == "rejected"
    found = problem(result, check)
    assert (found.column, found.count, found.examples) == (column, 1, [(6, shown)])
    assert len(result.report.problems) == 1, result.report.text()


def test_future_dates_are_rejected(tmp_path, mapping):
    later = (today() + dt.timedelta(days=3)).isoformat()
    result = load(tmp_path, [*DEALS, f"D9,Ali Hassan,Crown 4L,Acme Ltd,Engaging,{later},,"], mapping())
    found = problem(result, "not_in_future")
    assert (found.column, found.examples) == ("engage_date", [(6, later)])


def test_duplicate_ids_report_every_line(tmp_path, mapping):
    result = load(tmp_path, [*DEALS, DEALS[0].replace("12500.50", "1")], mapping())
    found = problem(result, "unique_id")
    assert found.count == 2 and found.examples == [(2, "D1"), (6, "D1")]


def test_unmatched_lookup_key_rejects_the_file_naming_key_and_rows(tmp_path, mapping):
    lines = [*DEALS, "D5,Ali Hassan,CrownX,Acme Ltd,Won,2024-01-05,2024-02-10,5",
             "D6,Ali Hassan,CrownX,Acme Ltd,Won,2024-01-05,2024-02-10,5",
             "D7,Nobody,Crown 4L,Acme Ltd,Won,2024-01-05,2024-02-10,5"]
    result = load(tmp_path, lines, mapping())
    assert result.exit_code == 2
    products = next(p for p in result.report.problems if p.check == "lookup_unmatched" and p.column == "product")
    assert products.message.startswith('product "CrownX" not in products.csv')
    assert products.count == 2 and products.examples == [(6, "CrownX"), (7, "CrownX")]
    people = next(p for p in result.report.problems if p.check == "lookup_unmatched" and p.column == "salesperson")
    assert people.message.startswith('salesperson "Nobody" not in teams.csv') and people.examples == [(8, "Nobody")]
    assert stored(tmp_path / "store")[0] is None


def test_aliases_and_unmatched_unassigned_are_the_mappings_choice(tmp_path, mapping):
    lines = [*DEALS, "D5,Ali Hassan,CrownX,Acme Ltd,Won,2024-01-05,2024-02-10,5",
             "D6,Ali Hassan,Mystery,Acme Ltd,Won,2024-01-05,2024-02-10,5"]
    result = load(tmp_path, lines, mapping('aliases = { "CrownX" = "Crown 4L" }\nunmatched = "unassigned"'))
    assert result.ok, result.report.text()
    _, deals, _ = stored(tmp_path / "store")
    rows = {r["opportunity_id"]: r for r in deals.iter_rows(named=True)}
    assert (rows["D5"]["product"], rows["D5"]["product_line"]) == ("Crown 4L", "Paint")
    assert (rows["D6"]["product"], rows["D6"]["product_line"]) == ("Mystery", UNASSIGNED)
    assert any('product "Mystery" not in products.csv' in n and "Unassigned" in n for n in result.report.notes)
    assert result.report.facts["lookups"]["products"] == {"matched": 5, "blank": 0, "unmatched": 1, "aliased": 1,
                                                          "open_valued": 2}


@pytest.mark.parametrize(("content", "check", "says"), [
    (None, "lookup_file", "does not exist"),
    ("product,series,price\nBamburi 50kg,Cement,780,extra\n", "field_count", "different number of fields"),
    (b"PK\x03\x04" + bytes(range(256)) * 40, "file_content", "looks like"),
    ("product,price\nBamburi 50kg,780\n", "lookup_column_missing", "no column 'series'"),
    ("product,series,price\nBamburi 50kg,Cement,780\nBamburi 50kg,Steel,780\n", "lookup_duplicate_key",
     "more than once"),
    ("product,series,price\nBamburi 50kg,Cement,cheap\n", "number_format", "not a non-negative number"),
    ("product,series,price\n", "empty_file", "no rows"),
])
def test_missing_or_malformed_lookup_file_rejects(tmp_path, mapping, lookups, content, check, says):
    target = lookups / "products.csv"
    if content is None:
        target.unlink()
    else:
        target.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = load(tmp_path, DEALS, mapping())
    assert result.exit_code == 2
    found = problem(result, check)
    assert says in found.message and ("products.csv" in found.message or "products.csv" in (found.column or ""))


@pytest.mark.parametrize(("text", "says"), [
    ("colour = 1", "unknown mapping keys ['colour']"),
    ("[stages]\nwon = ['Won']\nlost = ['won']", "listed as won and as lost"),
    ("[columns]\nX = 'amount'", "'amount' is not an opportunity column"),
    ("[lookups.t]\nfile = 'a.csv'\njoin = 'salesperson'\nkey = 'k'", "set at least one column"),
    ("[lookups.t]\nfile = 'a.csv'\njoin = 'salesperson'\nkey = 'k'\nset = {b = 'branch'}\nunmatched = 'drop'",
     "unmatched must be one of"),
    ("[columns]\nOffice = 'branch'\n[lookups.t]\nfile = 'a.csv'\njoin = 'salesperson'\nkey = 'k'\nset = {b = 'branch'}",
     "'branch' comes both from the file"),
    ("date_fromat = '%d'", "unknown mapping keys"),
])
def test_bad_mapping_is_rejected_before_reading(tmp_path, mapping, text, says):
    result = load(tmp_path, DEALS, mapping(text=text))
    assert result.exit_code == 2
    assert says in problem(result, "mapping").message


def test_rejected_append_keeps_store_exactly(tmp_path, mapping):
    assert load(tmp_path, DEALS, mapping()).ok
    before = stored(tmp_path / "store")
    bad = load(tmp_path, ["D8,Ali Hassan,Crown 4L,Acme Ltd,Won,2024-03-05,2024-02-10,10"], mapping(), mode="append",
               name="more.csv")
    assert bad.exit_code == 2
    after = stored(tmp_path / "store")
    assert after[0] == before[0] and after[1].equals(before[1])


def test_append_refuses_deals_and_files_already_stored(tmp_path, mapping):
    assert load(tmp_path, DEALS, mapping()).ok
    again = load(tmp_path, DEALS, mapping(), mode="append")
    assert problem(again, "duplicate_file").count == 0
    overlap = load(tmp_path, [DEALS[1], "D8,Ali Hassan,Crown 4L,Acme Ltd,Engaging,2024-03-05,,"], mapping(),
                   mode="append", name="next.csv")
    clash = problem(overlap, "deal_in_store")
    assert clash.count == 1 and clash.examples[0][0] == 2 and clash.examples[0][1].startswith("D2 (in batch 1")
    assert clash.message.endswith("(1 of this file's deals is new)")
    fresh = load(tmp_path, ["D8,Ali Hassan,Crown 4L,Acme Ltd,Engaging,2024-03-05,,"], mapping(), mode="append",
                 name="new.csv")
    assert fresh.ok and stored(tmp_path / "store")[1].height == len(DEALS) + 1


def test_dry_run_writes_nothing(tmp_path, mapping):
    result = load(tmp_path, DEALS, mapping(), dry_run=True)
    assert result.status == "dry_run" and result.rows == len(DEALS)
    assert SnapshotStore(tmp_path / "store").manifest() is None


def test_replacing_deals_keeps_sales_untouched(tmp_path, mapping):
    sales = tmp_path / "sales.csv"
    sales.write_text("Date,Branch,Product Line,Qty,Net Sales,Cost\n2024-03-01,Thika,Paint,1,10,5\n", encoding="utf-8")
    assert ingest_file(sales, data_dir=tmp_path / "store", mode="replace").ok
    assert load(tmp_path, DEALS, mapping()).ok
    assert load(tmp_path, DEALS[:2], mapping(), name="smaller.csv").ok
    _, deals, sales_rows = stored(tmp_path / "store")
    assert deals.height == 2 and sales_rows == 1
    assert ingest_file(sales, data_dir=tmp_path / "store", mode="replace").ok  # and the other way round
    assert stored(tmp_path / "store")[1].height == 2


def test_a_blank_value_in_a_lookup_is_unassigned_and_noted(tmp_path, mapping, lookups):
    (lookups / "accounts.csv").write_text("account,sector\nAcme Ltd,\nLakeside Hardware,Retail\n", encoding="utf-8")
    result = load(tmp_path, DEALS, mapping())
    assert result.ok, result.report.text()
    assert "[lookups.accounts] 1 deal matched a row of accounts.csv whose sector is blank: their sector is Unassigned" \
        in result.report.notes
    _, deals, _ = stored(tmp_path / "store")
    assert deals.filter(pl.col("opportunity_id") == "D1")["sector"].item() == UNASSIGNED


def test_parquet_with_typed_columns_is_read_and_reported_by_row(tmp_path):
    frame = pl.DataFrame({
        "opportunity_id": ["P1", "P2"], "deal_stage": ["Won", "Won"],
        "engage_date": [dt.date(2024, 1, 5), dt.date(2024, 3, 5)],
        "close_date": [dt.date(2024, 2, 10), dt.date(2024, 2, 10)], "close_value": [1200.25, 10.0],
    })
    path = tmp_path / "deals.parquet"
    frame.write_parquet(path)
    result = ingest_opportunities(path, data_dir=tmp_path / "store")
    found = problem(result, "close_before_engage")
    assert found.unit == "row" and found.examples == [(2, "2024-03-05 / 2024-02-10")]
    frame.head(1).write_parquet(path)
    assert ingest_opportunities(path, data_dir=tmp_path / "store").ok
    assert stored(tmp_path / "store")[1]["value_e4"].to_list() == [1200.25 * MONEY_SCALE]
