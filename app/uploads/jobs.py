"""Background ingest jobs for the Data page, with their state in a small JSON file per job.

Why files: the browser polls for progress, and under gunicorn the poll may reach any worker, not
the one that started the job. Each state change is written atomically to ``uploads/jobs/<id>.json``,
so every worker reads a whole state.

Why a child process (``python -m app.uploads.runner``) running ``mauzo ingest``'s own function
(``ingest_file`` or ``ingest_opportunities``): a worker holds read-only DuckDB connections to the
live snapshot, and DuckDB refuses a second connection to the same file with another configuration in
one process (which the ingest's duplicate checks open); a big file's parsing also needs its memory
and CPU away from the worker that serves pages. The request returns at once, the page stays
responsive and other users keep being served.

Attempts that change nothing (a rejected file, a check without loading, nothing new) are not in
the store's manifest, so they go to a bounded log (``uploads/attempts.json``) for the history table.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from app.config import REPO_ROOT
from app.uploads.files import (
    ATTEMPTS_FILE,
    JOBS_DIR,
    KEEP_SECONDS,
    Upload,
    UploadArea,
    read_json,
    write_json_atomically,
)
from ingest.preview import rules
from ingest.progress import STAGES

log = logging.getLogger("mauzo.uploads")
ATTEMPTS_LIMIT = 200
MAX_PROBLEMS = 50
MODES = ("append", "replace")
DEDUPE = ("refuse", "skip")
_ID_CHARS = set("0123456789abcdef")


@dataclass
class Job:
    """What was asked, and how far it got."""

    id: str
    upload_id: str
    file_name: str
    dataset: str
    mode: str
    dedupe: str
    dry_run: bool
    mapping: dict[str, Any]
    user: str | None = None
    druid: bool = False  # load sales lines into Apache Druid (MAUZO_ENGINE=druid), like mauzo ingest
    state: str = "queued"  # queued | running | done | interrupted
    stage: str | None = None
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    pid: int = field(default_factory=os.getpid)
    host: str = field(default_factory=socket.gethostname)
    result: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "interrupted")

    def progress(self) -> float:
        """0..1: the stage reached (the ingest's stages are its only observable steps)."""
        if self.finished:
            return 1.0
        if self.stage not in STAGES:
            return 0.02
        return (STAGES.index(self.stage) + 0.5) / len(STAGES)


class JobBook:
    """Jobs and attempts of one store."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.area = UploadArea(self.data_dir)
        self.jobs = self.area.root / JOBS_DIR

    def _path(self, job_id: str) -> Path:
        return self.jobs / f"{job_id}.json"

    def save(self, job: Job) -> None:
        self.jobs.mkdir(parents=True, exist_ok=True)
        write_json_atomically(self._path(job.id), asdict(job))

    def load(self, job_id: str) -> Job | None:
        raw = read_json(self._path(job_id))
        if not isinstance(raw, dict):
            return None
        return Job(**{k: raw[k] for k in Job.__dataclass_fields__ if k in raw})

    def get(self, job_id: str | None) -> Job | None:
        """The job's last written state, from whichever process runs it; a job whose process is gone
        (a worker restarted mid-job) is reported as interrupted: the store is unchanged then."""
        if not job_id or len(job_id) != 32 or not set(job_id) <= _ID_CHARS:
            return None
        job = self.load(job_id)
        if job is not None and not job.finished and job.host == socket.gethostname() and not _alive(job.pid):
            _interrupt(job)
        return job

    def start(self, upload: Upload, *, dataset: str, mode: str, dedupe: str, dry_run: bool,
              mapping: dict[str, Any], user: str | None, druid: bool = False) -> Job:
        """Record a new job and run it in a child process; returns at once."""
        if mode not in MODES or dedupe not in DEDUPE or dataset not in ("sales", "pipeline"):
            raise ValueError("unknown dataset, mode or dedupe choice")
        if dataset == "pipeline" and dedupe != "refuse":
            raise ValueError("skipping lines already loaded applies to sales lines only")
        job = Job(secrets.token_hex(16), upload.id, upload.name, dataset, mode, dedupe, dry_run, mapping, user,
                  druid=druid)
        self._prune()
        self.save(job)
        with open(self.jobs / f"{job.id}.log", "wb") as log_file:
            child = subprocess.Popen([sys.executable, "-m", "app.uploads.runner", str(self.data_dir), job.id],
                                     cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=log_file,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        threading.Thread(target=self._reap, args=(child, job.id), name=f"ingest-{job.id[:8]}", daemon=True).start()
        return job

    def _prune(self) -> None:
        """Job files (state and log) go a day after their last change; the history keeps the outcome."""
        cutoff = time.time() - KEEP_SECONDS
        for path in self.jobs.glob("*"):
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()

    def _reap(self, child: subprocess.Popen, job_id: str) -> None:
        """Wait for the child (no zombie); if it died before finishing, say so in the job's state."""
        child.wait()
        job = self.load(job_id)
        if job is not None and not job.finished:
            _interrupt(job, f"the loading process ended with code {child.returncode}")
            self.log_attempt(job)  # before the final state: whoever sees "finished" sees it in the history
            self.save(job)

    def run(self, job: Job) -> None:
        """The child process's work (``app.uploads.runner``): the ingest, with each stage recorded."""
        upload = self.area.get(job.upload_id)
        job.state, job.pid = "running", os.getpid()
        self.save(job)
        if upload is None:
            job.state, job.finished_at = "done", time.time()
            job.result = {"status": "error", "summary": "the uploaded file is no longer on the server", "problems": []}
            self.log_attempt(job)
            self.save(job)
            return
        druid = None
        if job.druid:
            from app.config import Settings
            from data.engines.druid_client import DruidSettings

            druid = DruidSettings.from_mapping(Settings.from_env().druid_env)

        def on_stage(name: str) -> None:
            job.stage = name
            self.save(job)

        try:
            job.result = self._ingest(job, upload, druid, on_stage)
        except Exception as exc:  # noqa: BLE001 - the store failed while writing a valid file
            log.exception("ingest job %s failed", job.id)
            job.result = {"status": "error", "summary": f"loading failed: {type(exc).__name__}: {exc}"[:300],
                          "problems": [], "rows": 0}
        job.state = "done"
        job.finished_at = time.time()
        # The attempt is logged before the final state is saved, so a poller that sees the job finished
        # (and redraws the history) always finds it there.
        if not job.result.get("committed"):
            self.log_attempt(job)
        self.save(job)
        if job.result.get("committed"):
            self.area.remove(upload)  # loaded: the bytes are in the store now

    def _ingest(self, job: Job, upload: Upload, druid: Any, on_stage: Any) -> dict[str, Any]:
        path = self.area.path_of(upload)
        common = dict(data_dir=self.data_dir, mode=job.mode, dry_run=job.dry_run, file_name=job.file_name,
                      user=job.user, on_stage=on_stage)
        if job.dataset == "sales":
            from ingest.pipeline import ingest_file

            result = ingest_file(path, mapping=rules("sales", job.mapping), dedupe=job.dedupe, druid=druid, **common)
        else:
            from ingest.opportunities_ingest import ingest_opportunities

            result = ingest_opportunities(path, mapping=rules("pipeline", job.mapping, self.area.root), **common)
        report = result.report.to_dict()
        committed = result.status == "ok" and result.rows > 0
        return {
            "status": result.status if result.rows or result.status == "rejected" or job.dry_run else "nothing_new",
            "committed": committed,
            "summary": result.summary(),
            "rows": result.rows,
            "seconds": round(result.seconds, 2),
            "data_version": result.data_version,
            "previous_data_version": report.get("previous_data_version"),
            "problems": report["problems"][:MAX_PROBLEMS],
            "problem_count": len(report["problems"]),
            "notes": report["notes"][:20],
            "duplicate_rows": report.get("duplicate_rows"),
            "source_rows": report.get("source_rows"),
        }

    # -- the log of attempts that changed nothing ------------------------------------------------
    @contextlib.contextmanager
    def _attempts_lock(self) -> Iterator[None]:
        self.area.ensure()
        with open(self.area.root / ".attempts.lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def log_attempt(self, job: Job) -> None:
        """Add an attempt that changed nothing to the bounded log (the store's history has the rest)."""
        result = job.result or {}
        entry = {
            "ingested_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(job.finished_at or time.time())),
            "file_name": job.file_name, "dataset": job.dataset, "mode": job.mode, "rows": 0,
            "outcome": {"rejected": "rejected", "dry_run": "checked, not loaded", "nothing_new": "nothing new",
                        "ok": "nothing new"}.get(result.get("status", ""), "failed"),
            "user": job.user, "summary": result.get("summary"), "problems": result.get("problems", [])[:20],
            "problem_count": result.get("problem_count", 0),
        }
        with self._attempts_lock():
            path = self.area.root / ATTEMPTS_FILE
            entries = read_json(path)
            entries = entries if isinstance(entries, list) else []
            write_json_atomically(path, [entry, *entries][:ATTEMPTS_LIMIT])

    def attempts(self) -> list[dict[str, Any]]:
        entries = read_json(self.area.root / ATTEMPTS_FILE)
        return entries if isinstance(entries, list) else []


def _interrupt(job: Job, why: str = "the process loading this file stopped") -> None:
    job.state = "interrupted"
    job.finished_at = job.finished_at or time.time()
    job.result = {"status": "error", "summary": f"{why}; nothing was loaded by it unless the history says so. "
                  "Start it again.", "problems": [], "rows": 0}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
