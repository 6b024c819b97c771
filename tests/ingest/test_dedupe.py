"""Lines already in the store, appended again in a file with other bytes: found by their natural
key, reported with file lines, refused or skipped, and checked again under the ingest lock."""

from __future__ import annotations

import datetime as dt
import threading

import polars as pl
import pytest

import ingest.pipeline as pipeline
from data.store import SnapshotStore
from ingest.dedupe import DuplicateLines, LineCheck, match_key, repeated_within
from ingest.headers import plan_columns
from ingest.mapping import Mapping
from ingest.parse import parse_frame
from ingest.pipeline import ingest_file
from ingest.readers import read_source
from ingest.shape import canonical_raw
from ingest.storage import commit_lines
from tests.ingest.conftest import BASE_LINES, store_state

NEW = "2024-01-08,Thika,Paint,Crown 4L,Ali Hassan,Walk-in,1,1700.25,1050.10,INV-4"


def _resaved(make_csv, lines: list[str]) -> str:
    """The same export saved again from a spreadsheet: semicolons, CRLF, trailing zeros dropped."""
    text = make_csv(lines, newline="\r\n").replace(",", ";")
    return text.replace("12500.00", "12500").replace("-850.00", "-850")


def test_same_lines_with_another_delimiter_are_refused_with_count_and_lines(base_store, state, tmp_path, make_csv):
    path = tmp_path / "again.csv"
    path.write_text(_resaved(make_csv, [NEW, *BASE_LINES]), encoding="utf-8")
    before = state(base_store)
    result = ingest_file(path, data_dir=base_store)
    assert result.exit_code == 2
    (problem,) = result.report.problems
    assert (problem.column, problem.check, problem.count) == (None, "duplicate_lines", 3)
    assert [line for line, _ in problem.examples] == [3, 4, 5]
    assert problem.examples[0][1] == ("INV-1 · 2024-01-05 · Nairobi · Bamburi 50kg · qty 10 · KSh 12,500.00 "
                                      "(already in batch 1, base.csv)")
    text = result.report.text()
    assert "3 of 4 lines are already in the current data" in text
    assert "--dedupe skip loads only the 1 new line" in text
    assert result.report.facts["duplicate_rows"] == 3
    assert state(base_store) == before


def test_dry_run_reports_the_same_refusal(base_store, state, tmp_path, make_csv):
    path = tmp_path / "again.csv"
    path.write_text(_resaved(make_csv, BASE_LINES), encoding="utf-8")
    result = ingest_file(path, data_dir=base_store, dry_run=True)
    assert result.exit_code == 2 and result.report.problems[0].check == "duplicate_lines"
    assert "all 3 lines are already in the current data" in result.report.text()


def test_dedupe_skip_loads_only_the_new_lines(base_store, state, tmp_path, make_csv):
    path = tmp_path / "again.csv"
    path.write_text(_resaved(make_csv, [NEW, *BASE_LINES]), encoding="utf-8")
    before = state(base_store)
    result = ingest_file(path, data_dir=base_store, dedupe="skip")
    assert result.ok and result.rows == 1, result.report.text()
    assert "(3 already in the store skipped)" in result.summary()
    version, rows = state(base_store)
    assert version != before[0] and sorted(rows) == sorted([*before[1], *state_of_new(tmp_path, make_csv)])
    entry = SnapshotStore(base_store).manifest().history[0]
    assert (entry["rows"], entry["duplicate_rows_skipped"], entry["source_rows"]) == (1, 3, 4)
    assert SnapshotStore(base_store).manifest().batches[-1]["rows"] == 1


def state_of_new(tmp_path, make_csv) -> list[tuple]:
    """NEW as the store holds it (whatever the money unit), via a store of its own."""
    path = tmp_path / "new_only.csv"
    path.write_text(make_csv([NEW]), encoding="utf-8")
    assert ingest_file(path, data_dir=tmp_path / "other", mode="replace").ok
    return store_state(tmp_path / "other")[1]


def test_dedupe_skip_with_nothing_new_writes_nothing_and_exits_0(cli, base_store, state, tmp_path, make_csv):
    before = state(base_store)
    resaved = tmp_path / "again.csv"
    resaved.write_text(_resaved(make_csv, BASE_LINES), encoding="utf-8")
    for path in (resaved, tmp_path / "base.csv"):  # other bytes, and the very same file
        done = cli("--data-dir", base_store, "ingest", path, "--dedupe", "skip")
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"nothing new in {path.name}: all 3 lines are already in the current data")
        assert state(base_store) == before


def test_force_loads_them_again(base_store, state, tmp_path, make_csv):
    path = tmp_path / "again.csv"
    path.write_text(_resaved(make_csv, BASE_LINES), encoding="utf-8")
    assert ingest_file(path, data_dir=base_store, force=True).ok
    assert len(state(base_store)[1]) == 6


def test_replace_does_not_compare_with_the_data_it_replaces(base_store, state, tmp_path, make_csv):
    path = tmp_path / "again.csv"
    path.write_text(_resaved(make_csv, BASE_LINES), encoding="utf-8")
    assert ingest_file(path, data_dir=base_store, mode="replace").ok
    assert len(state(base_store)[1]) == 3


def test_identical_lines_within_one_file_are_kept_and_counted_as_a_multiset(tmp_path, state, make_csv):
    """Two identical lines in one invoice (the same item scanned twice) are two sales. Loading an
    export that holds that invoice line three times, after one holding it twice, adds one."""
    scan = "2024-03-01,Nairobi,Cement,Bamburi 50kg,Jane Wanjiku,Acme Ltd,1,1250.00,1000.00,INV-7"
    data = tmp_path / "s"
    first = tmp_path / "first.csv"
    first.write_text(make_csv([scan, scan]), encoding="utf-8")
    result = ingest_file(first, data_dir=data, mode="replace")
    assert result.ok and result.rows == 2
    assert any("1 line repeats an earlier line of this file exactly; all are kept" in n for n in result.report.notes)

    later = tmp_path / "later.csv"
    later.write_text(make_csv([scan, NEW, scan, scan]), encoding="utf-8")
    refused = ingest_file(later, data_dir=data)
    (problem,) = refused.report.problems
    assert problem.count == 2 and [line for line, _ in problem.examples] == [2, 4]  # the first two scans
    skipped = ingest_file(later, data_dir=data, dedupe="skip")
    assert skipped.ok and skipped.rows == 2  # the third scan and NEW
    assert sorted(r[1] for r in state(data)[1]) == ["INV-4", "INV-7", "INV-7", "INV-7"]


def test_lines_without_an_invoice_id_match_on_the_rest_of_the_key(base_store, state, tmp_path, make_csv):
    cash = "2024-01-07,Kisumu,Roofing,Mabati 3m,Otieno Ouma,Lakeside Hardware,-1,-850.00,-600.00,"
    assert BASE_LINES[2].endswith("CN-3")
    path = tmp_path / "cash.csv"
    # the base store's CN-3 line without its id is another line; the same cash sale twice is one match
    path.write_text(make_csv([cash]), encoding="utf-8")
    assert ingest_file(path, data_dir=base_store).ok
    again = tmp_path / "cash_again.csv"
    again.write_text(make_csv([cash]).replace(",", ";"), encoding="utf-8")
    (problem,) = ingest_file(again, data_dir=base_store).report.problems
    assert problem.check == "duplicate_lines" and problem.examples[0][1].startswith("(no invoice id) · 2024-01-07")


@pytest.mark.parametrize(
    ("changed", "duplicate"),
    [
        ("Nairobi,Cement,Bamburi", True),  # nothing changed
        ("Nairobi,Building,Bamburi", True),  # product line re-categorised: the same sale
        ("Nakuru,Cement,Bamburi", False),  # another branch
        ("Bamburi 50kg,Jane Wanjiku,Acme Ltd,10,12500.01", False),  # another amount
        ("Bamburi 50kg,Jane Wanjiku,Acme Ltd,11,", False),  # another quantity
        ("2024-01-06,Nairobi", False),  # another day
    ],
)
def test_what_the_key_compares(changed, duplicate, base_store, tmp_path, make_csv):
    line = BASE_LINES[0]
    edited = {
        "Nairobi,Cement,Bamburi": line,
        "Nairobi,Building,Bamburi": line.replace("Nairobi,Cement", "Nairobi,Building"),
        "Nakuru,Cement,Bamburi": line.replace("Nairobi", "Nakuru"),
        "Bamburi 50kg,Jane Wanjiku,Acme Ltd,10,12500.01": line.replace("12500.00", "12500.01"),
        "Bamburi 50kg,Jane Wanjiku,Acme Ltd,11,": line.replace(",10,", ",11,"),
        "2024-01-06,Nairobi": line.replace("2024-01-05", "2024-01-06"),
    }[changed]
    path = tmp_path / "one.csv"
    path.write_text(make_csv([edited]).replace(",", "|"), encoding="utf-8")
    result = ingest_file(path, data_dir=base_store, dry_run=True)
    assert (not result.ok) == duplicate, result.report.text()


def test_money_columns_are_found_by_name_whatever_the_unit():
    fixed = ["sale_date", "invoice_id", "branch", "product_line", "item_group", "item_name", "salesperson",
             "customer", "quantity"]
    base = ("sale_date", "invoice_id", "branch", "item_name", "salesperson", "customer", "quantity")
    cents = [*fixed, "revenue_cents", "cost_cents"]
    e4 = [*fixed, "revenue_e4", "cost_e4"]
    assert match_key([*cents, "batch_id"], cents) == (*base, "revenue_cents", "cost_cents")
    assert match_key([*e4, "batch_id"], e4) == (*base, "revenue_e4", "cost_e4")
    assert match_key([*cents, "batch_id"], e4) == base  # a store not yet upgraded: money left out


def _canonical(path):
    """The canonical lines of a file, as the pipeline would commit them, and their file lines."""
    table = read_source(path)
    raw = canonical_raw(table, plan_columns(table.frame.columns), Mapping())
    return parse_frame(raw, table.lines, Mapping(), "csv", "line").frame, table.lines


def test_a_stale_check_is_redone_under_the_lock(base_store, state, tmp_path, make_csv):
    """The check made before writing is only reused while the data version is unchanged."""
    path = tmp_path / "new.csv"
    path.write_text(make_csv([NEW]), encoding="utf-8")
    frame, lines = _canonical(path)
    store = SnapshotStore(base_store)
    check = LineCheck("refuse", frame, lines)
    assert check.run(store).count == 0  # before anyone loaded NEW
    assert ingest_file(path, data_dir=base_store).ok  # someone else loads it meanwhile
    before = state(base_store)
    with pytest.raises(DuplicateLines):
        commit_lines(frame, data_dir=base_store, file_name="late.csv", sha256="x", mode="append", lines=check)
    assert check.match is not None and check.match.count == 1
    assert state(base_store) == before


def test_two_concurrent_appends_of_the_same_lines_cannot_both_pass(base_store, state, tmp_path, make_csv,
                                                                   monkeypatch):
    """Both ingests pass their early check before either writes (a barrier holds them at the
    commit); the ingest lock lets one through, and the other is refused under the lock."""
    comma, semi = tmp_path / "a.csv", tmp_path / "b.csv"
    comma.write_text(make_csv([NEW]), encoding="utf-8")
    semi.write_text(make_csv([NEW]).replace(",", ";"), encoding="utf-8")
    barrier = threading.Barrier(2, timeout=30)
    real_commit = pipeline.commit_lines

    def commit_together(*args, **kwargs):
        barrier.wait()
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(pipeline, "commit_lines", commit_together)
    before = state(base_store)
    results: dict[str, object] = {}

    def run(path):
        results[path.name] = ingest_file(path, data_dir=base_store)

    threads = [threading.Thread(target=run, args=(p,)) for p in (comma, semi)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    outcomes = sorted((r.status, [p.check for p in r.report.problems]) for r in results.values())
    assert outcomes == [("ok", []), ("rejected", ["duplicate_lines"])]
    version, rows = state(base_store)
    assert len(rows) == len(before[1]) + 1
    assert len(SnapshotStore(base_store).manifest().history) == 2  # base + exactly one append


def _line(invoice: str | None, cost: float = 60.0, customer: str | None = "Amina") -> dict:
    return {"sale_date": dt.date(2025, 6, 1), "invoice_id": invoice, "branch": "Nakuru", "item_name": "Pipe",
            "salesperson": "Otieno", "customer": customer, "quantity": 1.0, "revenue": 100.0, "cost": cost}


@pytest.mark.parametrize(("lines", "repeats"), [
    ([], 0),
    ([_line("A"), _line("B"), _line("C")], 0),
    ([_line("A"), _line("A", cost=61.0), _line("A", customer=None)], 0),  # one field differs: not a repeat
    ([_line("A"), _line("A"), _line("A"), _line("B"), _line("B"), _line("C")], 3),
    ([_line(None, customer=None), _line(None, customer=None), _line("D")], 1),  # missing values repeat too
])
def test_lines_repeating_an_earlier_line_of_the_file_are_counted_exactly(lines, repeats):
    frame = pl.DataFrame(lines, schema={**{k: type(v) for k, v in _line("A").items()}, "invoice_id": pl.String,
                                        "customer": pl.String, "sale_date": pl.Date})
    assert repeated_within(frame) == repeats
