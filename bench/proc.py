"""Child processes measured from outside: wall time and peak resident memory (``wait4``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    seconds: float
    peak_rss_mb: float
    returncode: int
    output: str


def measured(args: list[str], env: dict[str, str] | None = None, log: Path | None = None) -> Run:
    """Run ``python -m <args>`` from the repository; its wall time and peak RSS (ru_maxrss, KiB)."""
    out = open(log, "wb") if log else subprocess.DEVNULL
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", *args], cwd=REPO_ROOT, env={**os.environ, **(env or {})},
                            stdout=out, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if log:
        out.close()  # type: ignore[union-attr]
    text = log.read_text(encoding="utf-8", errors="replace")[-2000:] if log else ""
    return Run(seconds, usage.ru_maxrss / 1024, proc.returncode, text)


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (gunicorn's master and workers below ``mauzo serve``)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def peak_rss_mb(pid: int) -> float:
    """A live process's peak resident set (VmHWM), MB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
