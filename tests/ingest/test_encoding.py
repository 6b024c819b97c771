"""Every supported encoding comes out as the same UTF-8 text, and line ends become LF one for one."""

from __future__ import annotations

import codecs

import pytest

from ingest.encoding import DecodeFailure, decode

TEXT = "branch,customer\nNairobi,Café Olé £5 – “quoted”\n"


@pytest.mark.parametrize(
    ("encoded", "expected_encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("cp1252"), "cp1252"),
        (TEXT.encode("utf-16"), "utf-16"),
    ],
)
def test_detects_encoding(encoded, expected_encoding):
    decoded = decode(encoded)
    assert decoded.encoding == expected_encoding
    assert decoded.detected
    assert decoded.data.decode("utf-8") == TEXT


def test_latin1_bytes_undefined_in_cp1252_fall_back_to_latin1():
    decoded = decode("x\x81y\n".encode("latin-1"))
    assert decoded.encoding == "iso8859-1"
    assert decoded.data.decode("utf-8") == "x\x81y\n"


def test_named_encoding_wins_over_detection():
    raw = "Café\n".encode("cp1252")
    assert decode(raw, "latin-1").data.decode("utf-8") == "Café\n"
    assert not decode(raw, "latin-1").detected


def test_named_encoding_that_does_not_fit_is_an_error():
    with pytest.raises(DecodeFailure, match="not valid utf-8: byte 3"):
        decode("Café".encode("cp1252"), "utf-8")
    with pytest.raises(DecodeFailure, match="unknown encoding"):
        decode(b"x", "klingon")


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_ends_become_single_lf(newline):
    raw = newline.join(["a", "", "b", "c"]).encode()
    assert decode(raw).data == b"a\n\nb\nc"
