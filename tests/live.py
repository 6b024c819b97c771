"""Run the real app (gunicorn via ``mauzo serve``) on a free port for HTTP and browser tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def status_of(request: str | urllib.request.Request, timeout: float = 60) -> int:
    """The HTTP status of a request, error statuses included (urllib raises on them)."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_app(data_dir: Path, env: dict[str, str] | None = None, workers: int = 2,
                log_path: Path | None = None, probe_http: bool = True) -> Iterator[str]:
    """Start ``mauzo serve`` against ``data_dir``; yield its base URL; stop it afterwards.

    With ``probe_http=False`` readiness is only "the port accepts connections", so the first HTTP
    request a worker sees is the caller's own."""
    port = free_port()
    full_env = {**os.environ, "MAUZO_DATA_DIR": str(data_dir), **(env or {})}
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "ingest.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers)],
        cwd=REPO_ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"mauzo serve exited with {proc.returncode}")
            try:
                if probe_http:
                    with urllib.request.urlopen(url + "/api/health", timeout=2):
                        break
                else:
                    with socket.create_connection(("127.0.0.1", port), timeout=2):
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("mauzo serve did not answer within 60 s") from None
                time.sleep(0.2)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if log_path:
            log.close()  # type: ignore[union-attr]
