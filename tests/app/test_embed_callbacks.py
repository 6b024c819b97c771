"""Hand-crafted ``/_dash-update-component`` POSTs against signed embed links, on live servers.

Dash moves its callbacks into the first app that serves a request in a process, so these tests
run the real app under gunicorn (``tests.live.running_app``): one strict server
(``MAUZO_REQUIRE_SIGNED_EMBEDS=1``) and one with a login (``MAUZO_AUTH=basic``: an admin, a user
without a role and a scoped user), whose admin gets the reference answers (an unrestricted view)
and signs links from the Embed dialog.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from werkzeug.security import generate_password_hash

from app.config import Settings
from app.embed import BODY_KEY
from app.embed_link import link_path, sign, verify
from data.filters import Filters
from data.scope import UNRESTRICTED, Scope
from tests.live import running_app

CHART = "branches-comparison"
LOCKED = Filters.create(start="2025-01-01", end="2025-06-30", branch=["Mombasa"])
WIDER = Filters.create(start="2023-01-01", end="2025-06-30", branch=["Mombasa", "Nakuru", "Kisumu"])
KEY = "embed-callback-key-0123456789"


PASSWORD = "callback-test-password"
ADMIN, VIEWER, SCOPED = ({"Authorization": "Basic " + base64.b64encode(f"{name}:{PASSWORD}".encode()).decode()}
                         for name in ("ops", "viewer", "amina"))


@pytest.fixture(scope="module")
def servers(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    env = {"MAUZO_SECRET_KEY": KEY, "MAUZO_CACHE": "simple"}
    logs = tmp_path_factory.mktemp("embed-callbacks")
    users = logs / "users"
    hashed = generate_password_hash(PASSWORD)
    users.write_text(f"ops {hashed} roles=admin\nviewer {hashed}\namina {hashed} branch=Mombasa\n", encoding="utf-8")
    with (running_app(demo_store, env={**env, "MAUZO_REQUIRE_SIGNED_EMBEDS": "1"}, workers=1,
                      log_path=logs / "strict.log") as strict,
          running_app(demo_store, env={**env, "MAUZO_AUTH": "basic", "MAUZO_USERS_FILE": str(users)}, workers=1,
                      log_path=logs / "login.log") as login):
        for url in (strict, login):
            _wait_for_callbacks(url)
        yield {"strict": strict, "open": login, "logs": str(logs)}


def _wait_for_callbacks(url: str) -> None:
    """Dash copies its callbacks into the app during the first request; a request arriving while
    another is still inside that setup finds none. Wait until the app lists them."""
    for _ in range(100):
        deps = requests.get(url + "/_dash-dependencies", timeout=30, headers=ADMIN)
        if deps.status_code == 200 and any(d["output"] == f"{CHART}.children" for d in deps.json()):
            return
        time.sleep(0.1)
    raise AssertionError(f"{url} never listed its callbacks")


MOMBASA = Scope.of(branch=["Mombasa"])


def _token(filters: Filters = LOCKED, scope: Scope = MOMBASA, now: float | None = None) -> str:
    return sign(Settings(secret_key=KEY), CHART, filters, scope, dt.timedelta(hours=1), now=now)


def _section_post(chart: str, filters: Filters, token: str | None = None) -> dict:
    body: dict = {"output": f"{chart}.children", "outputs": {"id": chart, "property": "children"},
                  "inputs": [{"id": "filters", "property": "data", "value": filters.as_dict()},
                             {"id": "refresh-token", "property": "data", "value": 0}],
                  "changedPropIds": ["filters.data"], "state": []}
    if token is not None:
        body[BODY_KEY] = token
    return body


SENT: list[str] = []  # every link token these tests send, looked for in the servers' logs


def _post(url: str, body: dict, headers: dict[str, str] | None = None) -> requests.Response:
    """A callback request; the login server's answers without a link are its admin's (everything)."""
    if headers is None and BODY_KEY not in body:
        headers = ADMIN
    SENT.append(str(body.get(BODY_KEY, "")))
    return requests.post(url + "/_dash-update-component", json=body, timeout=60, headers=headers)


def _view(response: requests.Response) -> str:
    assert response.status_code == 200, response.text[:300]
    return json.dumps(response.json()["response"], sort_keys=True)


def test_a_crafted_callback_cannot_widen_a_signed_link(servers):
    locked_view = _view(_post(servers["open"], _section_post(CHART, LOCKED)))
    # The same request made with a link signed for the wider view does show other branches.
    wider_view = _view(_post(servers["strict"], _section_post(CHART, WIDER, _token(WIDER, UNRESTRICTED))))
    assert "Nakuru" in wider_view and "Nakuru" not in locked_view
    for server in ("strict", "open"):
        crafted = _post(servers[server], _section_post(CHART, WIDER, _token()))
        assert _view(crafted) == locked_view, server


def test_the_link_scope_holds_even_without_locked_branches(servers):
    """A link scoped to Mombasa but showing every branch still shows only Mombasa."""
    all_branches = Filters.create(start="2025-01-01", end="2025-06-30")
    crafted = _post(servers["strict"], _section_post(CHART, WIDER, _token(all_branches, Scope.of(branch=["Mombasa"]))))
    assert _view(crafted) == _view(_post(servers["open"], _section_post(CHART, LOCKED)))


def test_a_crafted_url_search_is_replaced_by_the_signed_one(servers):
    body = {"output": "..filter-area.style...nav-area.style..", "outputs": [
                {"id": "filter-area", "property": "style"}, {"id": "nav-area", "property": "style"}],
            "inputs": [{"id": "url", "property": "pathname", "value": "/branches"},
                       {"id": "url", "property": "search", "value": WIDER.to_query_string()}],
            "changedPropIds": ["url.search"], "state": [], BODY_KEY: _token()}
    response = _post(servers["strict"], body)
    hidden = {"display": "none"}  # the signed search carries the link's token: an embedded view
    assert response.json()["response"] == {"filter-area": {"style": hidden}, "nav-area": {"style": hidden}}


def test_a_link_cannot_run_other_callbacks(servers):
    """A page control's callback (here the branch trend's metric switch) is not the link's chart."""
    body = {"output": "branches-trend.children", "outputs": {"id": "branches-trend", "property": "children"},
            "inputs": [{"id": "filters", "property": "data", "value": LOCKED.as_dict()},
                       {"id": "refresh-token", "property": "data", "value": 0},
                       {"id": "branches-trend-metric", "property": "value", "value": "revenue"}],
            "changedPropIds": ["branches-trend-metric.value"], "state": [], BODY_KEY: _token()}
    assert _post(servers["strict"], body).status_code == 403


@pytest.mark.parametrize("case", ["no-token", "altered", "expired", "other-chart"])
def test_refused_callback_requests(servers, case):
    token = {"no-token": None, "altered": _token()[:-2] + "zz", "expired": _token(now=1_000_000_000.0),
             "other-chart": _token()}[case]
    chart = "overview-kpis" if case == "other-chart" else CHART
    response = _post(servers["strict"], _section_post(chart, LOCKED, token))
    assert response.status_code == 403
    assert "Mombasa" not in response.text


def test_unsigned_callbacks_of_a_signed_in_user_still_work(servers):
    assert "Nakuru" in _view(_post(servers["open"], _section_post(CHART, WIDER)))
    assert _post(servers["open"], _section_post(CHART, WIDER), headers={}).status_code == 401


# -- whole pages signed (/salespeople?embed=1&...&t=) ------------------------------------------------
PAGE = "/salespeople"


def _page_token(filters: Filters = LOCKED, page: str = PAGE) -> str:
    return sign(Settings(secret_key=KEY), page, filters, MOMBASA, dt.timedelta(hours=1))


def test_a_page_link_runs_its_pages_callbacks_locked(servers):
    for section in ("sp-leaderboard", "sp-mix"):
        locked_view = _view(_post(servers["open"], _section_post(section, LOCKED)))
        crafted = _post(servers["strict"], _section_post(section, WIDER, _page_token()))
        assert _view(crafted) == locked_view, section
        assert "Nakuru" not in locked_view
    for section in ("overview-insights", "overview-kpis"):  # insights too: computed under the link's scope
        crafted = _post(servers["strict"], _section_post(section, WIDER, _page_token(page="/")))
        assert _view(crafted) == _view(_post(servers["open"], _section_post(section, LOCKED))), section
    # A page control's callback (the drill-down picker feeds sp-drill) belongs to the page too.
    drill = _section_post("sp-drill", WIDER, _page_token())
    drill["inputs"].append({"id": "sp-pick", "property": "value", "value": None})
    assert _post(servers["strict"], drill).status_code == 200


def test_a_page_link_cannot_run_another_pages_callbacks(servers):
    for section in (CHART, "overview-kpis", "customers-top"):
        response = _post(servers["strict"], _section_post(section, LOCKED, _page_token()))
        assert response.status_code == 403, section
        assert "Mombasa" not in response.text


def test_a_renamed_filter_input_is_still_replaced_by_the_signed_filters(servers):
    """Dash hands inputs to a callback by position: renaming the filter store's entry in a crafted
    request must not smuggle other dates or branches past the lock."""
    locked_view = _view(_post(servers["open"], _section_post(CHART, LOCKED)))
    for token in (_token(), _page_token(page="/branches")):
        body = _section_post(CHART, WIDER, token)
        body["inputs"][0]["id"] = "filters-x"
        assert _view(_post(servers["strict"], body)) == locked_view
        body["inputs"].append({"id": "extra", "property": "data", "value": 1})  # not the callback's shape
        assert _post(servers["strict"], body).status_code == 403


def _route_post(pathname: str, token: str) -> dict:
    return {"output": "page-content.children", "outputs": {"id": "page-content", "property": "children"},
            "inputs": [{"id": "url", "property": "pathname", "value": pathname}],
            "changedPropIds": ["url.pathname"], "state": [], BODY_KEY: token}


def test_the_router_renders_only_the_signed_page_or_chart(servers):
    page = _post(servers["strict"], _route_post("/customers", _page_token())).text
    assert '"sp-leaderboard"' in page and '"customers-top"' not in page
    chart = _post(servers["strict"], _route_post("/diagnostics", _token())).text
    assert f'"{CHART}"' in chart and "Diagnostics" not in chart


def _download_post(kind: str, name: str, token: str, filters: Filters = WIDER) -> dict:
    key = "table" if kind == "csv-download" else "page"
    clicked = {"id": {key: name, "type": kind}, "property": "n_clicks", "value": 1}
    return {"output": "download.data", "outputs": {"id": "download", "property": "data"},
            "inputs": [[clicked] if kind == "csv-download" else [], [clicked] if kind == "xlsx-download" else []],
            "changedPropIds": [json.dumps({key: name, "type": kind}, separators=(",", ":")) + ".n_clicks"],
            "state": [{"id": "filters", "property": "data", "value": filters.as_dict()}], BODY_KEY: token}


@pytest.mark.parametrize(("token", "kind", "name", "status"), [
    ("page", "csv-download", "sp-mix", 200), ("page", "xlsx-download", "salespeople", 200),
    ("page", "csv-download", "branches-comparison", 403), ("page", "xlsx-download", "branches", 403),
    ("chart", "csv-download", CHART, 200), ("chart", "csv-download", "branches-trend", 403),
    ("chart", "xlsx-download", "branches", 403), ("chart", "csv-download", "customers-ranking", 403),
    ("customers-top", "csv-download", "customers-ranking", 200),  # the table its chart shows, by another name
    ("customers-top", "csv-download", "customers-pareto", 403),
])
def test_downloads_stay_within_the_link(servers, token, kind, name, status):
    """A page link downloads its page's tables and workbook; a chart link the tables its chart shows."""
    if token == "page":
        signed = _page_token()
    else:
        chart = CHART if token == "chart" else token
        signed = sign(Settings(secret_key=KEY), chart, LOCKED, MOMBASA, dt.timedelta(hours=1))
    response = _post(servers["strict"], _download_post(kind, name, signed))
    assert response.status_code == status, response.text[:200]
    if status == 200 and kind == "csv-download":
        reference = _download_post(kind, name, "", LOCKED)
        del reference[BODY_KEY]  # the admin's download of the locked view
        expected = _post(servers["open"], reference, headers=ADMIN).json()["response"]["download"]["data"]
        content = response.json()["response"]["download"]["data"]["content"]
        assert content == expected["content"] and content.count("\n") > 1


def _workbook_text(response: requests.Response) -> str:
    """The strings of an Excel download (xlsxwriter keeps them in the shared strings part)."""
    data = response.json()["response"]["download"]["data"]
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(data["content"]))) as book:
        return book.read("xl/sharedStrings.xml").decode("utf-8")


def test_excel_exports_stay_within_a_scope(servers):
    """The branches page's workbook for a page link and for a scoped user asking for every branch
    (so no branch is named in the workbook's filter description): Mombasa's rows only."""
    link = _post(servers["strict"], _download_post("xlsx-download", "branches", _page_token(page="/branches")))
    body = _download_post("xlsx-download", "branches", "", Filters.create(start="2023-01-01", end="2025-06-30"))
    del body[BODY_KEY]
    user = _post(servers["open"], body, headers=SCOPED)
    everyone = _post(servers["open"], body, headers=ADMIN)
    assert "Nakuru" in _workbook_text(everyone)
    for response in (link, user):
        text = _workbook_text(response)
        assert "Mombasa" in text and "Nakuru" not in text and "Kisumu" not in text


def test_the_diagnostics_page_under_a_link_or_a_scoped_user(servers):
    """Store-wide totals and ingest history are hidden (pages.diagnostics.SCOPED_NOTE, not imported:
    importing a page registers it, which needs an app in this process)."""
    hidden = "ingest history are hidden"
    link = _post(servers["strict"], _route_post("/diagnostics", _page_token(page="/diagnostics"))).text
    body = _route_post("/diagnostics", "")
    del body[BODY_KEY]
    user = _post(servers["open"], body, headers=SCOPED).text
    admin = _post(servers["open"], body, headers=ADMIN).text
    assert hidden in link and hidden in user and hidden not in admin


# -- signed links from the Embed dialog (admins) ------------------------------------------------------
def _sign_post(target: dict, what: str = "chart", expires: str = "1d", branches: list[str] | None = None,
               filters: Filters = LOCKED) -> dict:
    ids = ("embed-signed-url", "embed-signed-snippet", "embed-sign-message")
    props = ("value", "value", "children")
    return {"output": "..embed-signed-url.value...embed-signed-snippet.value...embed-sign-message.children..",
            "outputs": [{"id": i, "property": p} for i, p in zip(ids, props, strict=True)],
            "inputs": [{"id": "embed-sign-btn", "property": "n_clicks", "value": 1}],
            "changedPropIds": ["embed-sign-btn.n_clicks"],
            "state": [{"id": "embed-target", "property": "data", "value": target},
                      {"id": "embed-sign-what", "property": "value", "value": what},
                      {"id": "embed-sign-expires", "property": "value", "value": expires},
                      {"id": "embed-sign-scope", "property": "value", "value": branches},
                      {"id": "filters", "property": "data", "value": filters.as_dict()}]}


def test_an_admin_signs_a_chart_or_a_page_in_the_dialog(servers):
    base = servers["open"]
    for what, target in (("chart", CHART), ("page", "/branches")):
        response = _post(base, _sign_post({"chart": CHART, "page": "/branches/"}, what, "7d", ["Mombasa", "Kisumu"]),
                         headers=ADMIN)
        out = response.json()["response"]
        url = out["embed-signed-url"]["value"]
        token = parse_qs(urlsplit(url).query)["t"][0]
        grant = verify(Settings(secret_key=KEY), token)
        assert url == base + link_path(target, LOCKED, token)  # the CLI's form exactly
        assert (grant.target, grant.filters, grant.scope) == (target, LOCKED, Scope.of(branch=["Mombasa", "Kisumu"]))
        assert 7 * 86400 - 120 < grant.expires - time.time() <= 7 * 86400
        assert out["embed-signed-snippet"]["value"].startswith(f'<iframe src="{url.replace("&", "&amp;")}"')
        assert requests.get(url, timeout=30).status_code == 200  # anonymous viewers may open it
        SENT.append(token)


@pytest.mark.parametrize("who", ["viewer", "scoped", "anonymous", "link"])
def test_only_admins_get_a_signed_link(servers, who):
    body = _sign_post({"chart": CHART, "page": "/branches"})
    headers = {"viewer": VIEWER, "scoped": SCOPED, "anonymous": {}, "link": {}}[who]
    if who == "link":
        body[BODY_KEY] = _page_token(page="/branches")
    response = _post(servers["open"], body, headers=headers)
    assert response.status_code in (401, 403), (who, response.status_code)
    assert "t=" not in response.text and "embed-signed-url" not in response.text


def test_the_dialog_offers_signing_to_admins_only(servers):
    def layout(headers: dict[str, str]) -> str:
        return requests.get(servers["open"] + "/_dash-layout", headers=headers, timeout=30).text
    assert "embed-sign-btn" in layout(ADMIN)
    assert "embed-sign-btn" not in layout(VIEWER) and "embed-sign-btn" not in layout(SCOPED)
    assert "embed-sign-btn" not in requests.get(servers["strict"] + "/_dash-layout", timeout=30).text


def test_no_token_or_key_in_the_logs(servers):
    """Link tokens sent here and by the tests above (whichever ran in this process): the servers'
    logs name none, nor the key nor the password."""
    for chart in (CHART, "branches-comparison"):
        _post(servers["strict"], _section_post(chart, WIDER, _token()))
        _post(servers["strict"], _section_post(chart, LOCKED, _page_token()))
        SENT.append(_token())
        requests.get(servers["strict"] + link_path(chart, LOCKED, SENT[-1]), timeout=30)
    signed = _post(servers["open"], _sign_post({"chart": CHART, "page": "/branches/"}), headers=ADMIN)
    SENT.append(parse_qs(urlsplit(signed.json()["response"]["embed-signed-url"]["value"]).query)["t"][0])
    secrets = [KEY, PASSWORD, *(token for token in SENT if token)]
    assert len(secrets) >= 7
    logs = "".join(path.read_text(encoding="utf-8", errors="replace") for path in Path(servers["logs"]).glob("*.log"))
    assert "signed embed link for" in logs  # the dialog's signing is logged, without the link
    assert not [s for s in secrets if s in logs]
    assert "t=" not in logs and base64.b64encode(f"ops:{PASSWORD}".encode()).decode() not in logs
