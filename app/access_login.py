"""Optional login for the whole app: ``MAUZO_AUTH=basic`` (HTTP Basic against a users file of
hashed passwords) or ``MAUZO_AUTH=proxy`` (a reverse proxy that authenticated the user names them
in ``MAUZO_AUTH_PROXY_HEADER``). Off by default, for the laptop.

Why HTTP Basic: it needs no session cookie (so nothing to protect against CSRF, nothing that a
browser drops inside an iframe) and every request, Dash callbacks included, carries it. Passwords
are hashed with werkzeug.security (scrypt by default) and checked in constant time; an unknown user
costs the same hash check as a known one.

Users file (``MAUZO_USERS_FILE``), one user per line, ``#`` comments::

    # name      password hash (python -m app.access_login)   optional roles and scope
    amina       scrypt:32768:8:1$Xb...$9f...                 branch=Mombasa
    ops         scrypt:32768:8:1$Qa...$1c...                 roles=admin
    clerk       scrypt:32768:8:1$Rc...$7a...                 roles=load

Roles say what a user may do beyond reading: ``load`` loads data (the Data page), ``admin`` also
makes signed embed links in the UI. With login off everyone may do everything (a laptop). A
scoped user cannot hold a role: loading replaces or adds data for every branch, and a signed link
made by a scoped user would outlive their scope.

A signed embed link still works without a login (the signature is the credential); an anonymous
request is otherwise refused with 401, except health checks, the OpenAPI document and the app's
scripts and styles.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, current_app, g, request
from werkzeug.security import check_password_hash, generate_password_hash

from app.access import enter_scope, parse_scope
from app.config import Settings
from data.scope import UNRESTRICTED, Scope

EXTENSION_KEY = "mauzo_users"
MODES = ("", "basic", "proxy")
ROLES = ("admin", "load")
# What each role also grants (admin can do whatever load can).
_IMPLIED = {"admin": {"admin", "load"}, "load": {"load"}}
# Reachable without a login: health, the API description, and what carries no figures at all.
OPEN_PREFIXES = ("/api/health", "/api/openapi.json", "/assets/", "/_dash-component-suites/", "/_favicon")
# Reachable without a login but under a scope that allows nothing (an embed page's structure),
# or checked by the embed hook (signed links).
EMBED_PATHS = ("/_dash-layout", "/_dash-dependencies", "/embed")
_DUMMY_HASH = generate_password_hash("not-a-password")


@dataclass(frozen=True)
class User:
    name: str
    password_hash: str
    scope: Scope = UNRESTRICTED
    roles: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        return f"User({self.name!r}, scope={self.scope.describe()!r}, roles={sorted(self.roles)!r})"

    def may(self, role: str) -> bool:
        return any(role in _IMPLIED[held] for held in self.roles)


def _parse_roles(text: str, where: str) -> frozenset[str]:
    roles = frozenset(r.strip() for r in text.split(",") if r.strip())
    unknown = sorted(roles - set(ROLES))
    if unknown or not roles:
        raise ValueError(f"{where}: unknown role {', '.join(unknown) or '(none)'}; roles are {', '.join(ROLES)}")
    return roles


def _parse_user(fields: list[str], where: str) -> User:
    """``name hash [roles=a,b] [scope]`` (the optional fields in either order)."""
    if len(fields) not in (2, 3, 4):
        raise ValueError(f"{where}: expected 'name hash [roles=...] [scope]'")
    roles: frozenset[str] = frozenset()
    scope = UNRESTRICTED
    for extra in fields[2:]:
        if extra.startswith("roles="):
            roles = _parse_roles(extra.removeprefix("roles="), where)
        else:
            scope = parse_scope(extra)
    if roles and scope != UNRESTRICTED:
        raise ValueError(f"{where}: a user with a scope cannot hold a role (loading data and signed links "
                         "reach every branch)")
    return User(fields[0], fields[1], scope, roles)

def load_users(settings: Settings) -> dict[str, User]:
    """The users file; configured but unreadable or malformed stops the start (never fail open)."""
    if settings.auth not in MODES:
        raise ValueError(f"MAUZO_AUTH must be basic or proxy (or empty), got {settings.auth!r}")
    if not settings.users_file:
        if settings.auth == "basic":
            raise ValueError("MAUZO_AUTH=basic needs MAUZO_USERS_FILE")
        return {}
    users: dict[str, User] = {}
    for number, line in enumerate(Path(settings.users_file).read_text(encoding="utf-8").splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        users[fields[0]] = _parse_user(fields, f"{settings.users_file}:{number}")
    return users


def _basic_user(users: dict[str, User]) -> User | None | bool:
    """The user of valid Basic credentials; False for present but wrong ones; None for none."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        name, sep, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user = users.get(name)
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    return user if (sep and user and ok) else False


def _proxy_user(settings: Settings, users: dict[str, User]) -> User | None:
    name = request.headers.get(settings.auth_proxy_header, "").strip()
    if not name:
        return None
    return users.get(name) or User(name, "", UNRESTRICTED)


def _challenge(settings: Settings, message: str) -> Response:
    headers = {"WWW-Authenticate": 'Basic realm="Mauzo", charset="UTF-8"'} if settings.auth == "basic" else {}
    return Response(message + "\n", status=401, mimetype="text/plain", headers=headers)


def require_login() -> Response | None:
    """App ``before_request`` hook: identify the user and put the request under their scope."""
    settings: Settings = current_app.config["MAUZO_SETTINGS"]
    if not settings.auth or request.path.startswith(OPEN_PREFIXES):
        return None
    users: dict[str, User] = current_app.extensions[EXTENSION_KEY]
    if settings.auth == "basic":
        found = _basic_user(users)
        if found is False:
            return _challenge(settings, "wrong user name or password")
        user = found or None
    else:
        user = _proxy_user(settings, users)
    if user is not None:
        g.mauzo_user = user.name
        g.mauzo_account = user
        enter_scope(user.scope)
        return None
    if request.path.startswith(EMBED_PATHS) or _carries_embed_token():
        return None  # the embed hook verifies the link (anonymous requests are embed-only)
    if request.path.startswith("/api") and _has_bearer():
        return None  # an API token is a credential of its own (app.api.auth checks it)
    return _challenge(settings, "sign in to use Mauzo")


def _carries_embed_token() -> bool:
    """A signed link's page (a dashboard page with ``?t=``) or callback (the token in its body)."""
    from app.embed import BODY_KEY, CALLBACK_PATH, TOKEN_ARG, page_path

    if request.method == "GET" and TOKEN_ARG in request.args:
        return page_path(request.path) is not None
    if request.path != CALLBACK_PATH or not request.is_json:
        return False
    body = request.get_json(silent=True)
    return isinstance(body, dict) and bool(body.get(BODY_KEY))


def _has_bearer() -> bool:
    """A bearer token is an alternative to a login only where API tokens are configured."""
    from app.api.auth import EXTENSION_KEY as TOKENS

    configured = bool(current_app.extensions.get(TOKENS))
    return configured and request.headers.get("Authorization", "").lower().startswith("bearer ")


def current_user() -> User | None:
    """The signed-in user of this request (None with login off, or for an anonymous embed)."""
    return g.get("mauzo_account")


def may(role: str) -> bool:
    """Whether this request may do what ``role`` allows (``load``, ``admin``). With login off the
    app is a single-user tool and everyone may; with login on only users holding the role may
    (never an API token or a signed link)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    settings: Settings = current_app.config["MAUZO_SETTINGS"]
    if not settings.auth:
        return True
    user = current_user()
    return user is not None and user.may(role)


def hash_password(password: str) -> str:
    """A users-file hash for ``password`` (werkzeug's default method, scrypt)."""
    return generate_password_hash(password)


def init_login(server: Flask) -> None:
    server.extensions[EXTENSION_KEY] = load_users(server.config["MAUZO_SETTINGS"])
    server.before_request(require_login)


if __name__ == "__main__":  # pragma: no cover - prints a users-file hash for a typed password
    import getpass

    print(hash_password(getpass.getpass("password: ")))
