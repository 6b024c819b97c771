"""Building blocks of the Data page: the drop zone, the preview with its column dropdowns, the
validation report, the outcome of a job and the ingest history. Pure builders from plain data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.format import count
from ingest.preview import DATE_FORMATS, DECIMALS, DELIMITERS, ENCODINGS, Preview, targets

IGNORE = "__ignore__"
DETECT = ""
DELIMITER_LABELS = {",": "comma ,", ";": "semicolon ;", "\t": "tab", "|": "pipe |"}
DATASET_LABELS = {"sales": "Sales lines", "pipeline": "CRM pipeline (opportunities)"}


def drop_zone(limit_bytes: int, limit_label: str) -> html.Div:
    """Where a file is dropped or chosen; ``assets/upload.js`` sends it with upload progress."""
    return html.Div(
        [
            html.Div("Drop a CSV, Excel (.xlsx) or Parquet file here", className="fw-semibold"),
            html.Div(["or ", html.Button("choose a file", id="data-choose", type="button",
                                         className="btn btn-sm btn-outline-primary mx-1")],
                     className="my-1"),
            html.Div(f"Up to {limit_label}.", className="small text-muted"),
        ],
        id="data-drop", className="mauzo-upload-drop",
        **{"data-max-bytes": str(limit_bytes), "data-limit-label": limit_label},
    )


def format_controls() -> html.Div:
    """Encoding, delimiter, date format and decimal separator: detected unless chosen."""
    def choice(label: str, control_id: str, options: list[dict[str, str]], value: str = DETECT) -> dbc.Col:
        return dbc.Col([dbc.Label(label, html_for=control_id, className="small mb-0"),
                        dcc.Dropdown(id=control_id, options=options, value=value, clearable=False)], md=3, xs=6)

    detect = [{"label": "detect", "value": DETECT}]
    return dbc.Row([
        choice("Encoding", "data-encoding", detect + [{"label": e, "value": e} for e in ENCODINGS]),
        choice("Delimiter", "data-delimiter",
               detect + [{"label": DELIMITER_LABELS[d], "value": d} for d in DELIMITERS]),
        choice("Date format", "data-date-format", detect + [{"label": f, "value": f} for f in DATE_FORMATS]),
        choice("Decimal mark", "data-decimal", [{"label": f"{d}  (1{',' if d == '.' else '.'}234{d}50)", "value": d}
                                                for d in DECIMALS], "."),
    ], className="g-2 mb-2")


def _target_options(dataset: str) -> list[dict[str, str]]:
    return [{"label": "(not used)", "value": IGNORE}] + [{"label": t, "value": t} for t in targets(dataset)]


def preview_view(preview: Preview, upload_name: str) -> html.Div:
    """The first rows under a dropdown per column with the canonical name the ingest would use."""
    options = _target_options(preview.dataset)
    head = html.Thead([
        html.Tr([html.Th(h, className="text-nowrap small") for h in preview.headers]),
        html.Tr([html.Th(dcc.Dropdown(id={"type": "data-map-col", "index": i}, options=options,
                                      value=preview.plan.get(h) or IGNORE, clearable=False,
                                      className="mauzo-map-dropdown"))
                 for i, h in enumerate(preview.headers)]),
    ])
    body = html.Tbody([html.Tr([html.Td(cell, className="small text-nowrap") for cell in row])
                       for row in preview.rows])
    detected = [
        ("Format", preview.kind.upper()),
        ("Encoding", preview.encoding or "—"),
        ("Delimiter", DELIMITER_LABELS.get(preview.delimiter or "", preview.delimiter or "—")),
        ("Date format", ", ".join(f"{fmt} ({col})" if preview.dataset != "sales" else fmt
                                  for col, fmt in preview.date_formats.items()) or "—"),
    ]
    facts = html.Div([html.Span([html.Span(f"{k}: ", className="text-muted"), html.Span(v, id=f"data-detected-{i}")],
                                className="me-3") for i, (k, v) in enumerate(detected)],
                     className="small mb-2", id="data-detected")
    partial = html.Div(f"Showing the first {len(preview.rows)} rows (read from the start of the file); "
                       "the check reads all of it.", className="small text-muted mb-1")
    return html.Div([
        html.Div([html.Span(upload_name, className="fw-semibold me-2"), html.Span(preview.dataset, className="badge "
                                                                                  "text-bg-secondary")],
                 className="mb-1"),
        facts, partial,
        html.Div(dbc.Table([head, body], bordered=True, size="sm", className="mb-0 mauzo-preview-table",
                           id="data-preview-table"), className="mauzo-preview-scroll"),
    ])


def mapping_status(preview: Preview) -> html.Div:
    """With the chosen mapping: how dates will be read, and what the check would refuse at once."""
    dates = "; ".join(f"{column} read as {fmt}" for column, fmt in preview.date_formats.items())
    problems = [f"{p.column}: {p.message}" if p.column else p.message for p in preview.problems]
    return html.Div([
        html.Div(dates, className="text-muted") if dates else None,
        dbc.Alert([html.Div("The check will refuse the file as mapped:"), html.Ul([html.Li(t) for t in problems],
                                                                                  className="mb-0")],
                  color="warning", className="py-1 mb-0") if problems else
        html.Div("Every required column is mapped.", className="text-success"),
    ], id="data-mapping-summary")


def _examples(problem: dict[str, Any]) -> str:
    parts = []
    for example in problem.get("examples", []):
        where = next((f"{k} {v:,}" for k, v in example.items() if k in ("line", "row") and isinstance(v, int)), "")
        value = example.get("value")
        shown = "(empty)" if value in (None, "") else str(value)
        parts.append(f"{where}: {shown}" if where else shown)
    return "; ".join(parts)


def report_table(problems: list[dict[str, Any]], table_id: str | None = "data-report-table") -> dbc.Table:
    """The validation report: column, check, failing rows, example lines and values."""
    head = html.Thead(html.Tr([html.Th(t) for t in ("Column", "Check", "Problem", "Failing rows",
                                                     "Examples (line: value)")]))
    rows = [html.Tr([html.Td(p.get("column") or "(file)"), html.Td(html.Code(p.get("check", ""))),
                     html.Td(p.get("message", "")), html.Td(count(p.get("count") or 0) if p.get("count") else "—"),
                     html.Td(_examples(p), className="small text-break")])
            for p in problems]
    return dbc.Table([head, html.Tbody(rows)], bordered=True, size="sm", responsive=True, className="mb-0",
                     **({"id": table_id} if table_id else {}))


def outcome_view(job: dict[str, Any]) -> html.Div:
    """What a finished job did, in words, with the report when the file was refused."""
    result = job.get("result") or {}
    status = result.get("status")
    if status == "ok":
        was = result.get("previous_data_version") or "(empty store)"
        return dbc.Alert([
            html.Div(f"Loaded {count(result.get('rows') or 0)} rows from {job.get('file_name')} in "
                     f"{result.get('seconds', 0):.2f} s.", className="fw-semibold", id="data-loaded-rows"),
            html.Div(["New data version ", html.Code(result.get("data_version"), id="data-new-version"),
                      f" (was {was}). Every page now shows the new figures."]),
            *_notes(result),
        ], color="success", id="data-outcome")
    if status in ("dry_run", "nothing_new"):
        return dbc.Alert([html.Div(result.get("summary"), className="fw-semibold"), *_notes(result)],
                         color="info", id="data-outcome")
    problems = result.get("problems") or []
    more = (result.get("problem_count") or 0) - len(problems)
    return html.Div([
        dbc.Alert([html.Div(result.get("summary") or "The file was not loaded.", className="fw-semibold"),
                   html.Div("Nothing was loaded: fix the file (or the column mapping above) and try again.")],
                  color="danger", className="mb-2"),
        report_table(problems) if problems else None,
        html.Div(f"... and {more:,} more problems", className="small text-muted") if more > 0 else None,
        *_notes(result),
    ], id="data-outcome")


def _notes(result: dict[str, Any]) -> list[Any]:
    notes = result.get("notes") or []
    return [html.Details([html.Summary("Notes", className="small"),
                          html.Ul([html.Li(n) for n in notes], className="small mb-0")])] if notes else []


def _when(text: str | None) -> str:
    if not text:
        return "—"
    try:
        return dt.datetime.fromisoformat(text).astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return text


def history_table(rows: list[dict[str, Any]], show_user: bool) -> Any:
    """Newest first: loads from the store's history and attempts that changed nothing."""
    if not rows:
        return html.Div("Nothing loaded yet.", className="text-muted", id="data-history-table")
    labels = ["Time", "File", "Dataset", "Rows", "Mode", "Outcome", *(["Who"] if show_user else []), "Report"]
    head = html.Thead(html.Tr([html.Th(label) for label in labels]))
    body = []
    for row in rows:
        problems = row.get("problems") or []
        report = html.Details([html.Summary(f"{count(row.get('problem_count') or len(problems))} problems"),
                               report_table(problems, table_id=None)]) if problems else (row.get("summary") or "")
        cells = [_when(row.get("ingested_at")), row.get("file_name") or "—", row.get("dataset") or "—",
                 count(row["rows"]) if row.get("rows") is not None else "—", row.get("mode") or "—",
                 dbc.Badge(row.get("outcome"), color="success" if row.get("outcome") == "loaded" else
                           "danger" if row.get("outcome") in ("rejected", "failed") else "secondary"),
                 *([row.get("user") or "—"] if show_user else []), report]
        body.append(html.Tr([html.Td(c, className="small") for c in cells]))
    return dbc.Table([head, html.Tbody(body)], striped=True, size="sm", responsive=True, className="mb-0",
                     id="data-history-table")
