"""CSV parsing: values, delimiters, and the file line number each row came from."""

from __future__ import annotations

import random

import pytest

from ingest import csv_reader
from ingest.csv_reader import read_csv_bytes, scan_records, sniff_delimiter
from ingest.headers import score
from ingest.source import ReadError


def read(data: bytes, **kwargs):
    return read_csv_bytes(data, **kwargs)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_numbers_count_blank_lines_and_multiline_fields(newline):
    text = newline.join([
        "a,b,c",                      # line 1
        '1,"x, ""y""",3',             # line 2
        "",                           # line 3 (blank)
        '4,"two',                     # line 4: a quoted field spanning lines 4-5
        'lines",6',                   # line 5
        "   ",                        # line 6 (whitespace only)
        "7,8,9",                      # line 7
    ]) + newline
    table = read(text.encode())
    assert table.frame.rows() == [("1", 'x, "y"', "3"), ("4", "two\nlines", "6"), ("7", "8", "9")]
    assert table.lines.to_list() == [2, 4, 7]
    assert table.blank_rows == 2
    assert table.problems == []


def test_leading_blank_lines_shift_the_header():
    table = read(b"\n\nx;y\n1;2\n")
    assert table.frame.columns == ["x", "y"]
    assert table.lines.to_list() == [4]
    assert table.delimiter == ";"


def test_stray_quote_inside_a_field_uses_the_careful_reader_with_the_same_lines():
    table = read(b'a,b,c\n7,5" nails,8\n\n1,2,3\n')
    assert table.frame.rows() == [("7", '5" nails', "8"), ("1", "2", "3")]
    assert table.lines.to_list() == [2, 4]
    assert any("careful" in note for note in table.notes)


def test_ragged_rows_are_reported_with_lines():
    table = read(b"a,b\n1,2,3\n4\n\n5,6\n")
    assert len(table.problems) == 1
    problem = table.problems[0]
    assert (problem.check, problem.count) == ("field_count", 2)
    assert [line for line, _ in problem.examples] == [2, 3]


@pytest.mark.parametrize(("delimiter", "name"), [(",", "comma"), (";", "semicolon"), ("\t", "tab"), ("|", "pipe")])
def test_sniffs_each_delimiter(delimiter, name):
    data = delimiter.join(["Date", "Branch", "Amount"]) + "\n" + delimiter.join(["2024-01-01", "Nairobi", "5"])
    table = read(data.encode())
    assert table.delimiter == delimiter
    assert table.frame.columns == ["Date", "Branch", "Amount"]
    assert f"delimiter {name} (detected)" in table.notes


def test_semicolon_file_with_decimal_commas_is_semicolon():
    assert sniff_delimiter("Date;Branch;Amount\n2024-01-01;Nairobi;1,5\n2024-01-02;Thika;2,5\n") == ";"


def test_ambiguous_delimiter_uses_recognised_headers_or_refuses():
    # Both split every record into the same number of fields; only "," gives known headers.
    sample = "Date,Branch;x,Amount;y\n1,2;3,4;5\n"
    assert sniff_delimiter(sample, score) == ","
    with pytest.raises(ReadError, match="cannot tell the delimiter"):
        sniff_delimiter("a,b;c,d;e\n1,2;3,4;5\n", score)


def test_forced_wrong_delimiter_is_named():
    with pytest.raises(ReadError) as caught:
        read(b"date;branch;revenue\n2024-01-01;Nairobi;5\n", delimiter=",")
    assert caught.value.problem.check == "delimiter"
    assert "the header looks `;`-separated" in caught.value.problem.message


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"\r\n\r\n"])
def test_empty_files_are_refused(data):
    with pytest.raises(ReadError) as caught:
        read(data)
    assert caught.value.problem.check == "empty_file"


def test_header_only_gives_zero_rows():
    table = read(b"a,b\n\n")
    assert table.frame.height == 0 and table.frame.columns == ["a", "b"]


def test_duplicate_headers_are_refused():
    with pytest.raises(ReadError, match="duplicate column names"):
        read(b"a,b,a\n1,2,3\n")


def test_fast_and_careful_readers_agree_on_a_larger_file():
    lines = ["id,text,n"] + [f'{i},"row {i}, ""q""\nsecond",{i * 3}' if i % 7 == 0 else f"{i},plain {i},{i}"
                             for i in range(2000)]
    fast = read("\n".join(lines).encode())
    careful = read("\n".join(lines[:1] + ['9999,5" stray,1'] + lines[1:]).encode())
    assert not any("careful" in n for n in fast.notes) and any("careful" in n for n in careful.notes)
    assert careful.frame.row(0) == ("9999", '5" stray', "1")
    assert careful.frame.tail(2000).equals(fast.frame)
    assert careful.lines.tail(2000).to_list() == [line + 1 for line in fast.lines.to_list()]
    assert fast.lines[:9].to_list() == [2, 4, 5, 6, 7, 8, 9, 10, 12]  # rows 0 and 7 span two lines


def _scan_by_hand(body: bytes, delimiter: str, first_line: int) -> list[tuple[int, int, int, int]]:
    """One byte at a time: (first line, fields, start, end) of each record after the header."""
    records, start, line, quoted, delims = [], 0, first_line, False, 0
    record_line = line
    for offset, byte in enumerate(body):
        if byte == ord('"'):
            quoted = not quoted
        elif byte == ord(delimiter) and not quoted:
            delims += 1
        elif byte == 10:
            line += 1
            if not quoted:
                records.append((record_line, 0 if offset == start else delims + 1, start, offset))
                start, delims, record_line = offset + 1, 0, line
    if start < len(body):
        records.append((record_line, delims + 1, start, len(body)))
    return records[1:]


@pytest.mark.parametrize("seed", range(40))
def test_the_record_scan_matches_a_byte_by_byte_reading_across_piece_boundaries(seed, monkeypatch):
    # Pieces of a few bytes put every boundary case (a quote, delimiter or line feed at a piece's
    # edge, a quoted field spanning pieces, a file ending with or without a line feed) in play.
    monkeypatch.setattr(csv_reader, "SCAN_CHUNK", random.Random(seed).choice([1, 2, 3, 5, 8, 64]))
    rng = random.Random(seed)
    body = bytes(rng.choice(b'ab,;"\n\n ') for _ in range(rng.randint(0, 300)))
    delimiter = rng.choice([",", ";"])
    scan = scan_records(body, delimiter, 3)
    got = list(zip(scan.first_line.tolist(), scan.fields.tolist(), scan.starts.tolist(), scan.ends.tolist(),
                   strict=True))
    assert got == _scan_by_hand(body, delimiter, 3)


@pytest.mark.parametrize(("data", "printable"), [
    (b"a,b\n1,x y\n2,z\n", True),
    (b"a,b\n1,x y\n2,z", True),
    (b'a,b\n1,"x\ny"\n', False),  # a quoted line break is a cell's content
    (b'a,b\n1,"x"\n', False),  # quotes: a cell might hide a line break, so parsing looks
    (b"a,b\n1,x\x01y\n", False),
    (b"a,b\n1,x\x7fy\n", False),
    (b"a,b\n1,caf\xc3\xa9\n", False),
    (b"a\tb\n1\tx\n", False),  # tabs are delimiters here, so counting control bytes says nothing
])
def test_the_reader_says_when_no_cell_can_hold_a_control_character(data, printable):
    assert read(data).printable is printable
