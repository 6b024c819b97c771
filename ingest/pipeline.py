"""``mauzo ingest``: read a file, validate all of it, and only then commit it as a new snapshot.

Order matters: the cheap refusals come first (unreadable file, duplicate sha256, missing
columns), then every row is parsed and checked, and nothing touches the store until the whole
file is known to be valid. The commit itself is the store's atomic snapshot swap.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from data.store import SnapshotStore
from ingest.headers import plan_columns, score
from ingest.mapping import Mapping, MappingError, load_mapping
from ingest.parse import missing_columns, parse_frame
from ingest.progress import Progress, wants_progress
from ingest.readers import file_kind, read_source
from ingest.report import Problem, Report
from ingest.schema import CANONICAL_COLUMNS
from ingest.shape import apply_row_filters, canonical_raw
from ingest.source import ReadError
from ingest.storage import DuplicateFile, commit_lines
from ingest.validate import check_rows

EXIT_OK = 0
EXIT_REJECTED = 2


@dataclass
class IngestResult:
    """The outcome of one ingest; ``report`` carries the problems and the facts for ``--report``."""

    report: Report
    rows: int
    seconds: float
    sha256: str | None
    data_version: str | None

    @property
    def status(self) -> str:
        return self.report.status

    @property
    def ok(self) -> bool:
        return self.report.status in ("ok", "dry_run")

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ok else EXIT_REJECTED

    def summary(self) -> str:
        """The one line printed at the end of every run."""
        rate = f"{self.rows / self.seconds:,.0f}" if self.seconds > 0 else "-"
        name = self.report.file
        if self.status == "ok":
            return (f"ingested {self.rows:,} rows from {name} in {self.seconds:.2f} s ({rate} rows/s); "
                    f"data version {self.data_version}")
        if self.status == "dry_run":
            return (f"dry run: {self.rows:,} valid rows in {name} checked in {self.seconds:.2f} s ({rate} rows/s); "
                    "nothing written")
        count = len(self.report.problems)
        return (f"rejected {name}: {count} problem{'s' if count != 1 else ''}, 0 rows written in "
                f"{self.seconds:.2f} s; data version still {self.data_version or '(empty store)'}")


def file_sha256(path: Path, data: bytes | None = None) -> str:
    if data is not None:
        return hashlib.sha256(data).hexdigest()
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Rejected(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def _resolve_mapping(mapping: Mapping | Path | str | None) -> Mapping:
    if mapping is None:
        return Mapping()
    if isinstance(mapping, Mapping):
        return mapping
    try:
        return load_mapping(Path(mapping))
    except MappingError as exc:
        raise _Rejected([Problem(None, "mapping", str(exc), 0)]) from None


def ingest_file(
    path: Path | str,
    *,
    data_dir: Path | str | None = None,
    mapping: Mapping | Path | str | None = None,
    mode: str = "append",
    dry_run: bool = False,
    encoding: str | None = None,
    delimiter: str | None = None,
    force: bool = False,
    progress: bool = False,
) -> IngestResult:
    """Validate ``path`` completely, then (unless ``dry_run``) commit it atomically.

    Never raises for a bad file: the result's report lists the problems and ``exit_code`` is 2."""
    if mode not in ("append", "replace"):
        raise ValueError(f"mode must be append or replace, not {mode!r}")
    started = time.perf_counter()
    path = Path(path)
    store = SnapshotStore(data_dir)
    before = store.manifest()
    report = Report(file=path.name)
    report.facts.update(mode=mode, dry_run=dry_run, data_dir=str(store.data_dir),
                        previous_data_version=before.version if before else None)
    sha: str | None = None
    rows = 0
    bar = Progress(progress, path.name)
    try:
        rules = _resolve_mapping(mapping)
        if not path.is_file():
            raise _Rejected([Problem(None, "file_missing", f"no such file: {path}", 0)])
        kind = file_kind_or_reject(path)
        bar.stage("reading")
        data = path.read_bytes() if kind == "csv" else None
        sha = file_sha256(path, data)
        report.facts.update(sha256=sha, format=kind, bytes=path.stat().st_size)
        duplicate = store.sha_in_current_data(sha) if mode == "append" and not force else None
        if duplicate is not None:
            raise _Rejected([_duplicate_problem(duplicate)])
        table = read_source(path, data=data, encoding=encoding or rules.encoding,
                            delimiter=delimiter or rules.delimiter, sheet=rules.sheet, score=score)
        del data
        report.facts.update(encoding=table.encoding, delimiter=table.delimiter, blank_rows=table.blank_rows)
        report.notes.extend(table.notes)
        problems = list(table.problems)

        bar.stage("matching columns")
        filtered, filter_problems = apply_row_filters(table, rules)
        problems += filter_problems
        if filtered:
            report.notes.append(f"{filtered:,} rows left out by [filter]")
        plan = plan_columns(table.frame.columns, rules.columns)
        report.facts.update(columns=plan.sources, ignored_columns=plan.ignored, filtered_rows=filtered)
        problems += plan.problems
        available = set(plan.sources) | set(rules.constants)
        problems += missing_columns(available)
        if problems:
            raise _Rejected(problems)
        report.facts["source_rows"] = table.frame.height
        if table.frame.height == 0:
            message = "no data rows left after [filter]" if filtered else "the file has a header but no data rows"
            raise _Rejected([Problem(None, "no_rows", message, 0)])

        bar.stage("parsing")
        raw = canonical_raw(table, plan, rules)
        parsed = parse_frame(raw, table.lines, rules, table.kind, table.unit)
        report.notes.extend(parsed.notes)
        problems += parsed.problems

        bar.stage("validating")
        good = ~parsed.bad
        problems += check_rows(parsed.frame.filter(good), table.lines.filter(good), parsed.raw.filter(good),
                               table.unit)
        if problems:
            raise _Rejected(problems)
        rows = parsed.frame.height
        report.facts.update(rows=rows, **_period(parsed.frame))
        if dry_run:
            report.status = "dry_run"
            return _finish(report, rows, started, sha, before.version if before else None)

        bar.stage("writing snapshot")
        entry = commit_lines(
            parsed.frame, data_dir=store.data_dir, file_name=path.name, sha256=sha, mode=mode,
            extra={"source_rows": table.frame.height, "format": kind}, refuse_duplicate=not force,
        )
        report.status = "ok"
        return _finish(report, rows, started, sha, entry["data_version"])
    except _Rejected as rejected:
        report.problems = sorted(rejected.problems, key=_problem_order)
    except ReadError as exc:
        report.problems = [exc.problem]
    except DuplicateFile as exc:
        report.problems = [_duplicate_problem(exc.batch)]
    finally:
        bar.close()
    report.status = "rejected"
    current = store.manifest()
    return _finish(report, 0, started, sha, current.version if current else None)


def file_kind_or_reject(path: Path) -> str:
    try:
        return file_kind(path)
    except ReadError as exc:
        raise _Rejected([exc.problem]) from None


def _duplicate_problem(batch: dict) -> Problem:
    return Problem(None, "duplicate_file",
                   f"this file (same sha256) is already in the current data as batch {batch.get('batch_id')} "
                   f"({batch.get('file_name')}, {batch.get('rows', 0):,} rows); use --force to append it again "
                   "or --mode replace", 0)


def _problem_order(problem: Problem) -> int:
    """File-level problems first, then column by column in canonical order."""
    if problem.column is None:
        return -1
    return CANONICAL_COLUMNS.index(problem.column) if problem.column in CANONICAL_COLUMNS else len(CANONICAL_COLUMNS)


def _period(frame: pl.DataFrame) -> dict[str, str]:
    first, last = frame["sale_date"].min(), frame["sale_date"].max()
    return {"first_date": str(first), "last_date": str(last)} if first is not None else {}


def _finish(report: Report, rows: int, started: float, sha: str | None, version: str | None) -> IngestResult:
    seconds = time.perf_counter() - started
    report.facts.update(rows=rows, seconds=round(seconds, 3),
                        rows_per_s=round(rows / seconds) if seconds > 0 else None, data_version=version)
    return IngestResult(report, rows, seconds, sha, version)


def run_ingest_cli(args: argparse.Namespace) -> int:
    """Entry point of ``mauzo ingest``: report on stderr, one-line summary on stdout."""
    path = Path(args.path)
    size = path.stat().st_size if path.is_file() else 0
    result = ingest_file(
        path,
        data_dir=args.data_dir,
        mapping=args.mapping,
        mode=args.mode,
        dry_run=args.dry_run,
        encoding=args.encoding,
        delimiter=getattr(args, "delimiter", None),
        force=args.force,
        progress=wants_progress(size),
    )
    if result.report.problems:
        print(result.report.text(), file=sys.stderr)
    if args.report:
        result.report.write_json(Path(args.report))
    print(result.summary())
    return result.exit_code
