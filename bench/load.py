"""A small HTTP/1.1 keep-alive load generator (asyncio, one thread): N clients, bounded time.

Why not ``requests`` in threads: on a 2-core machine the load generator shares the CPU with the
server, and Python threads spend much of it switching; one event loop issuing requests over
persistent connections costs the least, so the server gets most of the machine.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class LoadResult:
    clients: int
    seconds: float
    ok: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list, repr=False)

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float | None:
        if not self.latencies_ms:
            return None
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self) -> dict[str, float | int | None]:
        return {"clients": self.clients, "seconds": round(self.seconds, 2), "requests": self.ok,
                "errors": self.errors, "rps": round(self.rps, 1), "p50_ms": self.percentile(0.5),
                "p99_ms": self.percentile(0.99),
                "mean_ms": statistics.fmean(self.latencies_ms) if self.latencies_ms else None}


class Stale(ConnectionError):
    """The server had closed a kept-alive connection before our request: retry on a new one."""


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response (Content-Length bodies only, as our app sends); return the status and
    whether the server keeps the connection open."""
    status_line = await reader.readline()
    if not status_line:
        raise Stale("connection closed")
    parts = status_line.split()
    status = int(parts[1])
    keep = parts[0] == b"HTTP/1.1"
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value.strip())
        elif name == "connection":
            keep = value.strip().lower() != "close"
    if length:
        await reader.readexactly(length)
    return status, keep


async def _client(host: str, port: int, request: bytes, deadline: float, result: LoadResult) -> None:
    reader = writer = None
    reused = False
    while time.perf_counter() < deadline:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
                reused = False
            started = time.perf_counter()
            writer.write(request)
            await writer.drain()
            status, keep = await _read_response(reader)  # type: ignore[arg-type]
            if status == 200:
                result.ok += 1
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
            else:
                result.errors += 1
            reused = keep
            if not keep:
                writer.close()
                reader = writer = None
        except Stale:
            if not reused:  # a fresh connection closed without an answer: that is an error
                result.errors += 1
            if writer is not None:
                writer.close()
            reader = writer = None
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError):
            result.errors += 1
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()


def run_load(url: str, clients: int, seconds: float) -> LoadResult:
    """``clients`` concurrent keep-alive clients GET ``url`` for ``seconds``; loopback only."""
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("the load generator only targets loopback")
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    request = (f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: keep-alive\r\n"
               "Accept: application/json\r\n\r\n").encode()
    result = LoadResult(clients, seconds)

    async def main() -> None:
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()
        await asyncio.gather(*(_client(parts.hostname or "127.0.0.1", parts.port or 80, request, deadline, result)
                               for _ in range(clients)))
        result.seconds = time.perf_counter() - started

    asyncio.run(main())
    return result
