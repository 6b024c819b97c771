"""Optional login (MAUZO_AUTH): every route except health and the API description needs it, a
user's branch scope applies to every query, signed embeds still work without it."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from app import create_app
from app.access_login import load_users
from app.config import Settings
from app.embed_link import link_path, sign
from data.filters import Filters
from data.scope import Scope

KEY = "login-test-key-0123456789"
PROTECTED = ("/", "/branches", "/diagnostics", "/?embed=1", "/api/kpis/summary", "/api/kpis/branches",
             "/api/filters/options", "/api/pipeline/summary", "/api/graphql?query={filterOptions{branches}}")
OPEN = ("/api/health", "/api/health/db", "/api/openapi.json")


def _basic(name: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


@pytest.fixture(scope="module")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    file = tmp_path_factory.mktemp("login") / "users"
    file.write_text(f"# test users\nops {generate_password_hash('ops-pass')}\n"
                    f"amina {generate_password_hash('amina-pass')} branch=Mombasa\n", encoding="utf-8")
    return file


@pytest.fixture(scope="module")
def client(demo_store: Path, users_file: Path):  # type: ignore[no-untyped-def]
    """One app for the module (requests do not change it)."""
    settings = Settings(data_dir=demo_store, cache_backend="simple", auth="basic", users_file=str(users_file),
                        secret_key=KEY)
    return create_app(settings).server.test_client()


@pytest.mark.parametrize("path", PROTECTED)
def test_every_route_needs_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 401, path
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert client.get(path, headers=_basic("ops", "wrong")).status_code == 401
    assert client.get(path, headers=_basic("nobody", "ops-pass")).status_code == 401
    assert client.get(path, headers=_basic("ops", "ops-pass")).status_code == 200, path


def test_every_registered_route_is_covered(client):
    """Each GET route of the server without path arguments: 401 anonymous, unless it is open or
    carries no figures (scripts, styles) or is the embed hook's (checked in test_embed*.py)."""
    rules = [r.rule for r in client.application.url_map.iter_rules()
             if "GET" in (r.methods or ()) and "<" not in r.rule]
    exempt = (*OPEN, "/_dash-layout", "/_dash-dependencies", "/embed", "/_favicon.ico", "/assets", "/_dash-component")
    for rule in rules:
        status = client.get(rule).status_code
        assert status in (401, 404, 405) or rule.startswith(exempt), (rule, status)
    assert client.post("/_dash-update-component", json={"output": "x.children"}).status_code == 401


@pytest.mark.parametrize("path", OPEN)
def test_health_stays_open(client, path):
    assert client.get(path).status_code in (200, 503)


def test_a_users_scope_applies_to_every_query(client):
    mine = client.get("/api/filters/options", headers=_basic("amina", "amina-pass")).get_json()["data"]
    everyone = client.get("/api/filters/options", headers=_basic("ops", "ops-pass")).get_json()["data"]
    assert mine["branches"] == ["Mombasa"] and len(everyone["branches"]) > 1
    rows = client.get("/api/kpis/branches?branch=Nakuru&branch=Mombasa",
                      headers=_basic("amina", "amina-pass")).get_json()["data"]
    assert [row["branch"] for row in rows] == ["Mombasa"]


def test_signed_embeds_work_without_a_login(client):
    filters = Filters.create(branch=["Mombasa"])
    token = sign(Settings(secret_key=KEY), "overview-trend", filters, Scope.of(branch=["Mombasa"]))
    assert client.get(link_path("overview-trend", filters, token)).status_code == 200
    assert client.get("/embed/overview-trend").status_code == 403  # unsigned: embed-only for anonymous
    page = sign(Settings(secret_key=KEY), "/branches", filters, Scope.of(branch=["Mombasa"]))
    assert client.get(link_path("/branches", filters, page)).status_code == 200  # a signed page too
    # Tamper inside the signature: its last base64 character carries unused bits, so rewriting the
    # end can decode to the same bytes (this test once failed that way in CI).
    tampered = page[:-10] + ("A" if page[-10] != "A" else "B") + page[-9:]
    assert client.get(link_path("/branches", filters, tampered)).status_code == 403
    for path in ("/api/kpis/summary", "/api/filters/options", "/no-page"):  # a token opens pages only
        assert client.get(f"{path}?t={page}").status_code == 401, path
    assert "Nakuru" not in client.get("/_dash-layout").get_data(as_text=True)


def test_proxy_header_mode(demo_store: Path, users_file: Path):
    settings = Settings(data_dir=demo_store, cache_backend="simple", auth="proxy", users_file=str(users_file),
                        auth_proxy_header="X-Remote-User", secret_key=KEY)
    client = create_app(settings).server.test_client()
    assert client.get("/api/filters/options").status_code == 401
    scoped = client.get("/api/filters/options", headers={"X-Remote-User": "amina"}).get_json()["data"]
    assert scoped["branches"] == ["Mombasa"]
    assert client.get("/", headers={"X-Remote-User": "someone"}).status_code == 200


def test_bad_configuration_stops_the_start(tmp_path: Path):
    with pytest.raises(ValueError, match="MAUZO_USERS_FILE"):
        load_users(Settings(auth="basic"))
    with pytest.raises(ValueError, match="MAUZO_AUTH"):
        load_users(Settings(auth="ldap"))
    bad = tmp_path / "users"
    bad.write_text("just-a-name\n", encoding="utf-8")
    with pytest.raises(ValueError, match="name hash"):
        load_users(Settings(auth="basic", users_file=str(bad)))


def test_login_is_off_by_default(demo_store: Path):
    client = create_app(Settings(data_dir=demo_store, cache_backend="none")).server.test_client()
    assert client.get("/api/kpis/summary").status_code == 200


def test_roles_in_the_users_file(tmp_path: Path):
    file = tmp_path / "users"
    file.write_text("ops h roles=admin\nclerk h roles=load\nviewer h\n", encoding="utf-8")
    users = load_users(Settings(auth="basic", users_file=str(file)))
    assert users["ops"].may("admin") and users["ops"].may("load")
    assert users["clerk"].may("load") and not users["clerk"].may("admin")
    assert not users["viewer"].may("load") and not users["viewer"].may("admin")
    for line, message in (("x h roles=root", "unknown role root"), ("x h roles=", "unknown role"),
                          ("x h roles=load branch=Mombasa", "cannot hold a role"),
                          ("x h branch=Mombasa roles=admin", "cannot hold a role")):
        file.write_text(line + "\n", encoding="utf-8")
        with pytest.raises(ValueError, match=message):
            load_users(Settings(auth="basic", users_file=str(file)))


def test_may_follows_the_signed_in_user(demo_store: Path, tmp_path: Path):
    from flask import g

    from app.access_login import current_user, may

    file = tmp_path / "users"
    file.write_text(f"ops {generate_password_hash('p')} roles=admin\nviewer {generate_password_hash('p')}\n",
                    encoding="utf-8")
    server = create_app(Settings(data_dir=demo_store, cache_backend="simple", auth="basic",
                                 users_file=str(file), secret_key=KEY)).server
    seen: dict[str, tuple[bool, bool, str | None]] = {}

    @server.route("/_test-roles")
    def _roles() -> str:
        user = current_user()
        seen[g.mauzo_user] = (may("load"), may("admin"), user.name if user else None)
        return "ok"

    client = server.test_client()
    client.get("/_test-roles", headers=_basic("ops", "p"))
    client.get("/_test-roles", headers=_basic("viewer", "p"))
    assert seen == {"ops": (True, True, "ops"), "viewer": (False, False, "viewer")}
    open_server = create_app(Settings(data_dir=demo_store, cache_backend="simple")).server
    with open_server.test_request_context("/"):
        assert may("load") and may("admin") and current_user() is None
        with pytest.raises(ValueError, match="unknown role"):
            may("root")
