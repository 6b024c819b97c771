"""What a file really is, judged from its first bytes, so the report can say so.

A workbook renamed ``.csv``, a zip, a PDF or random bytes would otherwise be decoded as Latin-1
and reported as a page of mojibake "rows with a different number of fields". Known file
signatures are recognised first; text that is mostly control bytes is called binary; a ``.xlsx``
or ``.parquet`` name whose bytes are something else is described the same way.
"""

from __future__ import annotations

import codecs
import io
import zipfile
from pathlib import Path

HEAD_BYTES = 64 * 1024
# Share of C0 control bytes (other than tab, LF, CR) above which a "text" file is binary data.
# Random or compressed bytes have about 12%; a CSV with a stray control character in a cell has
# a handful in thousands of bytes, and is left to the per-cell check.
BINARY_SHARE = 0.05
BINARY_MIN_BYTES = 16

EXPORT_CSV = "export CSV (or .xlsx) from the source system and ingest that"
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel 97-2003 workbook (.xls, or another Office 97-2003 file)",
     "open it in Excel and save it as .xlsx or CSV"),
    (b"\x1f\x8b", "gzip-compressed data", "decompress it first (gunzip or 7-Zip) and ingest the file inside"),
    (b"\xfd7zXZ\x00", "xz-compressed data", "decompress it first and ingest the file inside"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "extract it first and ingest the file inside"),
    (b"Rar!\x1a\x07", "a RAR archive", "extract it first and ingest the file inside"),
    (b"%PDF-", "a PDF document", EXPORT_CSV),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", EXPORT_CSV),
    (b"\xff\xd8\xff", "a JPEG image", EXPORT_CSV),
    (b"GIF87a", "a GIF image", EXPORT_CSV),
    (b"GIF89a", "a GIF image", EXPORT_CSV),
    (b"PAR1", "a Parquet file", "rename it to .parquet"),
    (b"SQLite format 3\x00", "an SQLite database", EXPORT_CSV),
    (b"{\\rtf", "an RTF document", EXPORT_CSV),
)


def _describe_zip(whole: bytes | Path) -> tuple[str, str]:
    """Look inside a zip: an .xlsx/.docx/.ods is a zip with known member names."""
    try:
        with zipfile.ZipFile(io.BytesIO(whole) if isinstance(whole, bytes) else whole) as archive:
            names = archive.namelist()
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError, EOFError, ValueError):
        return "a zip archive (damaged or incomplete)", "extract it first and ingest the file inside"
    if any(n.startswith("xl/") for n in names):
        return "an .xlsx workbook (zip)", "save it as .xlsx or export CSV"
    if any(n.startswith("word/") for n in names):
        return "a Word document (.docx, zip)", EXPORT_CSV
    if any(n.startswith("ppt/") for n in names):
        return "a PowerPoint file (.pptx, zip)", EXPORT_CSV
    if b"opendocument.spreadsheet" in mimetype:
        return "an OpenDocument spreadsheet (.ods, zip)", "save it as .xlsx or CSV and ingest that"
    shown = ", ".join(repr(n[:40]) for n in names[:3]) + (", ..." if len(names) > 3 else "")
    return f"a zip archive of {len(names)} file{'s' if len(names) != 1 else ''} ({shown or 'empty'})", \
        "extract it first and ingest the file inside"


def _utf16_without_bom(head: bytes) -> str | None:
    sample = head[:4096]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.3 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def binary_share(head: bytes) -> float:
    """Share of bytes in ``head`` that never occur in text: C0 controls other than tab/LF/CR, and DEL."""
    if not head:
        return 0.0
    text_controls = b"\t\n\r"
    count = sum(head.count(bytes([b])) for b in [*range(32), 127] if bytes([b]) not in text_controls)
    return count / len(head)


def _text_kind(head: bytes) -> tuple[str, str] | None:
    """HTML, XML and JSON are text, but not a table of comma-separated values."""
    text = head[:4096].lstrip(codecs.BOM_UTF8).lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html", b"<table")):
        return "an HTML page (some systems save 'Excel' exports as HTML)", EXPORT_CSV
    if text.startswith(b"<?xml"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in head[:8192]:
            return "an Excel 2003 XML spreadsheet", "open it in Excel and save it as .xlsx or CSV"
        return "an XML document", EXPORT_CSV
    if text.startswith((b'{"', b"[{", b'[\n', b'{\n')):
        return "JSON data", EXPORT_CSV
    return None


def describe_binary(head: bytes, whole: bytes | Path | None = None, *,
                    text_checks: bool = True) -> tuple[str, str] | None:
    """(what the bytes look like, what to do) for a file that is not tabular text; None for text.

    ``head`` is the start of the file; ``whole`` (all the bytes, or the path) lets a zip be looked
    into. ``text_checks`` False skips the control-byte heuristic (an encoding was named, so NUL
    bytes may be UTF-16)."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _describe_zip(whole if whole is not None else head)
    if head[8:12] == b"DUCK" and b"\x00" in head[12:20]:  # 8-byte checksum, "DUCK", version
        return "a DuckDB database", EXPORT_CSV
    if head[:3] == b"BZh" and head[3:4].isdigit() and head[4:10] == b"1AY&SY":
        return "bzip2-compressed data", "decompress it first and ingest the file inside"
    for signature, what, action in _SIGNATURES:
        if head.startswith(signature):
            return what, action
    kind = _text_kind(head)
    if kind is not None:
        return kind
    if not text_checks or head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    utf16 = _utf16_without_bom(head)
    if utf16:
        return (f"UTF-16 text without a byte-order mark ({utf16})",
                f"pass --encoding {utf16} (or encoding = \"{utf16}\" in a mapping)")
    share = binary_share(head)
    if share >= BINARY_SHARE and len(head) >= BINARY_MIN_BYTES:
        return (f"binary data ({share:.0%} of the first {len(head):,} bytes are control bytes, which text never has)",
                EXPORT_CSV)
    return None


def read_head(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(HEAD_BYTES)


def describe(head: bytes, whole: bytes | Path | None = None) -> str:
    """A short name for any content, text included (for 'named .xlsx but holds ...')."""
    found = describe_binary(head, whole)
    if found is not None:
        return found[0]
    return "text (CSV?)"
