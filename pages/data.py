"""Data: load the monthly export from the browser, with a preview, a column mapping and a report.

Layout and thin callbacks only. The bytes arrive through ``POST /data/upload`` (``app.uploads``,
sent by ``assets/upload.js`` with a real progress bar); the preview is ``ingest.preview``; checking
and loading run ``mauzo ingest``'s own functions in a background job whose state any worker reads
(``app.uploads.jobs``), polled here. Only users who may load data reach the page and its callbacks
(``app.uploads.routes.guard``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask import current_app

from app.access_login import may
from app.config import Settings
from app.uploads.files import UploadArea
from app.uploads.history import history_rows
from app.uploads.jobs import JobBook
from app.uploads.routes import limit_text, user_name
from components.layout import card
from components.upload import (
    DATASET_LABELS,
    IGNORE,
    drop_zone,
    format_controls,
    history_table,
    mapping_status,
    outcome_view,
    preview_view,
)
from ingest.mapping import MappingError
from ingest.preview import mapping_document, preview_file, to_toml
from ingest.source import ReadError

POLL_MS = 500


def _settings() -> Settings:
    return current_app.config["MAUZO_SETTINGS"]


def _history() -> Any:
    settings = _settings()
    return history_table(history_rows(settings.data_dir), show_user=bool(settings.auth))


def _forbidden() -> html.Div:
    return html.Div([html.H2("Data", className="h4"),
                     dbc.Alert("Your account may not load data. Ask an administrator for the load role.",
                               color="warning")], id="data-page")


def layout(**_query: object) -> html.Div:
    if not may("load"):
        return _forbidden()
    settings = _settings()
    limit = settings.max_upload_bytes
    choose = card(html.Div([
        dbc.Label("What is in the file?", className="small mb-0"),
        dbc.RadioItems(id="data-dataset", options=[{"label": v, "value": k} for k, v in DATASET_LABELS.items()],
                       value="sales", className="mb-2"),
        drop_zone(limit, limit_text(limit)),
        dbc.Progress(id="data-upload-progress", value=0, label="", className="mt-2", style={"height": "1.2rem"}),
        html.Div(id="data-upload-status", className="small mt-1", role="status"),
    ]), title="1. Choose the file")
    check = card(html.Div([
        format_controls(),
        html.Div(html.Div("Choose a file to see its first rows and how its columns will be read.",
                          className="text-muted small"), id="data-preview"),
        html.Div(id="data-mapping-status", className="small mt-2"),
        dbc.Button("Download mapping (TOML)", id="data-download-mapping", size="sm", color="secondary",
                   outline=True, className="mt-2", disabled=True),
        dcc.Download(id="data-mapping-file"),
    ]), title="2. Check the columns", subtitle="Each column's dropdown says which field it becomes; "
                                              "the mapping file works with mauzo ingest --mapping")
    load = card(html.Div([
        dbc.Row([
            dbc.Col([dbc.Label("Mode", className="small mb-0"),
                     dbc.RadioItems(id="data-mode", value="append", options=[
                         {"label": "Append to the current data", "value": "append"},
                         {"label": "Replace this dataset", "value": "replace"}])], md=4),
            dbc.Col(html.Div([dbc.Label("Lines already loaded", className="small mb-0"),
                              dbc.RadioItems(id="data-dedupe", value="refuse", options=[
                                  {"label": "Refuse the file", "value": "refuse"},
                                  {"label": "Skip them, load the rest", "value": "skip"}])],
                             id="data-dedupe-area"), md=4),
            dbc.Col(html.Div([
                dbc.Button("Check only", id="data-check", color="secondary", outline=True, className="me-2",
                           disabled=True),
                dbc.Button("Check and load", id="data-load", color="primary", disabled=True),
            ], className="d-flex align-items-end h-100"), md=4),
        ], className="g-2"),
        dbc.Progress(id="data-job-progress", value=0, label="", className="mt-3", style={"height": "1.2rem"}),
        html.Div(id="data-job-status", className="small mt-1", role="status"),
        html.Div(id="data-result", className="mt-2"),
    ]), title="3. Check and load", subtitle="The whole file is checked first; nothing is loaded if any row is wrong")
    confirm = dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle("Replace the data?")),
        dbc.ModalBody(id="data-confirm-text"),
        dbc.ModalFooter([dbc.Button("Cancel", id="data-confirm-no", color="secondary", outline=True),
                         dbc.Button("Replace", id="data-confirm-yes", color="danger")]),
    ], id="data-confirm", is_open=False)
    return html.Div([
        html.Div([html.H2("Data", className="h4 mb-0"),
                  html.Div("Load the monthly export: check it, map its columns, and see what was loaded.",
                           className="text-muted small")], className="mb-3"),
        dcc.Store(id="data-upload"),
        dcc.Store(id="data-headers"),
        dcc.Store(id="data-mapping"),
        # Kept for the browser tab's session: a reload (or a visit to another page and back) follows
        # the job again, or shows how it ended.
        dcc.Store(id="data-job", storage_type="session"),
        dcc.Interval(id="data-poll", interval=POLL_MS, disabled=True),
        confirm,
        dbc.Row([dbc.Col(choose, lg=4), dbc.Col(check, lg=8)], className="g-3"),
        html.Div(load, className="mt-3"),
        html.Div(card(html.Div(_history(), id="data-history"), title="History",
                      subtitle="Newest first: loads, and attempts that changed nothing"), className="mt-3"),
    ], id="data-page")


def _upload(data: dict | None) -> Any:
    if not isinstance(data, dict):
        return None
    return UploadArea(_settings().data_dir).get(data.get("id"))


@callback(Output("data-dedupe-area", "style"), Input("data-dataset", "value"))
def show_dedupe(dataset: str) -> dict:
    """Skipping lines already loaded is for sales lines; a CRM export is loaded whole."""
    return {} if dataset == "sales" else {"display": "none"}


@callback(Output("data-preview", "children"), Output("data-headers", "data"),
          Input("data-upload", "data"), Input("data-dataset", "value"), Input("data-encoding", "value"),
          Input("data-delimiter", "value"), Input("data-date-format", "value"), Input("data-decimal", "value"),
          State("data-mapping", "data"), prevent_initial_call=True)
def show_preview(data: dict | None, dataset: str, encoding: str, delimiter: str, date_format: str, decimal: str,
                 current: dict | None) -> tuple[Any, Any]:
    upload = _upload(data)
    if upload is None:
        return dbc.Alert("That upload is no longer on the server; choose the file again.", color="warning"), None
    # The columns chosen so far stay chosen when a format setting changes (not for a new file or dataset).
    same = isinstance(current, dict) and current.get("dataset") == dataset and ctx.triggered_id != "data-upload"
    kept = (current.get("doc") or {}).get("columns") if same else None
    try:
        doc = mapping_document(dataset, kept, encoding=encoding, delimiter=delimiter, date_format=date_format,
                               decimal=decimal)
        preview = preview_file(UploadArea(_settings().data_dir).path_of(upload), dataset, doc)
    except ReadError as exc:
        return dbc.Alert(["This file cannot be read: ", html.Span(exc.problem.message, id="data-read-error")],
                         color="danger"), None
    except MappingError as exc:
        return dbc.Alert(f"These settings cannot be used: {exc}", color="danger"), None
    return preview_view(preview, upload.name), {"upload": upload.id, "dataset": dataset, "headers": preview.headers}


@callback(Output("data-mapping", "data"), Output("data-mapping-status", "children"),
          Output("data-download-mapping", "disabled"), Output("data-check", "disabled"),
          Output("data-load", "disabled"),
          Input({"type": "data-map-col", "index": ALL}, "value"), Input("data-headers", "data"),
          State("data-encoding", "value"), State("data-delimiter", "value"), State("data-date-format", "value"),
          State("data-decimal", "value"), State("data-upload", "data"))
def choose_mapping(values: list[str], headers: dict | None, encoding: str, delimiter: str, date_format: str,
                   decimal: str, data: dict | None = None) -> tuple[Any, ...]:
    """The chosen columns and formats as one mapping document (the TOML's and the ingest's), and
    what the ingest would make of the file with it: dates read as, columns still missing."""
    if not headers or len(values) != len(headers["headers"]):
        return None, None, True, True, True
    columns = {h: v for h, v in zip(headers["headers"], values, strict=True) if v and v != IGNORE}
    try:
        doc = mapping_document(headers["dataset"], columns, encoding=encoding, delimiter=delimiter,
                               date_format=date_format, decimal=decimal)
    except MappingError as exc:
        return None, dbc.Alert(str(exc), color="danger", className="py-1 mb-0"), True, True, True
    upload = _upload(data)
    status = None
    if upload is not None:
        try:
            status = mapping_status(preview_file(UploadArea(_settings().data_dir).path_of(upload), headers["dataset"],
                                                 doc))
        except ReadError as exc:
            status = dbc.Alert(exc.problem.message, color="danger", className="py-1 mb-0")
    return {"dataset": headers["dataset"], "doc": doc}, status, False, False, False


@callback(Output("data-mapping-file", "data"), Input("data-download-mapping", "n_clicks"),
          State("data-mapping", "data"), State("data-upload", "data"), prevent_initial_call=True)
def download_mapping(_clicks: int | None, mapping: dict | None, data: dict | None) -> Any:
    if not mapping:
        raise PreventUpdate
    name = Path(str((data or {}).get("name") or "file")).stem or "file"
    extra = " --dataset pipeline" if mapping["dataset"] == "pipeline" else ""
    text = to_toml(mapping["doc"], f"Mauzo column mapping for {name}\nmauzo ingest FILE{extra} --mapping THIS.toml")
    return {"content": text, "filename": f"{name}-mapping.toml", "type": "application/toml"}


@callback(Output("data-job", "data"), Output("data-poll", "disabled"), Output("data-confirm", "is_open"),
          Output("data-confirm-text", "children"), Output("data-job-status", "children"),
          Output("data-check", "disabled", allow_duplicate=True), Output("data-load", "disabled", allow_duplicate=True),
          Input("data-check", "n_clicks"), Input("data-load", "n_clicks"), Input("data-confirm-yes", "n_clicks"),
          Input("data-confirm-no", "n_clicks"),
          State("data-upload", "data"), State("data-mapping", "data"), State("data-mode", "value"),
          State("data-dedupe", "value"), prevent_initial_call=True)
def start_job(_check: int | None, _load: int | None, _yes: int | None, _no: int | None, data: dict | None,
              mapping: dict | None, mode: str, dedupe: str) -> tuple[Any, ...]:
    """Start checking (and loading) in the background; a replace asks first. The buttons stay
    disabled until the job ends (a second click would only queue the same file again)."""
    trigger = ctx.triggered_id
    unchanged = (no_update, no_update)
    if trigger == "data-confirm-no":
        return no_update, no_update, False, no_update, "Nothing was replaced.", *unchanged
    upload = _upload(data)
    if upload is None or not mapping:
        return no_update, no_update, False, no_update, "Choose a file first.", *unchanged
    dataset = mapping["dataset"]
    if trigger == "data-load" and mode == "replace":
        what = "sales lines" if dataset == "sales" else "CRM pipeline"
        text = (f"All current {what} will be replaced by the lines of {upload.name} (if the whole file is valid). "
                "The other dataset is kept.")
        return no_update, no_update, True, text, no_update, *unchanged
    settings = _settings()
    druid = settings.engine == "druid" and dataset == "sales"  # as mauzo ingest; the pipeline stays local
    job = JobBook(settings.data_dir).start(
        upload, dataset=dataset, mode=mode, dedupe=dedupe if dataset == "sales" else "refuse",
        dry_run=trigger == "data-check", mapping=mapping["doc"], user=user_name(), druid=druid)
    return {"id": job.id}, False, False, no_update, "Started.", True, True


@callback(Output("data-poll", "disabled", allow_duplicate=True), Input("data-job", "data"),
          prevent_initial_call="initial_duplicate")
def follow_job(data: dict | None) -> bool:
    """Poll whenever the tab knows a job (also when the page opens with one from this session)."""
    return not (isinstance(data, dict) and data.get("id"))


@callback(Output("data-job-progress", "value"), Output("data-job-progress", "label"),
          Output("data-job-status", "children", allow_duplicate=True), Output("data-result", "children"),
          Output("data-poll", "disabled", allow_duplicate=True), Output("data-history", "children"),
          Output("data-check", "disabled", allow_duplicate=True), Output("data-load", "disabled", allow_duplicate=True),
          Input("data-poll", "n_intervals"), State("data-job", "data"), prevent_initial_call=True)
def poll_job(_n: int | None, data: dict | None) -> tuple[Any, ...]:
    """Progress of the job, read from its state file (whichever worker runs it)."""
    job = JobBook(_settings().data_dir).get((data or {}).get("id"))
    if job is None:  # a job file removed a day after it ended: its outcome is in the history
        return 0, "", None, None, True, no_update, no_update, no_update
    percent = round(100 * job.progress())
    if not job.finished:
        stage = job.stage or "waiting for the file"
        doing = "Checking" if job.dry_run else "Checking and loading"
        return (percent, f"{stage}…", f"{doing} {job.file_name}: {stage}", no_update, False, no_update, True,
                True)
    return (100, "done", None, outcome_view({"file_name": job.file_name, "result": job.result}), True, _history(),
            False, False)


dash.register_page(__name__, path="/data", name="Data", order=95, layout=layout, title="Mauzo · Data",
                   requires="load")
