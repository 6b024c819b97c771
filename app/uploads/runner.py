"""``python -m app.uploads.runner DATA_DIR JOB_ID``: run one Data page job in its own process.

Started by ``JobBook.start``; writes the job's state file at each stage and when done (see
``app.uploads.jobs`` for why a process of its own)."""

from __future__ import annotations

import sys
from pathlib import Path

from app.logging_config import configure_logging
from app.uploads.jobs import JobBook


def main(argv: list[str]) -> int:
    data_dir, job_id = argv
    configure_logging()
    book = JobBook(Path(data_dir))
    job = book.load(job_id)
    if job is None:
        print(f"no job {job_id} under {data_dir}", file=sys.stderr)
        return 2
    book.run(job)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
