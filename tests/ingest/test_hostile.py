"""Files a hostile (or unlucky) user feeds ``mauzo ingest``: each ends in exit code 2, a report that
says what is wrong in one readable line, and the store exactly as it was."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
import random
import zipfile
from pathlib import Path

import polars as pl
import pytest

import ingest.pipeline as pipeline
from data.store import SnapshotStore
from ingest.demo import generate
from ingest.pipeline import ingest_file
from ingest.sniff import describe_binary
from tests.ingest.conftest import HEADER, csv_text

GOOD = "2024-02-01,Nakuru,Cement,Bamburi 50kg,Jane Wanjiku,Acme Ltd,1,100.00,80.00,INV-9"


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    pl.DataFrame({"Order Date": ["2024-01-01"], "Branch": ["N"], "Product Line": ["C"], "Qty": [1],
                  "Net Sales": [10.0], "Cost": [5.0]}).write_excel(buffer)
    return buffer.getvalue()


def _parquet_bytes() -> bytes:
    buffer = io.BytesIO()
    pl.DataFrame({"a": [1]}).write_parquet(buffer)
    return buffer.getvalue()


RANDOM = bytes((i * 7919 + 13) % 256 for i in range(5000))  # deterministic "random" bytes
BINARY_CASES = {
    # name: (file name, bytes, words the report must contain)
    "xlsx renamed .csv": ("sales.csv", _xlsx_bytes(), ".xlsx workbook (zip); save it as .xlsx"),
    "zip of a csv": ("sales.csv", _zip({"sales.csv": b"a,b\n1,2\n"}), "zip archive of 1 file ('sales.csv')"),
    "gzip": ("sales.csv", gzip.compress(b"a,b\n1,2\n" * 50), "gzip-compressed data; decompress it first"),
    "pdf": ("sales.csv", b"%PDF-1.7\n" + RANDOM, "a PDF document"),
    "png": ("sales.csv", b"\x89PNG\r\n\x1a\n" + RANDOM, "a PNG image"),
    "old .xls renamed": ("sales.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + RANDOM, "Excel 97-2003 workbook"),
    "parquet renamed .csv": ("sales.csv", _parquet_bytes(), "a Parquet file; rename it to .parquet"),
    "random bytes": ("sales.csv", RANDOM, "binary data ("),
    "html saved as csv": ("sales.csv", b"<!DOCTYPE html><html><table><tr><td>1</td></tr></table></html>",
                          "an HTML page"),
    "utf-16 without a BOM": ("sales.csv", csv_text([GOOD]).encode("utf-16-le"), "pass --encoding utf-16-le"),
    "csv renamed .xlsx": ("sales.xlsx", csv_text([GOOD]).encode(), "named .xlsx but looks like text (CSV?)"),
    "png renamed .xlsx": ("sales.xlsx", b"\x89PNG\r\n\x1a\n" + RANDOM, "named .xlsx but looks like a PNG image"),
    "word document renamed .xlsx": ("sales.xlsx", _zip({"[Content_Types].xml": b"x", "word/document.xml": b"x"}),
                                    "a Word document"),
    "csv renamed .parquet": ("sales.parquet", csv_text([GOOD]).encode(), "named .parquet but looks like text"),
}


@pytest.mark.parametrize("case", list(BINARY_CASES))
def test_binary_and_misnamed_files_say_what_they_look_like(case, base_store, state, tmp_path):
    name, content, expected = BINARY_CASES[case]
    path = tmp_path / name
    path.write_bytes(content)
    before = state(base_store)
    result = ingest_file(path, data_dir=base_store)
    assert result.exit_code == 2
    assert [p.check for p in result.report.problems] == ["file_content"], result.report.text()
    text = result.report.text()
    assert expected in text
    assert len(text) < 1000, "the report must describe the file, not dump it"
    assert all(ch.isprintable() or ch == "\n" for ch in text), "control bytes echoed to the terminal"
    assert state(base_store) == before


@pytest.mark.parametrize(
    ("setup", "check", "words"),
    [
        ("directory", "not_a_file", "is a directory"),
        ("missing", "file_missing", "no such file"),
        ("missing dir", "file_missing", "does not exist either"),
        ("empty", "empty_file", "the file is empty (0 bytes)"),
        ("empty xlsx", "empty_file", "the file is empty (0 bytes)"),
        ("blank lines", "empty_file", "only blank lines"),
        ("header only", "no_rows", "a header but no data rows"),
        ("header and blank lines", "no_rows", "a header but no data rows"),
        ("fifo", "not_a_file", "not a regular file"),
        ("no suffix", "file_type", "unsupported file type (none)"),
        (".xls", "file_type", "save it as .xlsx or CSV"),
    ],
)
def test_paths_that_are_not_a_usable_file(setup, check, words, base_store, state, tmp_path):
    path = {
        "directory": tmp_path / "exports.csv", "missing": tmp_path / "nope.csv",
        "missing dir": tmp_path / "nowhere" / "nope.csv", "empty": tmp_path / "e.csv",
        "empty xlsx": tmp_path / "e.xlsx", "blank lines": tmp_path / "b.csv", "header only": tmp_path / "h.csv",
        "header and blank lines": tmp_path / "hb.csv", "fifo": tmp_path / "pipe.csv", "no suffix": tmp_path / "sales",
        ".xls": tmp_path / "sales.xls",
    }[setup]
    if setup == "directory":
        path.mkdir()
    elif setup in ("empty", "empty xlsx"):
        path.write_bytes(b"")
    elif setup == "blank lines":
        path.write_bytes(b"\n \r\n\t\n")
    elif setup == "header only":
        path.write_text(HEADER + "\n", encoding="utf-8")
    elif setup == "header and blank lines":
        path.write_text(HEADER + "\n\n,,,,,,,,,\n\n", encoding="utf-8")
    elif setup == "fifo":
        os.mkfifo(path)
    elif setup in ("no suffix", ".xls"):
        path.write_text(csv_text([GOOD]), encoding="utf-8")
    before = state(base_store)
    result = ingest_file(path, data_dir=base_store)
    assert result.exit_code == 2
    assert [p.check for p in result.report.problems] == [check]
    assert words in result.report.text()
    assert state(base_store) == before


def test_a_30_mb_single_line_is_a_report_not_a_traceback(cli, base_store, state, tmp_path):
    """The crash from the issue: ``_csv.Error: field larger than field limit``, exit code 1."""
    path = tmp_path / "oneline.csv"
    path.write_bytes(b"x" * 30_000_000)
    before = state(base_store)
    done = cli("--data-dir", base_store, "ingest", path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert "[header_too_long]" in done.stderr and "30,000,000 bytes long" in done.stderr
    assert "no line break at all" in done.stderr
    assert len(done.stderr) < 2000
    assert done.stdout.startswith("rejected oneline.csv: 1 problem")
    assert state(base_store) == before


def test_a_long_header_line_followed_by_data_is_refused(base_store, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("A" * 200_000 + ",Branch\n" + GOOD + "\n", encoding="utf-8")
    result = ingest_file(path, data_dir=base_store)
    assert [p.check for p in result.report.problems] == ["header_too_long"]
    assert "is 200,007 bytes long;" in result.report.text()


def test_cells_over_the_csv_module_limit_are_read_and_reported_truncated(cli, base_store, state, tmp_path):
    """A 5 MB cell (above Python's 128 KiB csv field limit, and above the sniffing sample) is
    reported on its line, cut to 100 characters, with its real length."""
    big = "A" * 5_000_000
    # both , and ; in the header make the sniffer parse the sample with Python's csv module
    header = HEADER.replace("Invoice No", "Invoice;No")
    lines = [GOOD, GOOD.replace("Bamburi 50kg", f'"{big}"').replace("INV-9", "INV-10")]
    path = tmp_path / "bigcell.csv"
    path.write_text(csv_text(lines, header=header), encoding="utf-8")
    before = state(base_store)
    done = cli("--data-dir", base_store, "ingest", path, "--report", tmp_path / "r.json")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f'line 3: item_name = "{"A" * 100}… (5,000,000 characters)"' in done.stderr
    assert len(done.stderr) < 3000
    assert len((tmp_path / "r.json").read_text(encoding="utf-8")) < 5000
    assert state(base_store) == before


def test_a_30_mb_number_is_reported_truncated(base_store, tmp_path):
    path = tmp_path / "n.csv"
    path.write_text(csv_text([GOOD.replace("100.00", "9" * 30_000_000)]), encoding="utf-8")
    result = ingest_file(path, data_dir=base_store)
    (problem,) = result.report.problems
    assert problem.column == "revenue" and problem.examples[0][1].endswith("… (30,000,000 characters)")


def test_an_unclosed_quote_points_at_its_line(base_store, tmp_path):
    lines = [GOOD, GOOD.replace("Bamburi 50kg", '"Bamburi 50kg'), *[GOOD] * 5]
    path = tmp_path / "q.csv"
    path.write_text(csv_text(lines), encoding="utf-8")
    (problem,) = ingest_file(path, data_dir=base_store).report.problems
    assert problem.check == "field_count"
    assert problem.examples[0][0] == 3
    assert "a quote opened here is never closed?" in problem.examples[0][1]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("Jane\x00Wanjiku", '"Jane\\u0000Wanjiku"'),  # NUL: corrupt data
        ("Jane\x07Wanjiku", '"Jane\\u0007Wanjiku"'),  # BEL
        ("Jane\x1bWanjiku", '"Jane\\u001bWanjiku"'),  # ESC (terminal escape sequences)
        ("Jane\x7fWanjiku", '"Jane\\x7fWanjiku"'),  # DEL
        ("Jane\x85Wanjiku", '"Jane\\x85Wanjiku"'),  # C1 control: a wrong encoding
        ("Janeâ\x80\x99s", '"Janeâ\\x80\\x99s"'),  # UTF-8 read as Latin-1 (mojibake)
    ],
)
def test_control_characters_in_text_cells_are_rejected(value, shown, base_store, state, tmp_path):
    path = tmp_path / "ctrl.csv"
    path.write_text(csv_text([GOOD, GOOD.replace("Jane Wanjiku", value).replace("INV-9", "INV-8")]),
                    encoding="utf-8")
    before = state(base_store)
    result = ingest_file(path, data_dir=base_store)
    (problem,) = result.report.problems
    assert (problem.column, problem.check, problem.count) == ("salesperson", "control_character", 1)
    assert problem.examples == [(3, value)]  # the JSON report keeps the value as written
    assert f"line 3: salesperson = {shown}" in result.report.text()  # the terminal sees escapes
    assert state(base_store) == before


def test_tabs_and_line_breaks_inside_quoted_text_become_one_space(tmp_path, state):
    lines = [GOOD.replace("Bamburi 50kg", '"Bamburi\t50kg"'),
             GOOD.replace("Bamburi 50kg", '"Bamburi \r\n 50kg"').replace("INV-9", "INV-10"),
             GOOD.replace("Acme Ltd", '"Acme\n\nLtd\n"').replace("INV-9", "INV-11")]
    path = tmp_path / "tabs.csv"
    path.write_text(csv_text(lines), encoding="utf-8")
    result = ingest_file(path, data_dir=tmp_path / "s", mode="replace")
    assert result.ok, result.report.text()
    assert "3 text cells held a tab or line break; each became one space" in result.report.notes
    rows = state(tmp_path / "s")[1]
    assert {(r[5], r[7]) for r in rows} == {("Bamburi 50kg", "Acme Ltd")}


def test_a_tab_file_is_still_a_tab_file(tmp_path, state):
    path = tmp_path / "tab.tsv"
    path.write_text(csv_text([GOOD], header=HEADER).replace(",", "\t"), encoding="utf-8")
    result = ingest_file(path, data_dir=tmp_path / "s", mode="replace")
    assert result.ok, result.report.text()
    assert not any("tab or line break" in n for n in result.report.notes)


def test_not_a_text_encoding_is_a_clean_refusal(base_store, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(csv_text([GOOD]), encoding="utf-8")
    result = ingest_file(path, data_dir=base_store, encoding="base64")
    assert [p.check for p in result.report.problems] == ["encoding"]
    assert "'base64' is not a text encoding" in result.report.text()


def test_any_unexpected_error_while_reading_is_a_report_with_exit_2(base_store, state, tmp_path, monkeypatch):
    """Belt and braces: a reader bug on some odd file still ends in a one-line report, not a traceback."""
    def broken(*args, **kwargs):
        raise RuntimeError("boom\n" + "x" * 10_000)

    monkeypatch.setattr(pipeline, "read_source", broken)
    path = tmp_path / "x.csv"
    path.write_text(csv_text([GOOD]), encoding="utf-8")
    before = state(base_store)
    result = ingest_file(path, data_dir=base_store)
    assert result.exit_code == 2
    (problem,) = result.report.problems
    assert problem.check == "unreadable" and problem.message.endswith("RuntimeError: boom")
    assert state(base_store) == before


def test_a_failure_while_writing_is_not_disguised_as_a_bad_file(base_store, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pipeline, "commit_lines", broken)
    path = tmp_path / "x.csv"
    path.write_text(csv_text([GOOD]), encoding="utf-8")
    with pytest.raises(OSError, match="disk full"):
        ingest_file(path, data_dir=base_store)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"Date,Branch\n2024-01-01,Nairobi\n", None),
        ("Tarehe;Tawi\n2024-01-01;Nyeri\n".encode("cp1252"), None),
        (b"Date,Branch\n2024-01-01,Nai\x00robi\n" + b"2024-01-01,Thika\n" * 20, None),  # one NUL: a cell check
        (b"\xef\xbb\xbf<?xml version='1.0'?><Workbook xmlns='urn:schemas-microsoft-com:office:spreadsheet'>",
         "an Excel 2003 XML spreadsheet"),
        (b"SQLite format 3\x00" + bytes(100), "an SQLite database"),
        (b"x" * 8 + b"DUCK" + bytes(100), "a DuckDB database"),
        (b"BZh91AY&SY" + bytes(50), "bzip2-compressed data"),
        (b"BZh,Branch\n1,2\n", None),
        (b"PK\x03\x04truncated", "a zip archive (damaged or incomplete)"),
        (b"[{\"a\": 1}]", "JSON data"),
    ],
)
def test_describe_binary(head, expected):
    found = describe_binary(head)
    assert (found[0] if found else None) == expected


def test_named_encoding_skips_the_binary_guess(tmp_path, state):
    """With --encoding utf-16-le the NUL bytes are text, not binary data."""
    path = tmp_path / "u16.csv"
    path.write_bytes(csv_text([GOOD]).encode("utf-16-le"))
    result = ingest_file(path, data_dir=tmp_path / "s", mode="replace", encoding="utf-16-le")
    assert result.ok, result.report.text()


def test_every_rejection_in_this_file_goes_through_the_cli_with_exit_2(cli, base_store, state, tmp_path: Path):
    before = state(base_store)
    for name, content, _ in list(BINARY_CASES.values())[:3]:
        path = tmp_path / name
        path.write_bytes(content)
        done = cli("--data-dir", base_store, "ingest", path)
        assert done.returncode == 2 and "Traceback" not in done.stderr
    done = cli("--data-dir", base_store, "ingest", tmp_path)
    assert done.returncode == 2 and "is a directory" in done.stderr
    assert state(base_store) == before


def test_a_snapshot_file_copied_as_csv_is_named(base_store, state, tmp_path):
    store = SnapshotStore(base_store)
    path = tmp_path / "export.csv"
    path.write_bytes(store.snapshot_path(store.manifest()).read_bytes())
    before = state(base_store)
    result = ingest_file(path, data_dir=base_store)
    assert [p.message for p in result.report.problems] == [
        "this looks like a DuckDB database; export CSV (or .xlsx) from the source system and ingest that"]
    assert state(base_store) == before


def test_mangled_exports_always_end_in_a_short_clean_report(tmp_path):
    """A small deterministic fuzz: byte flips, cuts, stray quotes, delimiters, control and huge
    tokens in a real export. Every outcome is exit 0 or 2, never an exception, and no report
    writes raw control bytes or runs to pages."""
    rng = random.Random(20261128)
    base = generate(rows=150, seed=1, end=dt.date(2024, 12, 31)).write_csv().encode()
    tokens = [b'"', b",", b";", b"\t", b"\n", b"\r", b"\x00", b"\x85", b"\xff", b"\xef\xbb\xbf", b"(", b"KSh ",
              b"9" * 400, b"x" * 150_000, b"\xe2\x80\xa8", b"1e400", b"nan", b'""', b"\x1b[31m"]
    outcomes = set()
    for i in range(40):
        data = bytearray(base)
        for _ in range(rng.randint(1, 5)):
            pos = rng.randrange(len(data))
            op = rng.random()
            if op < 0.5:
                data[pos:pos] = rng.choice(tokens)
            elif op < 0.7:
                data[pos] = rng.randrange(256)
            elif op < 0.85:
                del data[pos:pos + rng.randint(1, 50)]
            else:
                data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 30)))
        path = tmp_path / f"mangled{i}.csv"
        path.write_bytes(bytes(data))
        result = ingest_file(path, data_dir=tmp_path / "store", dry_run=True)
        assert result.exit_code in (0, 2)
        text = result.report.text()
        assert len(text) < 10_000
        assert not any(ch in text for ch in "\x00\x1b\x85\u2028"), text
        assert not any("cannot read this file as a sales table" in p.message for p in result.report.problems), text
        outcomes.update(p.check for p in result.report.problems)
    assert {"field_count", "control_character"} <= outcomes
