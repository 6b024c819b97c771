"""The Data page's layout and callbacks over a real store: who sees it, the preview from an upload,
the mapping choices, the TOML download, the report and the history."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from app.config import Settings
from app.uploads.files import UploadArea
from app.uploads.jobs import Job, JobBook
from components.upload import history_table, outcome_view, report_table
from ingest.demo import generate
from ingest.mapping import mapping_from_dict
from pages import data as page
from tests.app.test_upload import _app, _wait, dash_call
from tests.conftest import DEMO_END, build_store
from tests.dash_tree import find_all, text_of

REJECTED = {"status": "rejected", "summary": "rejected bad.csv: 2 problems, 0 rows written in 0.10 s",
            "problems": [{"column": "revenue", "check": "number_format", "message": "not a number", "count": 2,
                          "examples": [{"line": 3, "value": "12,4x"}, {"line": 9, "value": "abc"}]},
                         {"column": None, "check": "field_count", "message": "rows with a different number of "
                          "fields than the header (6)", "count": 1, "examples": [{"line": 5, "value": "7 fields"}]}],
            "problem_count": 2, "notes": ["encoding utf-8 (detected)"]}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("data-page") / "data", generate(rows=1_000, seed=4, end=DEMO_END))


@pytest.fixture(scope="module")
def app(store: Path):  # type: ignore[no-untyped-def]
    return _app(store)


def test_the_layout_offers_the_upload_with_its_limit(app):
    with app.server.test_request_context("/data"):
        layout = page.layout()
    zone = find_all(layout, lambda c: getattr(c, "id", None) == "data-drop")[0]
    limit = Settings(max_upload_mb=0.5).max_upload_bytes
    assert getattr(zone, "data-max-bytes") == str(limit) and "0.5 MB" in text_of(zone)
    assert {"data-dataset", "data-mode", "data-dedupe", "data-load", "data-check", "data-history"} <= {
        getattr(c, "id", None) for c in find_all(layout, lambda c: True)}


def test_without_the_load_role_the_page_says_so(store, tmp_path):
    users = tmp_path / "users"
    users.write_text("", encoding="utf-8")
    locked = _app(store, auth="basic", users_file=str(users), secret_key="data-page-key-0123456789")
    with locked.server.test_request_context("/data"):
        layout = page.layout()
    assert "may not load data" in text_of(layout)
    assert not find_all(layout, lambda c: getattr(c, "id", None) == "data-drop")


def test_the_preview_of_an_upload_and_its_column_dropdowns(app, store):
    client = app.server.test_client()
    body = "Tarehe;Tawi;Category;Qty;Net Sales;Cost\n05/01/2025;Nairobi;Cement;1;1.000,50;800\n".encode("cp1252")
    upload = client.post("/data/upload", data=body, headers={"X-Mauzo-Upload": "1", "X-Upload-Name": "mei.csv"})
    values = {"data-upload.data": upload.get_json(), "data-dataset.value": "sales", "data-encoding.value": "",
              "data-delimiter.value": "", "data-date-format.value": "", "data-decimal.value": ","}
    answer = dash_call(client, app, "data-preview.children", values).get_json()["response"]
    headers = answer["data-headers"]["data"]
    assert headers["headers"] == ["Tarehe", "Tawi", "Category", "Qty", "Net Sales", "Cost"]
    shown = str(answer["data-preview"]["children"])
    assert "semicolon ;" in shown and "%d/%m/%Y" not in shown  # no date column recognised yet
    dropdowns = [c for c in _dicts(answer["data-preview"]["children"]) if c.get("type") == "Dropdown"]
    assert [d["props"]["value"] for d in dropdowns] == ["__ignore__", "__ignore__", "product_line", "quantity",
                                                       "revenue", "cost"]
    assert "sale_date" in [o["value"] for o in dropdowns[0]["props"]["options"]]
    with app.server.test_request_context("/_dash-update-component", method="POST"):
        partly = page.choose_mapping(["__ignore__", "branch", "product_line", "quantity", "revenue", "cost"],
                                     headers, "", "", "", ",", upload.get_json())
        mapping, status, *disabled = page.choose_mapping(
            ["sale_date", "branch", "product_line", "quantity", "revenue", "cost"], headers, "", "", "", ",",
            upload.get_json())
    assert "sale_date: required column is missing" in text_of(partly[1])
    assert "sale_date read as %d/%m/%Y" in text_of(status) and "Every required column is mapped" in text_of(status)
    assert disabled == [False, False, False]
    assert mapping["doc"] == {"decimal": ",", "columns": {"Tarehe": "sale_date", "Tawi": "branch",
                                                          "Category": "product_line", "Qty": "quantity",
                                                          "Net Sales": "revenue", "Cost": "cost"}}
    again = dash_call(client, app, "data-preview.children", {**values, "data-mapping.data": mapping},
                      changed="data-decimal.value").get_json()["response"]
    assert "%d/%m/%Y" in str(again["data-preview"]["children"])  # the chosen date column, read as the CLI would


def _dicts(node: object) -> list[dict]:
    if isinstance(node, dict):
        return [node] + [d for v in node.values() for d in _dicts(v)]
    if isinstance(node, list):
        return [d for item in node for d in _dicts(item)]
    return []


def test_a_file_that_is_no_table_is_named_in_the_preview(app):
    client = app.server.test_client()
    upload = client.post("/data/upload", data=b"%PDF-1.4\n" + bytes(range(256)) * 4,
                         headers={"X-Mauzo-Upload": "1", "X-Upload-Name": "invoice.csv"})
    values = {"data-upload.data": upload.get_json(), "data-dataset.value": "sales", "data-decimal.value": "."}
    answer = dash_call(client, app, "data-preview.children", values).get_json()["response"]
    assert "this looks like a PDF document" in str(answer["data-preview"]["children"])
    assert answer["data-headers"]["data"] is None


def test_two_columns_for_one_field_are_refused_before_loading():
    mapping, status, *disabled = page.choose_mapping(["revenue", "revenue"],
                                                     {"dataset": "sales", "headers": ["A", "B"]}, "", "", "", ".")
    assert mapping is None and disabled == [True, True, True]
    assert "several source columns" in text_of(status)


def test_the_mapping_download_is_the_toml_the_cli_reads():
    doc = {"delimiter": ";", "decimal": ",", "columns": {"Tarehe": "sale_date", 'Tawi "kuu"': "branch"}}
    download = page.download_mapping(1, {"dataset": "sales", "doc": doc}, {"name": "mei 2025.csv"})
    assert download["filename"] == "mei 2025-mapping.toml"
    assert mapping_from_dict(tomllib.loads(download["content"])) == mapping_from_dict(doc)
    pipeline = page.download_mapping(1, {"dataset": "pipeline", "doc": {}}, None)
    assert "--dataset pipeline" in pipeline["content"]


def test_the_report_table_has_column_check_rows_and_examples():
    view = outcome_view({"file_name": "bad.csv", "result": REJECTED})
    table = find_all(view, lambda c: getattr(c, "id", None) == "data-report-table")[0]
    rows = [text_of(r) for r in find_all(table, lambda c: type(c).__name__ == "Tr")]
    assert rows[0].split() == ["Column", "Check", "Problem", "Failing", "rows", "Examples", "(line:", "value)"]
    assert "revenue number_format not a number 2 line 3: 12,4x; line 9: abc" == rows[1]
    assert rows[2].startswith("(file) field_count")
    assert "Nothing was loaded" in text_of(view)


def test_a_load_says_rows_time_and_the_new_version():
    view = outcome_view({"file_name": "mei.csv", "result": {"status": "ok", "rows": 1234, "seconds": 2.5,
                                                            "data_version": "000009-abcd",
                                                            "previous_data_version": "000008-ef01"}})
    assert "Loaded 1,234 rows from mei.csv in 2.50 s." in text_of(view)
    assert "000009-abcd" in text_of(view) and "was 000008-ef01" in text_of(view)


def test_the_history_shows_loads_and_rejections_with_their_report(store):
    book = JobBook(store)
    job = Job("f" * 32, "e" * 32, "bad.csv", "sales", "append", "refuse", False, {}, user="amina", result=REJECTED)
    book.log_attempt(job)
    from app.uploads.history import history_rows

    rows = history_rows(store)
    times = [r["ingested_at"] for r in rows]
    assert times == sorted(times, reverse=True)  # newest first (the store's load may share this second)
    assert [r["outcome"] for r in rows if r["file_name"] == "bad.csv"] == ["rejected"]
    assert any(r["outcome"] == "loaded" and r["rows"] == 1_000 for r in rows)
    with_who = history_table(rows, show_user=True)
    assert "Who" in text_of(with_who) and "amina" in text_of(with_who)
    assert "number_format" in text_of(with_who) and "12,4x" in text_of(with_who)
    assert "Who" not in text_of(history_table(rows, show_user=False))


def test_the_report_table_escapes_nothing_into_markup():
    table = report_table([{"column": "item_name", "check": "control_character", "message": "m", "count": 1,
                           "examples": [{"line": 2, "value": "<script>alert(1)</script>"}]}])
    cell = find_all(table, lambda c: type(c).__name__ == "Td")[-1]
    assert cell.children == "line 2: <script>alert(1)</script>"  # text, which React renders as text


def test_an_upload_gone_is_said_plainly(app):
    with app.server.test_request_context("/_dash-update-component", method="POST"):
        assert page._upload({"id": "0" * 32}) is None
    assert UploadArea(Path("/nonexistent")).get("0" * 32) is None


def test_a_pipeline_file_replaces_the_crm_data_after_confirmation(app, store):
    client = app.server.test_client()
    deals = "Opportunity ID,Sales Agent,Deal Stage,Close Date,Close Value\nD-1,Jane,Won,2025-06-01,1000\n" \
            "D-2,Ali,Lost,2025-06-02,0\nD-3,Ali,Prospecting,,\n"
    upload = client.post("/data/upload", data=deals.encode(), headers={"X-Mauzo-Upload": "1",
                                                                       "X-Upload-Name": "crm.csv"}).get_json()
    values = {"data-upload.data": upload, "data-mapping.data": {"dataset": "pipeline", "doc": {}},
              "data-mode.value": "replace", "data-dedupe.value": "skip"}
    answer = dash_call(client, app, "data-job.data", values, changed="data-confirm-yes.n_clicks").get_json()
    job_id = answer["response"]["data-job"]["data"]["id"]
    job = _wait(JobBook(store), job_id)
    assert job.result["status"] == "ok" and job.result["rows"] == 3 and job.dedupe == "refuse"
    from data.store import SnapshotStore

    manifest = SnapshotStore(store).manifest()
    assert manifest.rows_of("opportunities") == 3 and manifest.rows_of("sales") == 1_000  # sales untouched
    assert manifest.history[0]["mode"] == "replace" and manifest.history[0]["file_name"] == "crm.csv"
