"""Cached values as Arrow IPC bytes: compact, typed, readable by any worker, never pickled frames.

A short magic prefix marks the format, so a value written by an older layout (or anything else
found under our key) is reported as ``CodecError`` and treated as a miss instead of crashing.
"""

from __future__ import annotations

import io

import polars as pl

MAGIC = b"MZA1"  # Mauzo, Arrow IPC, layout 1; bump when the layout changes (keys carry it too).
COMPRESSION = "zstd"  # smallest of polars' IPC options on our result frames; decodes about as fast as lz4


class CodecError(ValueError):
    """The bytes are not a frame this codec wrote."""


def encode(frame: pl.DataFrame) -> bytes:
    """Frame -> MAGIC + Arrow IPC file bytes (keeps dtypes: Date, Decimal, Int64, nulls...)."""
    buffer = io.BytesIO()
    buffer.write(MAGIC)
    frame.write_ipc(buffer, compression=COMPRESSION)
    return buffer.getvalue()


def decode(payload: bytes) -> pl.DataFrame:
    """Inverse of ``encode``; raises ``CodecError`` for anything else."""
    if not isinstance(payload, bytes | bytearray | memoryview) or bytes(payload[: len(MAGIC)]) != MAGIC:
        raise CodecError("not a Mauzo Arrow IPC value")
    try:
        return pl.read_ipc(io.BytesIO(memoryview(payload)[len(MAGIC):]))
    except Exception as exc:  # polars raises several error types for truncated/corrupt input
        raise CodecError(f"corrupt cached frame: {exc}") from exc
