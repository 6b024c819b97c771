"""``POST /data/upload`` and the Data page's jobs over HTTP (Flask test client on the real app and a
real store): hostile file names, the size limit before and while reading, cross-site requests,
roles, garbage files, and job state shared between two app instances (= two workers)."""

from __future__ import annotations

import base64
import io
import os
import time
from pathlib import Path
from typing import Any

import pytest
from werkzeug.security import generate_password_hash

from app import create_app
from app.config import Settings
from app.uploads.files import UploadArea
from app.uploads.jobs import Job, JobBook
from ingest.demo import generate
from ingest.pipeline import ingest_file
from tests.conftest import DEMO_END, build_store

LIMIT_MB = 0.5
UPLOAD = {"X-Mauzo-Upload": "1"}
GOOD = ("Date,Branch,Category,Qty,Net Sales,Cost\n"
        f"{DEMO_END},Garissa,Paint,2,1000,800\n{DEMO_END},Garissa,Tools,1,500.50,300\n")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("upload-store") / "data", generate(rows=2_000, seed=9, end=DEMO_END))


def _app(store: Path, **overrides: Any):  # type: ignore[no-untyped-def]
    """A new app instance (another worker); ``create_app`` gives it every page's callbacks."""
    return create_app(Settings(data_dir=store, cache_backend="simple", max_upload_mb=LIMIT_MB, **overrides))


@pytest.fixture(scope="module")
def app(store: Path):  # type: ignore[no-untyped-def]
    return _app(store)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.server.test_client()


def _post(client, body: bytes | Any, name: str = "sales.csv", **headers: str):  # type: ignore[no-untyped-def]
    return client.post("/data/upload", data=body, headers={**UPLOAD, "X-Upload-Name": name, **headers})


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("name", [
    "../../etc/passwd", "..%2F..%2Fetc%2Fpasswd.csv", "/etc/passwd", "C:\\Windows\\system32\\x.csv",
    "a\x00b.csv", "a%00.csv", "." * 300, "x" * 5000 + ".csv", "", "%ZZ%", "\u202e\u0000..csv", "%E2%80%AEvsc.exe",
])
def test_a_file_name_is_never_a_path(client, store, tmp_path, name):
    outside = _files(store.parent) - _files(store)
    response = client.post("/data/upload", data=GOOD.encode(),
                           headers={**UPLOAD, "X-Upload-Name": name.replace("\x00", "%00")})
    assert response.status_code == 200, response.get_json()
    saved = response.get_json()
    upload = UploadArea(store).get(saved["id"])
    assert upload is not None
    path = UploadArea(store).path_of(upload)
    assert path.parent == store / "uploads" and path.name.startswith(saved["id"])
    assert path.read_bytes() == GOOD.encode()
    assert "/" not in saved["name"] and "\\" not in saved["name"] and "\x00" not in saved["name"]
    assert "\u202e" not in saved["name"]
    assert len(saved["name"]) <= 120 and not saved["name"].startswith(".")
    assert _files(store.parent) - _files(store) == outside  # nothing written beside the store
    assert not Path("/etc/passwd.csv").exists()


def test_an_id_that_is_not_ours_is_never_read(store):
    area = UploadArea(store)
    for bad in ("../manifest", "../../etc/passwd", "/etc/passwd", "a" * 32 + "/..", "A" * 32, None, ""):
        assert area.get(bad) is None
    assert JobBook(store).get("../uploads/attempts") is None


class Body(io.RawIOBase):
    """A request body the test client can measure (it seeks) without reading it."""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, *_args: Any) -> int:
        return 0

    def tell(self) -> int:
        return 0


class Untouchable(Body):
    """A request body that fails the test if anyone reads it."""

    def read(self, *_args: Any) -> bytes:
        raise AssertionError("the body was read")

    readinto = read  # type: ignore[assignment]


def test_an_oversized_content_length_is_refused_before_the_body_is_read(client, store):
    before = _files(store)
    response = client.post("/data/upload", input_stream=Untouchable(),
                           environ_overrides={"CONTENT_LENGTH": str(10 * 1024**3)},
                           headers={**UPLOAD, "X-Upload-Name": "huge.csv"})
    assert response.status_code == 413
    assert "upload limit of 0.5 MB" in response.get_json()["error"]
    assert "MAUZO_MAX_UPLOAD_MB" in response.get_json()["error"]
    assert response.headers["Connection"] == "close"
    assert _files(store) == before


def test_a_body_longer_than_its_missing_length_is_cut_at_the_limit(client, store):
    """No Content-Length (chunked): the copy counts bytes and stops at the limit."""
    limit = int(LIMIT_MB * 1024 * 1024)
    read = 0

    class Endless(Body):
        """Far more than the limit (finite, so a server that never stops reading stores it and fails)."""

        def readinto(self, buffer: Any) -> int:
            nonlocal read
            size = min(len(buffer), limit + 8 * 1024 * 1024 - read)
            buffer[:size] = b"1" * size
            read += size
            return size

    before = _files(store)
    response = client.post("/data/upload", input_stream=io.BufferedReader(Endless()),
                           environ_overrides={"wsgi.input_terminated": True, "CONTENT_LENGTH": ""},
                           headers={**UPLOAD, "X-Upload-Name": "endless.csv", "Transfer-Encoding": "chunked"})
    assert response.status_code == 413 and "upload limit" in response.get_json()["error"]
    assert read < limit + 2 * 1024 * 1024  # stopped near the limit, not at the end of an endless body
    assert _files(store) == before  # the partial file is gone


def test_a_content_length_under_the_limit_cannot_smuggle_more(client, store):
    """A lying (too small) Content-Length: only that many bytes are taken, never the rest."""
    body = GOOD.encode() + b"x" * 100_000
    response = client.post("/data/upload", input_stream=io.BytesIO(body),
                           environ_overrides={"CONTENT_LENGTH": str(len(GOOD))},
                           headers={**UPLOAD, "X-Upload-Name": "short.csv"})
    assert response.status_code == 200
    upload = UploadArea(store).get(response.get_json()["id"])
    assert upload is not None and UploadArea(store).path_of(upload).read_bytes() == GOOD.encode()


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"},
    {"Referer": "https://evil.example/page.html"},
    {"Origin": "null"},
    {"X-Mauzo-Upload": ""},  # a cross-site form cannot send the header
])
def test_a_cross_site_upload_is_refused(client, store, headers):
    before = _files(store)
    response = _post(client, GOOD.encode(), **headers)
    assert response.status_code == 403 and "cross-site" in response.get_json()["error"]
    assert _files(store) == before


def test_a_same_origin_upload_is_accepted(client):
    response = _post(client, GOOD.encode(), Origin="http://localhost", Referer="http://localhost/data")
    assert response.status_code == 200


def test_an_empty_body_is_refused(client):
    response = _post(client, b"")
    assert response.status_code == 400 and "empty" in response.get_json()["error"]


# -- Dash callbacks of the page, as the browser sends them ---------------------------------------
def dash_call(client, dash_app, output: str, values: dict[str, Any], changed: str | None = None,  # type: ignore[no-untyped-def]
              **headers: str):
    """POST a callback request for the callback writing ``output``, with input/state ``values``."""
    key = next(k for k in dash_app.callback_map if output in k)
    spec = dash_app.callback_map[key]
    parts = key.strip(".").split("...") if key.startswith("..") else [key]
    outputs = [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]} for p in parts]
    first = spec["inputs"][0]
    body = {
        "output": key, "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in spec["inputs"]],
        "state": [{**s, "value": values.get(f"{s['id']}.{s['property']}")} for s in spec["state"]],
        "changedPropIds": [changed or f"{first['id']}.{first['property']}"],
    }
    return client.post("/_dash-update-component", json=body, headers=headers)


def _wait(book: JobBook, job_id: str, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = book.get(job_id)
        if job is not None and job.finished:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {book.get(job_id)}")


def _revenue(client, headers: dict[str, str]) -> float:  # type: ignore[no-untyped-def]
    body = client.get("/api/kpis/summary?startDate=2020-01-01&endDate=2030-12-31", headers=headers).get_json()
    return body["data"]["metrics"]["revenue"]["value"]


def test_lines_already_loaded_are_refused_or_skipped_as_chosen(client, store):
    book = JobBook(store)
    lines = GOOD.replace("Garissa", "Marsabit")

    def start(text: str, dedupe: str, name: str, dry_run: bool = False) -> str:
        upload = UploadArea(store).get(_post(client, text.encode(), name=name).get_json()["id"])
        return book.start(upload, dataset="sales", mode="append", dedupe=dedupe, dry_run=dry_run, mapping={},
                          user=None).id

    assert _wait(book, start(lines, "refuse", "first.csv")).result["rows"] == 2
    again = lines + f"{DEMO_END},Marsabit,Paint,3,900,600\n"  # other bytes: one new line, two loaded ones
    refused = start(again, "refuse", "again.csv")
    skipped = start(again.replace("Paint,3", "Tools,3"), "skip", "skip.csv")
    checked = start(GOOD.replace("Garissa", "Moyale"), "refuse", "check.csv", dry_run=True)
    refused_job, skipped_job, checked_job = _wait(book, refused), _wait(book, skipped), _wait(book, checked)
    assert checked_job.result["status"] == "dry_run" and checked_job.result["rows"] == 2
    assert not checked_job.result["committed"] and UploadArea(store).get(checked_job.upload_id) is not None
    assert any(a["file_name"] == "check.csv" and a["outcome"] == "checked, not loaded" for a in book.attempts())
    assert refused_job.result["status"] == "rejected"
    assert [p["check"] for p in refused_job.result["problems"]] == ["duplicate_lines"]
    assert skipped_job.result["status"] == "ok" and skipped_job.result["rows"] == 1
    assert skipped_job.result["duplicate_rows"] == 2


def test_a_job_whose_process_died_is_reported_interrupted(store):
    import subprocess

    gone = subprocess.Popen(["true"])
    gone.wait()
    book = JobBook(store)
    job = Job("a" * 32, "b" * 32, "lost.csv", "sales", "append", "refuse", False, {}, pid=gone.pid, state="running")
    book.save(job)
    seen = book.get(job.id)
    assert seen is not None and seen.state == "interrupted" and seen.progress() == 1.0
    assert "Start it again" in seen.result["summary"]


def test_a_replace_asks_first(client, app):
    upload = _post(client, GOOD.encode()).get_json()
    values = {"data-upload.data": upload, "data-mapping.data": {"dataset": "sales", "doc": {}},
              "data-mode.value": "replace", "data-dedupe.value": "refuse"}
    answer = dash_call(client, app, "data-job.data", values, changed="data-load.n_clicks").get_json()["response"]
    assert answer["data-confirm"]["is_open"] is True and "data-job" not in answer
    assert "sales.csv" in answer["data-confirm-text"]["children"]


GARBAGE = {  # one child process each, so a few: a PDF, a zip and random bytes, all named .csv
    "scan.csv": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + os.urandom(2000),
    "export.csv": b"PK\x03\x04" + os.urandom(2000),
    "noise.csv": os.urandom(4000),
}


def test_garbage_gets_the_clis_readable_rejection(client, store, tmp_path):
    book = JobBook(store)
    jobs = {}
    for name, data in GARBAGE.items():  # started together: one child process each
        upload = UploadArea(store).get(_post(client, data, name=name).get_json()["id"])
        jobs[name] = book.start(upload, dataset="sales", mode="append", dedupe="refuse", dry_run=False, mapping={},
                                user=None).id
    for name, job_id in jobs.items():
        job = _wait(book, job_id)
        cli_copy = tmp_path / name
        cli_copy.write_bytes(GARBAGE[name])
        cli = ingest_file(cli_copy, data_dir=tmp_path / "cli-store", dry_run=True).report.to_dict()
        assert job.result["status"] == "rejected", name
        assert job.result["problems"] == cli["problems"] and cli["problems"], name
        assert job.result["problems"][0]["check"] == "file_content", name
        assert "Traceback" not in str(job.result)
    logged = {a["file_name"]: a for a in book.attempts()}
    assert all(logged[name]["outcome"] == "rejected" and logged[name]["problems"] for name in GARBAGE)


class _WatchedBook(JobBook):
    """Checks, at the moment a job's finished state is written, that its attempt is in the history."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir)
        self.seen_finished_without_attempt: list[str] = []

    def save(self, job: Job) -> None:
        if job.finished and job.file_name not in {a["file_name"] for a in self.attempts()}:
            self.seen_finished_without_attempt.append(job.file_name)
        super().save(job)


def test_a_finished_rejection_is_already_in_the_history(client, store):
    """A poller that sees the job finished redraws the history at once; the attempt must be there."""
    book = _WatchedBook(store)
    upload = UploadArea(store).get(_post(client, b"\x00\x01 not a table", name="ordering.csv").get_json()["id"])
    job = Job("f" * 32, upload.id, upload.name, "sales", "append", "refuse", False, {}, None)
    book.save(job)
    book.run(job)  # in this process: the child's exact code path
    assert job.result["status"] == "rejected"
    assert book.seen_finished_without_attempt == []


# -- roles, with login on -------------------------------------------------------------------------
def _basic(name: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{name}-pass".encode()).decode()}


@pytest.fixture(scope="module")
def login_app(store: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    users = tmp_path_factory.mktemp("users") / "users"
    users.write_text("".join(f"{n} {generate_password_hash(n + '-pass')} {extra}\n" for n, extra in
                             (("viewer", ""), ("clerk", "roles=load"), ("ops", "roles=admin"))), encoding="utf-8")
    return _app(store, auth="basic", users_file=str(users), secret_key="upload-test-key-0123456789")


def test_only_users_who_may_load_reach_the_page_its_callbacks_and_the_upload(login_app, store):
    client = login_app.server.test_client()
    assert client.get("/data").status_code == 401
    assert client.get("/data", headers=_basic("viewer")).status_code == 403
    assert _post(client, GOOD.encode(), **_basic("viewer")).status_code == 403
    values = {"data-poll.n_intervals": 1, "data-job.data": {"id": "0" * 32}}
    assert dash_call(client, login_app, "data-job-progress.value", values, **_basic("viewer")).status_code == 403
    for user in ("clerk", "ops"):
        assert client.get("/data", headers=_basic(user)).status_code == 200
        assert dash_call(client, login_app, "data-job-progress.value", values, **_basic(user)).status_code == 200
    assert _post(client, GOOD.encode(), **_basic("clerk")).status_code == 200


def _links(node: Any) -> list[str]:
    """Every ``href`` in a serialized Dash layout."""
    if isinstance(node, dict):
        own = [node["href"]] if isinstance(node.get("href"), str) else []
        return own + [h for value in node.values() for h in _links(value)]
    if isinstance(node, list):
        return [h for item in node for h in _links(item)]
    return []


def test_the_nav_link_shows_only_for_users_who_may_load(login_app):
    client = login_app.server.test_client()
    viewer = _links(client.get("/_dash-layout", headers=_basic("viewer")).get_json())
    clerk = _links(client.get("/_dash-layout", headers=_basic("clerk")).get_json())
    assert "/diagnostics" in viewer and "/data" not in viewer
    assert "/data" in clerk


def test_a_cross_site_callback_of_the_page_is_refused(login_app):
    client = login_app.server.test_client()
    values = {"data-poll.n_intervals": 1, "data-job.data": {"id": "0" * 32}}
    refused = dash_call(client, login_app, "data-job-progress.value", values, Origin="https://evil.example",
                        **_basic("clerk"))
    assert refused.status_code == 403


def test_a_job_started_in_one_worker_is_followed_and_seen_in_another(login_app, store):
    """Two app instances on one data dir are two gunicorn workers: the second answers the page's
    polling of the first's job, its (already cached) figures change after the commit, and the
    history says who loaded the file."""
    settings = login_app.server.config["MAUZO_SETTINGS"]
    second = _app(store, auth="basic", users_file=settings.users_file, secret_key=settings.secret_key)
    one, two, clerk = login_app.server.test_client(), second.server.test_client(), _basic("clerk")
    revenue_before = _revenue(two, clerk)
    assert _revenue(two, clerk) == revenue_before  # now cached in the second worker
    upload = _post(one, GOOD.encode(), name="garissa.csv", **clerk).get_json()
    values = {"data-upload.data": upload, "data-mapping.data": {"dataset": "sales", "doc": {}},
              "data-mode.value": "append", "data-dedupe.value": "refuse"}
    started = dash_call(one, login_app, "data-job.data", values, changed="data-load.n_clicks", **clerk)
    assert started.status_code == 200, started.data
    assert started.get_json()["response"]["data-load"]["disabled"] is True  # no second click while it runs
    job = _wait(JobBook(store), started.get_json()["response"]["data-job"]["data"]["id"])
    assert job.result["status"] == "ok" and job.result["rows"] == 2 and job.user == "clerk"
    polled = dash_call(two, second, "data-job-progress.value", {"data-poll.n_intervals": 1,
                                                                "data-job.data": {"id": job.id}}, **clerk)
    answer = polled.get_json()["response"]
    assert answer["data-job-progress"]["value"] == 100 and answer["data-load"]["disabled"] is False
    assert "Loaded 2 rows from garissa.csv" in str(answer["data-result"]["children"])
    assert job.result["data_version"] in str(answer["data-result"]["children"])
    assert _revenue(two, clerk) == pytest.approx(revenue_before + 1500.50)
    assert UploadArea(store).get(upload["id"]) is None  # loaded: the bytes are not kept
    from data.store import SnapshotStore

    entry = SnapshotStore(store).manifest().history[0]
    assert entry["file_name"] == "garissa.csv" and entry["user"] == "clerk"
    history = str(answer["data-history"]["children"])
    assert "garissa.csv" in history and "clerk" in history and "Who" in history


def test_old_uploads_and_job_files_are_removed_but_not_the_attempts_log(client, store):
    book = JobBook(store)
    old = UploadArea(store).get(_post(client, GOOD.encode(), name="old.csv").get_json()["id"])
    fresh = UploadArea(store).get(_post(client, GOOD.encode(), name="fresh.csv").get_json()["id"])
    assert old is not None and fresh is not None
    stale_job = Job("c" * 32, old.id, "old.csv", "sales", "append", "refuse", False, {}, state="done")
    book.save(stale_job)
    book.log_attempt(stale_job)
    day_ago = time.time() - 25 * 3600
    for path in (UploadArea(store).path_of(old), store / "uploads" / f"{old.id}.json", book.jobs / f"{'c' * 32}.json",
                 store / "uploads" / "attempts.json"):
        os.utime(path, (day_ago, day_ago))
    UploadArea(store).prune()
    book._prune()
    assert UploadArea(store).get(old.id) is None and book.get("c" * 32) is None
    assert UploadArea(store).get(fresh.id) is not None
    assert any(a["file_name"] == "old.csv" for a in book.attempts())  # the history keeps its outcome
