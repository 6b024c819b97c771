"""The Data page in headless Chromium against gunicorn (2 workers): a bad file shows its report and
changes no figure, a good file loads and another page shows it, a file over the limit is refused."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.demo import generate
from tests.browser.conftest import screenshot, wait_for_sections
from tests.conftest import build_store
from tests.live import running_app

pytestmark = pytest.mark.browser
END = dt.date(2025, 6, 30)
NEWCOMER = "Garissa"  # a branch the demo does not have
LIMIT_MB = "0.05"  # 52 KB: the too-large file stays small
TREND = "#branches-trend .js-plotly-plot"
HEADER = "Tarehe,Tawi,Category,Qty,Net Sales (KSh),Cost\n"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    store = build_store(tmp_path_factory.mktemp("data-page-store"), generate(rows=2_000, seed=5, end=END))
    log = tmp_path_factory.mktemp("data-page-log") / "server.log"
    with running_app(store, env={"MAUZO_MAX_UPLOAD_MB": LIMIT_MB}, log_path=log) as url:
        yield url, store


def _version(store: Path) -> str:
    return json.loads((store / "manifest.json").read_text())["version"]


def _revenue(page, url: str) -> float:  # type: ignore[no-untyped-def]
    body = page.request.get(url + "/api/kpis/summary?startDate=2020-01-01&endDate=2030-12-31").json()
    return body["data"]["metrics"]["revenue"]["value"]


def _choose(page, path: Path) -> None:  # type: ignore[no-untyped-def]
    with page.expect_file_chooser() as chooser:
        page.click("#data-choose")
    chooser.value.set_files(str(path))


def _drop(page, name: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """Drag and drop: a drop event carrying the file, as a browser makes one."""
    page.evaluate("""([name, text]) => {
        const data = new DataTransfer();
        data.items.add(new File([text], name, {type: "text/csv"}));
        document.getElementById("data-drop").dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true}));
    }""", [name, text])


def _map(page, index: int, target: str) -> None:  # type: ignore[no-untyped-def]
    page.click(f"""[id='{{"index":{index},"type":"data-map-col"}}']""")
    page.locator(".dash-dropdown-option", has_text=target).first.click()
    page.keyboard.press("Escape")


def _open(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url + "/data")
    page.wait_for_selector("#data-drop")
    page.wait_for_function("() => window.dash_clientside && window.dash_clientside.set_props")


def _wait_outcome(page) -> str:  # type: ignore[no-untyped-def]
    page.wait_for_selector("#data-outcome", timeout=60_000)  # a child process on a loaded machine
    return page.inner_text("#data-result")


def test_a_bad_file_shows_its_report_and_changes_nothing(page, app_url):
    url, store = app_url
    before_version, before_revenue = _version(store), _revenue(page, url)
    _open(page, url)
    _drop(page, "march ../../bad.csv",
          HEADER + f"{END},Wajir,Paint,2,1000,800\n{END},Wajir,Paint,1,12.4x,300\n{END},Wajir,Paint,1,,300\n")
    page.wait_for_selector("#data-preview-table")
    assert page.inner_text("#data-preview .fw-semibold") == "bad.csv"  # the name's last part, never a path
    page.wait_for_selector("#data-mapping-summary")
    assert "sale_date: required column is missing" in page.inner_text("#data-mapping-summary")
    _map(page, 0, "sale_date")
    _map(page, 1, "branch")
    page.wait_for_function("() => document.getElementById('data-mapping-summary').innerText"
                           ".includes('Every required column is mapped')")
    page.wait_for_function("() => !document.getElementById('data-load').disabled")
    page.click("#data-load")
    text = _wait_outcome(page)
    report = page.inner_text("#data-report-table")
    screenshot(page, "data-page-rejected")
    assert "Nothing was loaded" in text
    assert "revenue" in report and "number_format" in report and "12.4x" in report and "line 3" in report
    assert "missing_value" in report and "line 4" in report
    assert _version(store) == before_version and _revenue(page, url) == before_revenue
    history = page.inner_text("#data-history-table")
    assert "bad.csv" in history and "rejected" in history
    assert page.console_log.errors() == []


def test_a_good_file_loads_and_another_page_shows_it(page, app_url, tmp_path):
    url, store = app_url
    assert NEWCOMER not in page.request.get(url + "/api/filters/options").json()["data"]["branches"]
    before_version = _version(store)
    good = tmp_path / "garissa.csv"
    good.write_text(HEADER.replace("Tawi", "Branch").replace("Tarehe", "Date")
                    + "".join(f"{END - dt.timedelta(days=i)},{NEWCOMER},Paint,{i + 1},{1000 * (i + 1)},700\n"
                              for i in range(5)), encoding="utf-8")
    _open(page, url)
    _choose(page, good)
    page.wait_for_selector("#data-preview-table")
    assert page.inner_text("#data-upload-progress") == "uploaded"  # the bar XHR's progress events moved
    assert "Uploaded garissa.csv" in page.inner_text("#data-upload-status")
    assert page.inner_text("#data-detected-2") == "comma ,"
    assert page.inner_text("#data-detected-3") == "%Y-%m-%d"
    page.wait_for_function("() => !document.getElementById('data-load').disabled")
    page.click("#data-load")
    text = _wait_outcome(page)
    screenshot(page, "data-page-loaded")
    assert "Loaded 5 rows from garissa.csv" in text
    version = page.inner_text("#data-new-version")
    assert version == _version(store) != before_version
    assert "garissa.csv" in page.inner_text("#data-history-table")
    page.reload()  # the tab's session remembers the job and shows how it ended
    assert "Loaded 5 rows from garissa.csv" in _wait_outcome(page)

    page.goto(url + "/branches")
    wait_for_sections(page, "branches-trend")
    page.wait_for_function(f"n => document.querySelector('{TREND}') && "
                           f"document.querySelector('{TREND}').data.some(t => t.name === n)", arg=NEWCOMER)
    assert page.console_log.errors() == []


def test_a_file_over_the_limit_is_refused(page, app_url, tmp_path):
    url, store = app_url
    big = tmp_path / "big.csv"
    big.write_text(HEADER + f"{END},Mombasa,Paint,1,100,50\n" * 3_000, encoding="utf-8")  # ~90 KB
    _open(page, url)
    _choose(page, big)
    page.wait_for_function("() => document.getElementById('data-upload-status').innerText.includes('Refused')")
    status = page.inner_text("#data-upload-status")
    assert "larger than the upload limit of 0.05 MB" in status and "MAUZO_MAX_UPLOAD_MB" in status
    assert page.locator("#data-preview-table").count() == 0
    # The server refuses it too, before reading the body, when a script skips the page's check.
    answer = page.evaluate("""async () => {
        const r = await fetch("/data/upload", {method: "POST", headers: {"X-Mauzo-Upload": "1",
                              "X-Upload-Name": "big.csv"}, body: new Uint8Array(90000)});
        return [r.status, (await r.json()).error];
    }""")
    assert answer[0] == 413 and "upload limit" in answer[1]
    assert not any("big.csv" in p.read_text() for p in (store / "uploads").glob("*.json"))  # nothing kept
    assert [e for e in page.console_log.errors() if "status of 413" not in e] == []
