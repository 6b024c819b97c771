"""Embed pages, signed links and the Dash callbacks they make, over a real demo store.

The page requests a viewer could send (an unsigned, altered, expired or widened link) are sent here
with Flask's test client against the whole app; the hand-crafted Dash callback requests are in
``test_embed_callbacks.py`` (a live server: Dash hands its callbacks to the first app of a process).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flask import Response

from app import create_app
from app.config import DEV_SECRET_KEY, Settings
from app.embed import chart_ids
from app.embed_link import DevSecretKey, link_path, sign
from data.filters import Filters
from data.scope import Scope

CHART = "branches-comparison"
LOCKED = Filters.create(start="2025-01-01", end="2025-06-30", branch=["Mombasa"])
WIDER = Filters.create(start="2023-01-01", end="2025-06-30", branch=["Mombasa", "Nakuru", "Kisumu"])
KEY = "embed-test-key-0123456789"


def _app(store: Path, **settings: object):  # type: ignore[no-untyped-def]
    return create_app(Settings(data_dir=store, cache_backend="simple", secret_key=KEY, **settings))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def strict(demo_store: Path):  # type: ignore[no-untyped-def]
    """MAUZO_REQUIRE_SIGNED_EMBEDS=1: anonymous viewers get signed embeds only."""
    return _app(demo_store, require_signed_embeds=True).server.test_client()


@pytest.fixture(scope="module")
def open_app(demo_store: Path):  # type: ignore[no-untyped-def]
    return _app(demo_store).server.test_client()


def _token(chart: str = CHART, filters: Filters = LOCKED, expires: dt.timedelta = dt.timedelta(hours=1),
           now: float | None = None, key: str = KEY) -> str:
    return sign(Settings(secret_key=key), chart, filters, Scope.of(branch=["Mombasa"]), expires, now=now)


def test_chart_ids_are_the_standalone_sections(open_app):
    assert {"overview-kpis", "overview-trend", CHART, "customers-top", "pl-funnel"} <= set(chart_ids())
    assert "sp-drill" not in chart_ids()  # depends on a page control


def test_a_signed_link_renders_with_frame_headers(strict):
    response = strict.get(link_path(CHART, LOCKED, _token()))
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "X-Frame-Options" not in response.headers
    assert "request_pre" in response.get_data(as_text=True)  # the renderer echoes the token


def test_frame_ancestors_come_from_configuration(demo_store: Path):
    client = _app(demo_store, frame_ancestors="'self' https://intranet.example").server.test_client()
    for path in ("/", "/embed/overview-trend", "/api/health"):
        assert client.get(path).headers["Content-Security-Policy"] == "frame-ancestors 'self' https://intranet.example"


@pytest.mark.parametrize("case", ["unsigned", "altered", "expired", "widened-url", "other-chart", "old-key"])
def test_bad_links_get_a_clear_403_page(strict, case):
    token = _token()
    path = {
        "unsigned": f"/embed/{CHART}{LOCKED.to_query_string()}",
        "altered": link_path(CHART, LOCKED, token[:-3] + ("abc" if not token.endswith("abc") else "xyz")),
        "expired": link_path(CHART, LOCKED, _token(now=1_000_000_000.0)),
        "widened-url": link_path(CHART, WIDER, token),
        "other-chart": link_path("overview-kpis", LOCKED, token),
        "old-key": link_path(CHART, LOCKED, _token(key="a-key-nobody-configured")),
    }[case]
    response = strict.get(path)
    assert response.status_code == 403
    assert response.mimetype == "text/html"
    text = response.get_data(as_text=True)
    assert 'id="mauzo-refusal"' in text and "cannot be shown" in text


def test_anonymous_viewers_of_a_strict_app_get_embeds_only(strict):
    for path in ("/", "/branches", "/?embed=1", "/branches?embed=1"):
        assert strict.get(path).status_code == 403, path
    assert strict.get("/api/health").status_code == 200
    layout = strict.get("/_dash-layout")
    assert layout.status_code == 200
    assert "Nakuru" not in layout.get_data(as_text=True)  # the structure loads, with no option lists


def test_an_open_app_serves_unsigned_embeds_and_chromeless_pages(open_app):
    assert open_app.get(f"/embed/{CHART}").status_code == 200
    assert open_app.get("/?embed=1").status_code == 200
    assert open_app.get("/embed/no-such-chart").status_code == 404


def test_the_chart_ids_are_listed_on_a_page(strict):
    for path in ("/embed", "/embed/"):
        response = strict.get(path)
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert all(f"<code>{chart}</code>" in text for chart in chart_ids())
        assert "Nakuru" not in text


def test_a_routes_own_policy_gains_frame_ancestors_and_x_frame_options_goes(demo_store: Path):
    server = _app(demo_store).server

    @server.get("/_test/own-policy")
    def _own() -> Response:
        return Response("{}", mimetype="application/json",
                        headers={"Content-Security-Policy": "default-src 'self'", "X-Frame-Options": "DENY"})

    response = server.test_client().get("/_test/own-policy")
    assert response.headers["Content-Security-Policy"] == "default-src 'self'; frame-ancestors 'self'"
    assert "X-Frame-Options" not in response.headers


PAGE = "/salespeople"


def _page_token(page: str = PAGE, now: float | None = None, key: str = KEY) -> str:
    return sign(Settings(secret_key=key), page, LOCKED, Scope.of(branch=["Mombasa"]), dt.timedelta(hours=1), now=now)


def test_a_signed_page_renders_chromeless(strict):
    response = strict.get(link_path(PAGE, LOCKED, _page_token()))
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert "request_pre" in response.get_data(as_text=True)
    assert strict.get(link_path("/", LOCKED, _page_token("/"))).status_code == 200


@pytest.mark.parametrize("case", ["altered", "expired", "widened-url", "other-page", "chart-token",
                                  "page-token-on-chart", "old-key"])
def test_bad_page_links_get_a_clear_403_page(strict, open_app, case):
    token = _page_token()
    path = {
        "altered": link_path(PAGE, LOCKED, token[:-3] + ("abc" if not token.endswith("abc") else "xyz")),
        "expired": link_path(PAGE, LOCKED, _page_token(now=1_000_000_000.0)),
        "widened-url": link_path(PAGE, WIDER, token),
        "other-page": link_path("/customers", LOCKED, token),
        "chart-token": link_path(PAGE, LOCKED, _token()),
        "page-token-on-chart": link_path(CHART, LOCKED, token),
        "old-key": link_path(PAGE, LOCKED, _page_token(key="a-key-nobody-configured")),
    }[case]
    for client in (strict, open_app):  # a signed link is checked even where signatures are not required
        response = client.get(path)
        assert response.status_code == 403, (case, path)
        assert 'id="mauzo-refusal"' in response.get_data(as_text=True)


def test_no_start_with_the_public_key_where_signatures_matter(demo_store: Path, tmp_path: Path):
    users = tmp_path / "users"
    users.write_text("ops scrypt:32768:8:1$x$y roles=admin\n", encoding="utf-8")
    for settings in ({"require_signed_embeds": True}, {"auth": "basic", "users_file": str(users)},
                     {"auth": "proxy"}):
        with pytest.raises(DevSecretKey, match="MAUZO_SECRET_KEY set to a secret of your own"):
            create_app(Settings(data_dir=demo_store, cache_backend="none", secret_key=DEV_SECRET_KEY, **settings))
    create_app(Settings(data_dir=demo_store, cache_backend="none", secret_key=DEV_SECRET_KEY))  # a laptop starts


def test_the_dialog_signs_on_the_server_and_never_with_the_public_key(demo_store: Path):
    from app.embed_ui import sign_link

    target = {"chart": CHART, "page": "/branches"}
    for key, signed in ((DEV_SECRET_KEY, False), (KEY, True)):
        server = create_app(Settings(data_dir=demo_store, cache_backend="none", secret_key=key)).server
        with server.test_request_context("/", base_url="https://mauzo.example"):
            url, snippet, message = sign_link(1, target, "chart", "1h", [], LOCKED.as_dict())
            refused = sign_link(1, target, "chart", "1y", [], LOCKED.as_dict())  # not an offered lifetime
        assert bool(url) is signed and bool(snippet) is signed
        assert ("MAUZO_SECRET_KEY" in str(message.children)) is not signed
        assert not refused[0] and "lifetimes" in str(refused[2].children)
        if signed:
            assert url.startswith(f"https://mauzo.example/embed/{CHART}?startDate=2025-01-01&")


def test_no_cookie_and_no_cross_site_form_post(open_app):
    """Nothing sets a cookie (credentials travel in each request), and a callback needs a JSON body,
    which a cross-site form cannot send without a CORS preflight that the app does not grant."""
    for path in ("/", "/branches?embed=1", f"/embed/{CHART}", "/embed/", "/api/health", "/_dash-layout"):
        assert "Set-Cookie" not in open_app.get(path).headers, path
    body = '{"output": "branches-comparison.children", "inputs": [], "state": []}'
    assert open_app.post("/_dash-update-component", data=body, content_type="text/plain").status_code == 415
    preflight = open_app.options("/_dash-update-component", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert open_app.application.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_settings_never_print_a_secret():
    settings = Settings(secret_key=KEY, secret_key_previous="previous-key-0123", api_tokens="tok-abcdef:branch=Mombasa",
                        druid_env={"DRUID_PASSWORD": "druid-pass-123"})
    assert not [s for s in (KEY, "previous-key-0123", "tok-abcdef", "druid-pass-123") if s in repr(settings)]


def test_the_docs_list_every_chart_id(open_app):
    text = (Path(__file__).resolve().parents[2] / "docs" / "embedding.md").read_text(encoding="utf-8")
    listed = text.split("Chart ids", 1)[1].split("\n## ", 1)[0]
    assert [line[3:-1] for line in listed.splitlines() if line.startswith("- `")] == chart_ids()
