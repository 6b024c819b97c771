"""Turn the bytes of a text file into UTF-8 with LF line ends, whatever it was written in.

Why: Polars parses only UTF-8 quickly, and it splits records on LF only. Spreadsheet exports in
Kenya arrive as UTF-8, UTF-8 with a BOM (Excel "CSV UTF-8") or Windows-1252 (older Excel), with
CRLF or even bare-CR (old Mac) line ends. Each CRLF and each bare CR becomes exactly one LF, so
the number of line breaks, hence every file line number, is unchanged.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

UTF8_NAMES = {"utf-8", "utf_8", "utf8", "u8"}


class DecodeFailure(ValueError):
    """The bytes are not valid in the requested (or any supported) encoding."""


@dataclass(frozen=True)
class DecodedText:
    data: bytes  # UTF-8, LF line ends, no BOM
    encoding: str  # what the file was written in
    detected: bool  # False when the user named the encoding


def _normalise_line_ends(data: bytes) -> bytes:
    if b"\r" not in data:
        return data
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _decode_named(data: bytes, name: str) -> tuple[bytes, str]:
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise DecodeFailure(f"unknown encoding {name!r}") from None
    if not getattr(info, "_is_text_encoding", True):  # base64, zlib, rot13...: codecs, not text encodings
        raise DecodeFailure(f"{name!r} is not a text encoding")
    canonical = info.name
    try:
        if canonical in ("utf-8", "utf-8-sig"):
            if not data.isascii():  # ASCII is valid UTF-8 (the check is 10x faster than decoding)
                data.decode(canonical)  # validate only; the bytes are already UTF-8
            return data.removeprefix(codecs.BOM_UTF8), canonical
        return data.decode(canonical).encode("utf-8"), canonical
    except UnicodeDecodeError as exc:
        raise DecodeFailure(
            f"the file is not valid {canonical}: byte {exc.start:,} is {data[exc.start:exc.start + 1]!r}"
        ) from None


def decode(data: bytes, encoding: str | None = None) -> DecodedText:
    """Decode ``data`` as ``encoding``, or detect UTF-8 (with or without BOM), UTF-16 (BOM) or
    Windows-1252 (falling back to Latin-1 for the five bytes CP1252 leaves undefined)."""
    if encoding:
        converted, name = _decode_named(data, encoding)
        return DecodedText(_normalise_line_ends(converted), name, detected=False)
    if data.startswith(codecs.BOM_UTF8):
        converted, name = _decode_named(data, "utf-8-sig")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        converted, name = _decode_named(data, "utf-16")
    else:
        try:
            converted, name = _decode_named(data, "utf-8")
        except DecodeFailure:
            try:
                converted, name = _decode_named(data, "cp1252")
            except DecodeFailure:
                converted, name = _decode_named(data, "latin-1")
    return DecodedText(_normalise_line_ends(converted), name, detected=True)
