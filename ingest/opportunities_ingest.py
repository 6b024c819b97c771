"""``mauzo ingest PATH --dataset pipeline``: load a CRM opportunities export (won, lost and open deals).

The same contract as sales lines (``ingest.pipeline``), through the same readers, report and store:
every row is read, parsed, enriched and validated before anything is written; a bad file exits
with code 2, changes nothing, and the report names the column, the check, the failing row count
and the file lines with the values as written. The commit is the store's atomic snapshot swap into
the ``opportunities`` table (the sales table is copied untouched), so ``kill -9`` loses nothing.

On append, a deal id already in the current data refuses the file: a CRM export is a picture of
the whole pipeline, so loading it again (or a later export) is a ``--mode replace``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import duckdb
import polars as pl

from data.schema import OPPORTUNITIES_TABLE, UNASSIGNED
from data.store import IngestRecord, SnapshotStore
from ingest.enrich import enrich, load_lookup
from ingest.mapping import MappingError
from ingest.opportunities import (
    DATES,
    DIMENSIONS,
    REQUIRED_SOURCE,
    SOURCE_COLUMNS,
    classify,
    to_storage,
    validation_problems,
    with_derived_dates,
)
from ingest.opportunities_mapping import PipelineMapping, load_pipeline_mapping, plan_columns, score
from ingest.parse import CONTROL_CHARS, clean_text, parse_dates, parse_numbers
from ingest.pipeline import (
    IngestResult,
    _check_path,
    _duplicate_problem,
    _finish,
    _first_line,
    _read_bytes,
    _Rejected,
    _unless_unreadable,
    file_sha256,
)
from ingest.progress import Progress, wants_progress
from ingest.readers import read_source
from ingest.report import MAX_EXAMPLES, Problem, Report, problem_from_mask
from ingest.shape import apply_row_filters
from ingest.source import ReadError, SourceTable
from ingest.storage import DuplicateFile

TEXT = ("opportunity_id", *DIMENSIONS, "stage")


class DealsInStore(Exception):
    """Deals with these ids are already in the current data (append)."""

    def __init__(self, clashes: pl.DataFrame) -> None:
        super().__init__(f"{clashes.height} deals already in the store")
        self.clashes = clashes  # opportunity_id, batch_id


@dataclass
class ParsedDeals:
    frame: pl.DataFrame  # SOURCE_COLUMNS typed; text null where blank
    raw: pl.DataFrame  # the source text per canonical column
    bad: pl.Series
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse_deals(raw: pl.DataFrame, lines: pl.Series, rules: PipelineMapping, kind: str, unit: str) -> ParsedDeals:
    """Typed columns from the source text; each value that cannot be read is a problem, and its row
    is kept out of later checks (one bad cell is reported once)."""
    fmt = rules.format
    text_raw = {c: raw[c].cast(pl.String) for c in raw.columns}
    out = ParsedDeals(pl.DataFrame(), pl.DataFrame(), pl.Series("bad", [False] * raw.height))
    columns: dict[str, pl.Series] = {}

    def fail(column: str, check: str, message: str, mask: pl.Series) -> None:
        problem = problem_from_mask(column, check, message, mask, lines, text_raw[column], unit)
        if problem:
            out.problems.append(problem)
            out.bad = out.bad | mask

    def blank(values: pl.Series) -> pl.Series:
        return values.cast(pl.String).str.strip_chars().fill_null("") == ""

    broken = 0
    for column in TEXT:
        if column not in raw.columns:
            columns[column] = pl.Series(column, [None] * raw.height, dtype=pl.String)
            continue
        fail(column, "control_character",
             "contains a control character (corrupt data, binary data or a wrong encoding?)",
             text_raw[column].str.contains(CONTROL_CHARS).fill_null(False))
        values, changed = clean_text(raw[column])
        broken += changed
        empty = blank(values)
        if column in REQUIRED_SOURCE:
            fail(column, "missing_value", "required value is empty", empty)
        columns[column] = pl.select(pl.when(pl.lit(empty)).then(None).otherwise(pl.lit(values))).to_series()
    if broken:
        out.notes.append(f"{broken:,} text cell{'s' if broken != 1 else ''} held a tab or line break; "
                         "each became one space")
    for column in DATES:
        if column not in raw.columns:
            columns[column] = pl.Series(column, [None] * raw.height, dtype=pl.Date)
            continue
        empty = blank(raw[column])
        dates, used = parse_dates(raw[column], fmt.date_format, kind)
        if not bool(empty.all()):
            out.notes.append(f"{column}: date format {used}")
        hint = f" (expected {fmt.date_format})" if fmt.date_format else ""
        fail(column, "date_format", f"not a date{hint}", dates.is_null() & ~empty)
        columns[column] = dates
    if "value" in raw.columns:
        empty = blank(raw["value"])
        values = parse_numbers(raw["value"], fmt.decimal, fmt.thousands_separator)
        fail("value", "number_format", "not a number", values.is_null() & ~empty)
        columns["value"] = values
    else:
        columns["value"] = pl.Series("value", [None] * raw.height, dtype=pl.Float64)
    out.frame = pl.DataFrame([columns[c].alias(c) for c in SOURCE_COLUMNS])
    out.raw = pl.DataFrame([text_raw[c].alias(c) for c in text_raw]) if text_raw else pl.DataFrame()
    return out


def unknown_stages(frame: pl.DataFrame, lines: pl.Series, raw: pl.DataFrame, rules: PipelineMapping,
                   unit: str) -> Problem | None:
    """Stages outside the mapping's won, lost and open lists (only when it lists open stages)."""
    mask = frame["outcome"].is_null() & frame["stage"].is_not_null()
    listed = ", ".join((*rules.stages.won, *rules.stages.lost, *(rules.stages.open or ())))
    return problem_from_mask("stage", "unknown_stage", f"stage not listed in [stages] ({listed})", mask, lines,
                             raw["stage"], unit)


def fill_unassigned(frame: pl.DataFrame) -> pl.DataFrame:
    """A dimension with no value (blank cell, no column, no lookup match allowed) is ``Unassigned``."""
    return frame.with_columns([
        pl.when(pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "")).then(pl.lit(UNASSIGNED))
        .otherwise(pl.col(c)).alias(c)
        for c in DIMENSIONS
    ])


def _raw_columns(table: SourceTable, sources: dict[str, str], rules: PipelineMapping) -> pl.DataFrame:
    height = table.frame.height
    columns = [table.frame[source].alias(target) for target, source in sources.items()]
    columns += [pl.Series(target, [value] * height, dtype=pl.String)
                for target, value in rules.constants.items() if target not in sources]
    return pl.DataFrame(columns, height=height)


def _outcome_counts(frame: pl.DataFrame) -> dict[str, int]:
    counts = dict(frame["outcome"].value_counts().iter_rows())
    return {name: int(counts.get(name, 0)) for name in ("won", "lost", "open")}


def ids_in_store(con: duckdb.DuckDBPyConnection, ids: pl.Series) -> pl.DataFrame:
    """Which of ``ids`` the snapshot behind ``con`` already holds, with their batch."""
    incoming = pl.DataFrame({"opportunity_id": ids})
    con.register("incoming_ids", incoming)
    try:
        return con.sql(f"SELECT o.opportunity_id, min(o.batch_id) AS batch_id FROM {OPPORTUNITIES_TABLE} o "
                       "SEMI JOIN incoming_ids i ON o.opportunity_id = i.opportunity_id "
                       "GROUP BY o.opportunity_id ORDER BY o.opportunity_id").pl()
    finally:
        con.unregister("incoming_ids")


def current_clashes(store: SnapshotStore, ids: pl.Series) -> pl.DataFrame:
    """``ids_in_store`` against the live snapshot (read-only), for the report and ``--dry-run``."""
    manifest = store.manifest()
    if manifest is None or manifest.rows_of(OPPORTUNITIES_TABLE) == 0:
        return pl.DataFrame({"opportunity_id": [], "batch_id": []},
                            schema={"opportunity_id": pl.String, "batch_id": pl.Int32})
    con = duckdb.connect(str(store.snapshot_path(manifest)), read_only=True)
    try:
        return ids_in_store(con, ids)
    finally:
        con.close()


def commit_deals(frame: pl.DataFrame, *, data_dir: Path | str | None, file_name: str, sha256: str, mode: str,
                 extra: dict | None = None, refuse_duplicate: bool = False) -> dict:
    """Write validated canonical deals into the opportunities table as a new snapshot; returns the
    history entry. On append, under the ingest lock, a file already in the current data (same sha256,
    with ``refuse_duplicate``) raises ``DuplicateFile`` and an id already stored raises ``DealsInStore``;
    either way nothing is written."""
    if mode not in ("append", "replace"):
        raise ValueError(f"mode must be append or replace, not {mode!r}")
    store = SnapshotStore(data_dir)
    record = IngestRecord(file_name=file_name, sha256=sha256, mode=mode, rows=frame.height,
                          table=OPPORTUNITIES_TABLE, extra=extra or {})
    with store.write(record) as writer:
        if mode == "append":
            if refuse_duplicate and (batch := store.sha_in_current_data(sha256, OPPORTUNITIES_TABLE)) is not None:
                raise DuplicateFile(batch)
            clashes = ids_in_store(writer.con, frame["opportunity_id"])
            if clashes.height:
                raise DealsInStore(clashes)
        writer.append_frame(to_storage(frame), table=OPPORTUNITIES_TABLE)
    assert writer.committed is not None
    return writer.committed


def _new(count: int) -> str:
    return f"{count:,} of this file's deals {'is' if count == 1 else 'are'} new"


def _clash_problem(clashes: pl.DataFrame, frame: pl.DataFrame, lines: pl.Series, store: SnapshotStore,
                   unit: str) -> Problem:
    manifest = store.manifest()
    files = {b["batch_id"]: b.get("file_name") for b in (manifest.batches if manifest else [])}
    where = (pl.DataFrame({"line": lines, "opportunity_id": frame["opportunity_id"]})
             .join(clashes, on="opportunity_id", how="inner", maintain_order="left").head(MAX_EXAMPLES))
    examples = [(int(line), f"{oid} (in batch {batch}, {files.get(batch, '?')})") for line, oid, batch in
                where.iter_rows()]
    return Problem("opportunity_id", "deal_in_store",
                   f"deal already in the current data; a CRM export describes the whole pipeline, so load a new "
                   f"export with --mode replace ({_new(frame.height - clashes.height)})",
                   clashes.height, examples, unit)


def ingest_opportunities(
    path: Path | str,
    *,
    data_dir: Path | str | None = None,
    mapping: PipelineMapping | Path | str | None = None,
    mode: str = "append",
    dry_run: bool = False,
    encoding: str | None = None,
    delimiter: str | None = None,
    force: bool = False,
    progress: bool = False,
    file_name: str | None = None,
    user: str | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> IngestResult:
    """Validate an opportunities file completely, then (unless ``dry_run``) commit it atomically.

    ``file_name``, ``user`` and ``on_stage`` as in ``ingest.pipeline.ingest_file`` (the Data page).

    ``force`` lifts only the duplicate-file check; deal ids already in the store always refuse an
    append. Never raises for a bad file: the report lists the problems and ``exit_code`` is 2."""
    if mode not in ("append", "replace"):
        raise ValueError(f"mode must be append or replace, not {mode!r}")
    started = time.perf_counter()
    path = Path(path)
    store = SnapshotStore(data_dir)
    before = store.manifest()
    name = file_name or path.name
    report = Report(file=name)
    report.facts.update(dataset="pipeline", mode=mode, dry_run=dry_run, data_dir=str(store.data_dir),
                        previous_data_version=before.version if before else None)
    sha: str | None = None
    writing = False
    bar = Progress(progress, name, on_stage)
    frame = lines = None
    unit = "line"
    try:
        rules = _resolve_mapping(mapping)
        kind = _check_path(path)
        bar.stage("reading")
        data = _read_bytes(path) if kind == "csv" else None
        sha = _unless_unreadable(partial(file_sha256, path, data))
        report.facts.update(sha256=sha, format=kind, bytes=path.stat().st_size)
        if mode == "append" and not force and (batch := store.sha_in_current_data(sha, OPPORTUNITIES_TABLE)):
            raise _Rejected([_duplicate_problem(batch)])
        table = read_source(path, data=data, encoding=encoding or rules.format.encoding,
                            delimiter=delimiter or rules.format.delimiter, sheet=rules.format.sheet, score=score)
        del data
        unit = table.unit
        report.facts.update(encoding=table.encoding, delimiter=table.delimiter, blank_rows=table.blank_rows)
        report.notes.extend(table.notes)
        problems = list(table.problems)

        bar.stage("matching columns")
        filtered, filter_problems = apply_row_filters(table, rules.format)
        problems += filter_problems
        if filtered:
            report.notes.append(f"{filtered:,} rows left out by [filter]")
        plan = plan_columns(table.frame.columns, rules)
        report.facts.update(columns=plan.sources, ignored_columns=plan.ignored, filtered_rows=filtered)
        problems += plan.problems
        available = set(plan.sources) | set(rules.constants)
        problems += [Problem(name, "missing_column", "required column is missing (map it, or add it to the file)", 0)
                     for name in REQUIRED_SOURCE if name not in available]
        problems += [Problem(lookup.join, "missing_column",
                             f"[lookups.{lookup.name}] joins on {lookup.join}, which the file does not have", 0)
                     for lookup in rules.lookups if lookup.join not in available]
        tables = []
        for lookup in rules.lookups:
            loaded, lookup_problems = load_lookup(lookup)
            problems += lookup_problems
            if loaded is not None:
                tables.append(loaded)
        if problems:
            raise _Rejected(problems)
        report.facts["source_rows"] = table.frame.height
        if table.frame.height == 0:
            message = "no data rows left after [filter]" if filtered else "the file has a header but no data rows"
            raise _Rejected([Problem(None, "no_rows", message, 0)])

        bar.stage("parsing")
        lines = table.lines
        parsed = parse_deals(_raw_columns(table, plan.sources, rules), lines, rules, table.kind, unit)
        report.notes.extend(parsed.notes)
        problems += parsed.problems
        frame = classify(parsed.frame, rules.stages)
        stage_problem = unknown_stages(frame, lines, parsed.raw, rules, unit)
        bad = parsed.bad
        if stage_problem:
            problems.append(stage_problem)
            bad = bad | frame["outcome"].is_null()
        enriched = enrich(frame, parsed.raw, lines, tables, unit)
        problems += enriched.problems
        report.notes.extend(enriched.notes)
        if enriched.facts:
            report.facts["lookups"] = enriched.facts

        bar.stage("validating")
        frame = with_derived_dates(fill_unassigned(enriched.frame))
        good = ~bad
        problems += validation_problems(frame.filter(good), lines.filter(good), enriched.raw.filter(good), unit)
        if problems:
            raise _Rejected(problems)
        outcomes = _outcome_counts(frame)
        report.facts.update(rows=frame.height, outcomes=outcomes, **_period(frame))
        if mode == "append":
            clashes = current_clashes(store, frame["opportunity_id"])
            if clashes.height:
                raise _Rejected([_clash_problem(clashes, frame, lines, store, unit)])
        if dry_run:
            report.status = "dry_run"
            return _finish(report, frame.height, started, sha, before.version if before else None)

        bar.stage("writing snapshot")
        writing = True
        extra = {"dataset": "pipeline", "source_rows": table.frame.height, "format": kind, "outcomes": outcomes,
                 **({"user": user} if user else {})}
        if rules.stages.order():
            extra["stage_order"] = rules.stages.order()
        entry = commit_deals(frame, data_dir=store.data_dir, file_name=name, sha256=sha, mode=mode,
                             extra=extra, refuse_duplicate=not force)
        report.status = "ok"
        return _finish(report, entry["rows"], started, sha, entry["data_version"])
    except _Rejected as rejected:
        report.problems = sorted(rejected.problems, key=_problem_order)
    except ReadError as exc:
        report.problems = [exc.problem]
    except DuplicateFile as exc:
        report.problems = [_duplicate_problem(exc.batch)]
    except DealsInStore as exc:  # committed by another ingest between the check and the lock
        assert frame is not None and lines is not None
        report.problems = [_clash_problem(exc.clashes, frame, lines, store, unit)]
    except Exception as exc:  # noqa: BLE001 - a bad file must end in a report, never a traceback
        if writing:
            raise  # the file was valid; a failure while writing is the store's, and is not hidden
        report.problems = [Problem(None, "unreadable", f"cannot read this file as opportunities: "
                                   f"{type(exc).__name__}: {_first_line(exc)}", 0)]
    finally:
        bar.close()
    report.status = "rejected"
    current = store.manifest()
    return _finish(report, 0, started, sha, current.version if current else None)


def _resolve_mapping(mapping: PipelineMapping | Path | str | None) -> PipelineMapping:
    if mapping is None:
        return PipelineMapping()
    if isinstance(mapping, PipelineMapping):
        return mapping
    try:
        return load_pipeline_mapping(Path(mapping))
    except MappingError as exc:
        raise _Rejected([Problem(None, "mapping", str(exc), 0)]) from None


def _problem_order(problem: Problem) -> int:
    """File-level problems first, then column by column in source-column order."""
    if problem.column is None:
        return -1
    first = problem.column.split("/")[0]
    return SOURCE_COLUMNS.index(first) if first in SOURCE_COLUMNS else len(SOURCE_COLUMNS)


def _period(frame: pl.DataFrame) -> dict[str, str]:
    first, last = frame["activity_date"].min(), frame["activity_date"].max()
    return {"first_date": str(first), "last_date": str(last)} if first is not None else {}


def run_pipeline_cli(args: argparse.Namespace) -> int:
    """``mauzo ingest --dataset pipeline``: report on stderr, one-line summary on stdout."""
    if getattr(args, "dedupe", "refuse") != "refuse":
        print("--dedupe applies to sales lines; a pipeline export is loaded whole (--mode replace for a new "
              "export)", file=sys.stderr)
        return 2
    path = Path(args.path)
    try:
        size = path.stat().st_size if path.is_file() else 0
    except OSError:
        size = 0
    result = ingest_opportunities(path, data_dir=args.data_dir, mapping=args.mapping, mode=args.mode,
                                  dry_run=args.dry_run, encoding=args.encoding,
                                  delimiter=getattr(args, "delimiter", None), force=args.force,
                                  progress=wants_progress(size))
    if result.report.problems:
        print(result.report.text(), file=sys.stderr)
    if args.report:
        result.report.write_json(Path(args.report))
    print(result.summary())
    return result.exit_code
