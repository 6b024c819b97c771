"""``mauzo ingest``: read a file, validate all of it, and only then commit it as a new snapshot.

Order matters: the cheap refusals come first (not a file, not what its name says, unreadable,
duplicate sha256, missing columns), then every row is parsed and checked (values, control
characters, contradictory signs, the schema), then lines already in the store are looked for, and
nothing touches the store until the whole file is known to be valid. The commit itself is the
store's atomic snapshot swap, with the duplicate checks repeated under its lock.

Whatever a file holds, the outcome is a report and exit code 2, never a traceback: an unexpected
error while reading or checking a file is reported as ``unreadable``.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

import polars as pl

from data.engines.druid_client import DruidSettings
from data.engines.druid_ingest import DruidDuplicateFile, DruidIngestError, ingest_storage_frame, progress_printer
from data.errors import DataLayerError
from data.store import SnapshotStore
from ingest.dedupe import DEDUPE_MODES, DuplicateLines, LineCheck, NothingNew, repeated_within
from ingest.headers import plan_columns, score
from ingest.mapping import Mapping, MappingError, load_mapping
from ingest.parse import Parsed, missing_columns, parse_frame
from ingest.progress import Progress, wants_progress
from ingest.readers import file_kind, read_source
from ingest.report import Problem, Report, truncate, visible
from ingest.schema import CANONICAL_COLUMNS
from ingest.shape import apply_row_filters, canonical_raw
from ingest.signs import check_signs
from ingest.source import ReadError
from ingest.storage import DuplicateFile, commit_lines, to_storage
from ingest.validate import check_rows

T = TypeVar("T")
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
        skipped = self.report.facts.get("duplicate_rows", 0) if self.report.facts.get("dedupe") == "skip" else 0
        if self.ok and skipped and self.rows == 0:
            return (f"{'dry run: ' if self.status == 'dry_run' else ''}nothing new in {name}: all {skipped:,} lines "
                    f"are already in the current data (--dedupe skip); nothing written; data version still "
                    f"{self.data_version or '(empty store)'}")
        also = f" ({skipped:,} already in the store skipped)" if skipped else ""
        if self.status == "ok":
            rows = f"{self.rows:,} row{'' if self.rows == 1 else 's'}"
            return (f"ingested {rows} from {name}{also} in {self.seconds:.2f} s ({rate} rows/s); "
                    f"data version {self.data_version}")
        if self.status == "dry_run":
            return (f"dry run: {self.rows:,} valid rows in {name}{also} checked in {self.seconds:.2f} s "
                    f"({rate} rows/s); nothing written")
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
    dedupe: str = "refuse",
    progress: bool = False,
    druid: DruidSettings | None = None,
    file_name: str | None = None,
    user: str | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> IngestResult:
    """Validate ``path`` completely, then (unless ``dry_run``) commit it atomically.

    ``file_name`` names the file in the report and the history instead of the path's own name (an
    upload is stored under a random name); ``user`` is recorded in the history entry; ``on_stage``
    hears each stage (reading, matching columns, parsing, validating, writing snapshot).

    With ``druid`` the validated rows go to Apache Druid (``data.engines.druid_ingest``: nothing is
    sent unless the whole file is valid; a failed task changes nothing) instead of the local store;
    lines already loaded are then found by Druid's ingest history (whole files), not line by line.

    ``dedupe`` (append only) says what to do with lines already in the store: ``refuse`` the file
    (unless ``force``) or ``skip`` them and load the rest (see ``ingest.dedupe``).

    Never raises for a bad file: the result's report lists the problems and ``exit_code`` is 2."""
    if mode not in ("append", "replace"):
        raise ValueError(f"mode must be append or replace, not {mode!r}")
    if dedupe not in DEDUPE_MODES:
        raise ValueError(f"dedupe must be one of {DEDUPE_MODES}, not {dedupe!r}")
    started = time.perf_counter()
    path = Path(path)
    store = SnapshotStore(data_dir)
    before = store.manifest()
    name = file_name or path.name
    report = Report(file=name)
    report.facts.update(mode=mode, dry_run=dry_run, data_dir=str(store.data_dir),
                        previous_data_version=before.version if before else None)
    sha: str | None = None
    rows = 0
    writing = False
    bar = Progress(progress, name, on_stage)
    who = {"user": user} if user else {}
    try:
        rules = _resolve_mapping(mapping)
        kind = _check_path(path)
        bar.stage("reading")
        data = _read_bytes(path) if kind == "csv" else None
        sha = _unless_unreadable(partial(file_sha256, path, data))
        report.facts.update(sha256=sha, format=kind, bytes=path.stat().st_size)
        duplicate = (store.sha_in_current_data(sha)
                     if druid is None and mode == "append" and not force and dedupe == "refuse" else None)
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
        parsed = parse_frame(raw, table.lines, rules, table.kind, table.unit,
                             printable=set(plan.sources) if table.printable else ())
        report.notes.extend(parsed.notes)
        problems += parsed.problems

        bar.stage("validating")
        lines, parsed_rows, raw_rows = _rows_that_parsed(table.lines, parsed)
        signs = check_signs(parsed_rows, lines, raw_rows, table.unit, rules.signs,
                            "gross_profit" if parsed.cost_from_gross_profit else "cost")
        problems += signs.problems
        report.notes.extend(signs.notes)
        if signs.normalised:
            report.facts["sign_normalised_rows"] = signs.normalised
        frame = signs.frame  # the rows that parsed, with signs normalised if the mapping says so
        problems += check_rows(frame, lines, raw_rows, table.unit)
        if problems:
            raise _Rejected(problems)
        rows = frame.height
        report.facts.update(rows=rows, **_period(frame))
        repeated = repeated_within(frame)
        if repeated:
            report.notes.append(
                f"{repeated:,} line{'s' if repeated != 1 else ''} repeat{'s' if repeated == 1 else ''} an earlier line "
                "of this file exactly; all are kept (the same item scanned twice on one invoice is two sales)")
        line_check = None
        if druid is None and mode == "append" and (dedupe == "skip" or not force):
            line_check = LineCheck(dedupe, frame, lines, table.unit)
            found = line_check.run(store).count
            report.facts.update(dedupe=dedupe, duplicate_rows=found)
            if found and dedupe == "refuse":
                raise _Rejected([line_check.problem()])
            if found:
                report.notes.append(line_check.note())
                rows -= found
            if found and rows == 0:
                raise NothingNew(line_check)
        if dry_run:
            report.status = "dry_run"
            return _finish(report, rows, started, sha, before.version if before else None)

        # Only the validated rows (and the line check's keys) are written: the file's text, its
        # canonical text and the parsed copy are let go first, or they would sit in memory
        # through the write (at a million lines the peak fell from 1,381 to 1,117 MB).
        source_rows = report.facts["source_rows"]
        del table, raw, parsed, signs, parsed_rows, raw_rows
        if line_check is None:
            del lines

        if druid is not None:
            bar.stage("loading into Druid")
            entry = _load_into_druid(frame, druid, mode=mode, file_name=name, sha256=sha, force=force,
                                     extra={"source_rows": source_rows, "format": kind, **who})
            report.status = "ok"
            return _finish(report, entry["rows"], started, sha, entry.get("data_version"))

        bar.stage("writing snapshot")
        writing = True
        entry = commit_lines(
            frame, data_dir=store.data_dir, file_name=name, sha256=sha, mode=mode,
            extra={"source_rows": source_rows, "format": kind, **who},
            refuse_duplicate=not force and dedupe == "refuse", lines=line_check,
        )
        if line_check is not None:
            report.facts["duplicate_rows"] = line_check.skipped
        report.status = "ok"
        return _finish(report, entry["rows"], started, sha, entry["data_version"])
    except _Rejected as rejected:
        report.problems = sorted(rejected.problems, key=_problem_order)
    except ReadError as exc:
        report.problems = [exc.problem]
    except DuplicateFile as exc:
        report.problems = [_duplicate_problem(exc.batch)]
    except DruidDuplicateFile as exc:
        report.problems = [Problem(None, "duplicate_file", f"Druid already holds this file: {_first_line(exc)}; "
                                   "use --force to load it again", 0)]
    except DataLayerError as exc:  # Druid unreachable or refusing before any task ran
        report.problems = [Problem(None, "druid_unavailable", f"Druid could not be reached: {_first_line(exc)}", 0)]
    except DruidIngestError as exc:  # nothing visible changed in Druid (see druid_ingest)
        report.problems = [Problem(None, "druid_failed", f"Druid did not load the file: {_first_line(exc)}", 0)]
    except DuplicateLines as exc:  # found under the ingest lock: another ingest committed them meanwhile
        report.facts["duplicate_rows"] = exc.check.match.count if exc.check.match else 0
        report.problems = [exc.check.problem()]
    except NothingNew as exc:
        report.facts["duplicate_rows"] = exc.check.match.count if exc.check.match else 0
        if not any(n.startswith("--dedupe skip") for n in report.notes):
            report.notes.append(exc.check.note())
        report.status = "dry_run" if dry_run else "ok"
        current = store.manifest()
        return _finish(report, 0, started, sha, current.version if current else None)
    except Exception as exc:  # noqa: BLE001 - a bad file must end in a report, never a traceback
        if writing:
            raise  # the file was valid; a failure while writing is the store's, and is not hidden
        report.problems = [Problem(None, "unreadable", f"cannot read this file as a sales table: "
                                   f"{type(exc).__name__}: {_first_line(exc)}", 0)]
    finally:
        bar.close()
    report.status = "rejected"
    current = store.manifest()
    return _finish(report, 0, started, sha, current.version if current else None)


def _load_into_druid(frame: pl.DataFrame, settings: DruidSettings, *, mode: str, file_name: str, sha256: str,
                     force: bool, extra: dict) -> dict:
    return ingest_storage_frame(to_storage(frame), settings=settings, mode=mode, file_name=file_name,
                                sha256=sha256, extra=extra, refuse_duplicate=not force, on_progress=progress_printer())


def _rows_that_parsed(lines: pl.Series, parsed: Parsed) -> tuple[pl.Series, pl.DataFrame, pl.DataFrame]:
    """File lines, parsed values and raw text of the rows that parsed. When every row did (the
    usual case) they are the frames themselves: a filter would copy every column, and at ten
    million lines each copy is gigabytes."""
    if not parsed.bad.any():
        return lines, parsed.frame, parsed.raw
    good = ~parsed.bad
    return lines.filter(good), parsed.frame.filter(good), parsed.raw.filter(good)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return visible(truncate(text.splitlines()[0] if text else "(no message)", 200))


def _check_path(path: Path) -> str:
    """The file kind, after refusing a path that is missing, a directory, special, or empty."""
    try:
        path.stat()
    except PermissionError as exc:
        raise _Rejected([Problem(None, "unreadable", f"cannot open {path}: {exc.strerror}", 0)]) from None
    except OSError:
        pass
    if not path.exists():
        where = "" if path.parent.is_dir() else f" (and the directory {path.parent} does not exist either)"
        raise _Rejected([Problem(None, "file_missing", f"no such file: {path}{where}", 0)])
    if path.is_dir():
        raise _Rejected([Problem(None, "not_a_file", f"{path} is a directory; give the path of one file in it", 0)])
    if not path.is_file():
        raise _Rejected([Problem(None, "not_a_file", f"{path} is not a regular file (a device, pipe or socket)", 0)])
    kind = file_kind_or_reject(path)
    if path.stat().st_size == 0:
        raise _Rejected([Problem(None, "empty_file", "the file is empty (0 bytes)", 0)])
    return kind


def _unless_unreadable(read: Callable[[], T]) -> T:
    try:
        return read()
    except OSError as exc:
        raise _Rejected([Problem(None, "unreadable", f"cannot read the file: {exc.strerror or exc}", 0)]) from None


def _read_bytes(path: Path) -> bytes:
    return _unless_unreadable(path.read_bytes)


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
    first = problem.column.split("/")[0]  # "quantity/revenue/cost" sorts with quantity
    return CANONICAL_COLUMNS.index(first) if first in CANONICAL_COLUMNS else len(CANONICAL_COLUMNS)


def _period(frame: pl.DataFrame) -> dict[str, str]:
    first, last = frame["sale_date"].min(), frame["sale_date"].max()
    return {"first_date": str(first), "last_date": str(last)} if first is not None else {}


def _finish(report: Report, rows: int, started: float, sha: str | None, version: str | None) -> IngestResult:
    seconds = time.perf_counter() - started
    report.facts.update(rows=rows, seconds=round(seconds, 3),
                        rows_per_s=round(rows / seconds) if seconds > 0 else None, data_version=version)
    return IngestResult(report, rows, seconds, sha, version)


def druid_settings(args: argparse.Namespace) -> DruidSettings | None:
    """``--engine druid`` (or MAUZO_ENGINE=druid): Druid's settings from every DRUID_* variable."""
    from app.config import Settings

    settings = Settings.from_env()
    if (getattr(args, "engine", None) or settings.engine) != "druid":
        return None
    if not settings.druid_url:
        raise SystemExit("mauzo: --engine druid needs DRUID_URL (the Druid router); see docs/druid.md")
    return DruidSettings.from_mapping(settings.druid_env)


def run_ingest_cli(args: argparse.Namespace) -> int:
    """Entry point of ``mauzo ingest``: report on stderr, one-line summary on stdout."""
    path = Path(args.path)
    try:
        size = path.stat().st_size if path.is_file() else 0
    except OSError:  # e.g. a directory on the way that we may not enter: ingest_file reports it
        size = 0
    result = ingest_file(
        path,
        data_dir=args.data_dir,
        mapping=args.mapping,
        mode=args.mode,
        dry_run=args.dry_run,
        encoding=args.encoding,
        delimiter=getattr(args, "delimiter", None),
        force=args.force,
        dedupe=getattr(args, "dedupe", "refuse"),
        progress=wants_progress(size),
        druid=druid_settings(args),
    )
    if result.report.problems:
        print(result.report.text(), file=sys.stderr)
    if args.report:
        result.report.write_json(Path(args.report))
    print(result.summary())
    return result.exit_code
