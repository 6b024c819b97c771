"""What ``mauzo ingest`` would make of a file, before loading it: the first rows, the column plan,
the encoding, delimiter and date format. Also the mapping a person chose, as a document that becomes
both the TOML file the CLI accepts and the mapping object the ingest itself uses.

Why here and not in the Data page: the preview must come from the very code the ingest runs
(``read_source``/``read_csv_bytes``, ``plan_columns``, ``parse_dates``), and the downloaded TOML must
load through ``load_mapping``/``load_pipeline_mapping`` to the same rules the page applied.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ingest import headers as sales_headers
from ingest import opportunities_mapping as pipeline_headers
from ingest.csv_reader import read_csv_bytes
from ingest.mapping import Mapping, mapping_from_dict
from ingest.opportunities import DATES, REQUIRED_SOURCE, SOURCE_COLUMNS
from ingest.opportunities_mapping import PipelineMapping, pipeline_mapping_from_dict
from ingest.parse import AUTO_DATE_FORMATS, missing_columns, parse_dates
from ingest.readers import file_kind, read_source
from ingest.report import Problem, truncate, visible

DATASETS = ("sales", "pipeline")
PREVIEW_ROWS = 10
# A CSV preview reads this much of the file (cut at the last line break): enough for the header and
# the first rows of any export, and fast for a 500 MB file. Validation reads everything.
PREVIEW_BYTES = 1024 * 1024
FORMAT_KEYS = ("encoding", "delimiter", "date_format", "decimal")
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16")
DELIMITERS = (",", ";", "\t", "|")
# The formats detection tries that a mapping file may also name ("%.f" is Polars-only).
DATE_FORMATS = tuple(f for f in AUTO_DATE_FORMATS if "%." not in f)
DECIMALS = (".", ",")


def targets(dataset: str) -> tuple[str, ...]:
    """The canonical column names a source column may be mapped to."""
    return sales_headers.TARGETS if dataset == "sales" else SOURCE_COLUMNS


def _date_columns(dataset: str) -> tuple[str, ...]:
    return ("sale_date",) if dataset == "sales" else DATES


@dataclass
class Preview:
    """The first rows of a file and what the ingest would read from them."""

    dataset: str
    kind: str  # csv | xlsx | parquet
    headers: list[str]
    rows: list[list[str]]  # the first rows, cells as text (cut and made visible)
    plan: dict[str, str | None]  # source header -> canonical name the ingest would use, or None
    encoding: str | None
    delimiter: str | None
    date_formats: dict[str, str]  # canonical date column -> format detected (or given) on the preview rows
    partial: bool  # only the start of the file was read
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # column-plan problems (ambiguous, missing)


def mapping_document(dataset: str, columns: dict[str, str] | None = None, **formats: str | None) -> dict[str, Any]:
    """The mapping a person chose: ``[columns]`` (source -> canonical) and the format keys that are
    set (``None`` or ``""`` means detect). Validated like a TOML file; raises ``MappingError``."""
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}, not {dataset!r}")
    unknown = set(formats) - set(FORMAT_KEYS)
    if unknown:
        raise ValueError(f"unknown format keys {sorted(unknown)}")
    doc: dict[str, Any] = {key: value for key, value in formats.items() if value}
    if doc.get("decimal") == ".":
        del doc["decimal"]  # the default
    if columns:
        doc["columns"] = {str(src): str(dst) for src, dst in columns.items()}
    rules(dataset, doc)  # refuses what the CLI would refuse
    return doc


def rules(dataset: str, doc: dict[str, Any], base: Path | None = None) -> Mapping | PipelineMapping:
    """The mapping object the ingest uses for ``doc`` (what ``--mapping`` would load from its TOML)."""
    if dataset == "sales":
        return mapping_from_dict(doc)
    return pipeline_mapping_from_dict(doc, (base or Path.cwd()).resolve())


def _toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, except DEL, which TOML wants escaped too."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def to_toml(doc: dict[str, Any], comment: str = "") -> str:
    """``doc`` (from ``mapping_document``) as the TOML file ``mauzo ingest --mapping`` accepts."""
    lines = [f"# {visible(line)}" for line in comment.splitlines()]
    lines += [f"{key} = {_toml_string(str(doc[key]))}" for key in FORMAT_KEYS if key in doc]
    if doc.get("columns"):
        lines += ["", "[columns]  # \"source header\" = \"canonical name\""]
        lines += [f"{_toml_string(src)} = {_toml_string(dst)}" for src, dst in doc["columns"].items()]
    return "\n".join(lines) + "\n"


def _head_table(path: Path, kind: str, fmt: Mapping, score: Any, limit: int) -> tuple[Any, bool]:
    if kind != "csv":
        return read_source(path, encoding=fmt.encoding, delimiter=fmt.delimiter, sheet=fmt.sheet, score=score), False
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    partial = len(data) > limit
    if partial:
        data = data[: data.rfind(b"\n", 0, limit) + 1] or data[:limit]
    return read_csv_bytes(data, encoding=fmt.encoding, delimiter=fmt.delimiter, score=score), partial


def _cell(value: Any) -> str:
    return "" if value is None else visible(truncate(str(value), 60))


def preview_file(path: Path, dataset: str, doc: dict[str, Any] | None = None, rows: int = PREVIEW_ROWS,
                 limit: int = PREVIEW_BYTES) -> Preview:
    """Read the start of ``path`` as ``mauzo ingest --dataset DATASET`` would with the mapping ``doc``.

    Raises ``ingest.source.ReadError`` (with the CLI's problem) when the file cannot be read as a table."""
    doc = doc or {}
    mapping = rules(dataset, doc, path.parent)
    fmt = mapping if isinstance(mapping, Mapping) else mapping.format
    module = sales_headers if dataset == "sales" else pipeline_headers
    kind = file_kind(path)
    table, partial = _head_table(path, kind, fmt, module.score, limit)
    frame = table.frame
    headers = list(frame.columns)
    columns = {src: dst for src, dst in doc.get("columns", {}).items() if src in headers}
    plan = (sales_headers.plan_columns(headers, columns) if isinstance(mapping, Mapping)
            else pipeline_headers.plan_columns(headers, rules(dataset, {**doc, "columns": columns}, path.parent)))
    by_source = {source: target for target, source in plan.sources.items()}
    available = set(plan.sources) | set(mapping.constants)
    if isinstance(mapping, Mapping):
        plan.problems += missing_columns(available)
    else:
        plan.problems += [Problem(name, "missing_column", "required column is missing (map it, or add it to the file)",
                                  0) for name in REQUIRED_SOURCE if name not in available]
    dates: dict[str, str] = {}
    for column in _date_columns(dataset):
        source = plan.sources.get(column)
        if source is None or frame.height == 0:
            continue
        values = frame[source]
        if values.dtype == pl.String:
            values = values.filter(values.str.strip_chars().fill_null("") != "")
        if values.len():
            dates[column] = parse_dates(values, fmt.date_format, kind)[1]
    head = frame.head(rows)
    return Preview(
        dataset=dataset, kind=kind, headers=headers,
        rows=[[_cell(v) for v in row] for row in head.iter_rows()],
        plan={h: by_source.get(h) for h in headers},
        encoding=table.encoding, delimiter=table.delimiter, date_formats=dates, partial=partial,
        notes=list(table.notes), problems=list(plan.problems),
    )
