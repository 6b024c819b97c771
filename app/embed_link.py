"""Signed embed links: one chart or one whole page, its filters and its branch scope, locked by
``MAUZO_SECRET_KEY``.

Why itsdangerous: it is Flask's own signing library (HMAC-SHA1 over a compact URL-safe payload,
constant-time verification) and supports key rotation by a list of keys: links are signed with the
current key and still verified with ``MAUZO_SECRET_KEY_PREVIOUS`` while that is set (the grace
period; a link cannot outlive its own expiry anyway).

The signed payload holds the target (a chart id, or a page path such as ``/salespeople``), the
filters (as URL arguments), the scope rules and the expiry (seconds since the epoch). The URL also
shows the filters in the clear, for people reading it; the server checks they equal the signed
ones, so an edited URL is an altered link. This module is the only signing path: ``mauzo
embed-link`` and the Embed dialog (admins) both call ``signed_url``. Nothing is signed with the
public development key.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeSerializer

from app.access import format_scope, parse_scope
from app.config import DEV_SECRET_KEY, Settings
from data.dimensions import DIMENSIONS
from data.errors import InvalidFilter
from data.filters import Filters
from data.scope import UNRESTRICTED, Scope

SALT = "mauzo-embed-link"
TOKEN_ARG = "t"
EMBED_ARG = "embed"  # ``?embed=1``: a page without navigation or filter bar
_DURATION = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class BadLink(Exception):
    """A signed link that must not be served: the message says why, for the 403 page."""


class DevSecretKey(ValueError):
    """``MAUZO_SECRET_KEY`` is the development default: anyone can read it in the source."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} needs MAUZO_SECRET_KEY set to a secret of your own: the default "
                         f"({DEV_SECRET_KEY!r}) is public, so anyone could forge signed links with it. "
                         "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'")


def require_real_key(settings: Settings, what: str = "Signing an embed link") -> None:
    """Refuse to sign, or to start a deployment that relies on signatures, with the public key."""
    if settings.has_dev_secret:
        raise DevSecretKey(what)


def is_page(target: str) -> bool:
    """Page targets are paths (``/``, ``/salespeople``); chart ids never start with a slash."""
    return target.startswith("/")


@dataclass(frozen=True)
class EmbedGrant:
    """What a verified link allows: one chart or one page (``target``), with these filters, under
    this scope, until then."""

    target: str
    filters: Filters
    scope: Scope
    expires: int

    @property
    def chart(self) -> str:
        """The chart id of a single-chart link ("" for a page link)."""
        return "" if is_page(self.target) else self.target

    @property
    def page(self) -> str:
        """The page path of a whole-page link ("" for a single-chart link)."""
        return self.target if is_page(self.target) else ""

    @property
    def effective_scope(self) -> Scope:
        """The link's scope narrowed by its locked selections too, so no request made with the link
        (however crafted) reaches a branch or product line the link does not show."""
        return self.scope & Scope.of(**{name: values for name, values in self.filters.selections})


def parse_duration(text: str) -> dt.timedelta:
    """``90s``, ``30m``, ``1h``, ``7d``, ``2w``."""
    match = _DURATION.match(text.strip().lower())
    if not match or int(match[1]) <= 0:
        raise ValueError(f"bad duration {text!r}: use a number and s, m, h, d or w (e.g. 1h)")
    return dt.timedelta(seconds=int(match[1]) * _UNITS[match[2]])


def _serializer(settings: Settings) -> URLSafeSerializer:
    # itsdangerous signs with the last key and verifies with any of them.
    keys = [k for k in (settings.secret_key_previous, settings.secret_key) if k]
    return URLSafeSerializer(keys, salt=SALT)


def sign(settings: Settings, target: str, filters: Filters, scope: Scope = UNRESTRICTED,
         expires_in: dt.timedelta = dt.timedelta(hours=1), now: float | None = None) -> str:
    """The signed token for ``target`` (a chart id or a page path) with these filters and scope."""
    require_real_key(settings)
    expires = int((now if now is not None else time.time()) + expires_in.total_seconds())
    payload = {"c": target, "f": filters.to_args(), "s": format_scope(scope), "x": expires}
    return _serializer(settings).dumps(payload)


def link_scope(filters: Filters, scope_branches: list[str] | None) -> Scope:
    """A link's branch scope: the branches asked for, else the filter's branches (a link that shows
    some branches reads no other, whatever a request made with it asks), else every branch."""
    branches = list(scope_branches or []) or list(filters.values("branch"))
    return Scope.of(branch=branches) if branches else UNRESTRICTED


def signed_url(settings: Settings, base_url: str, target: str, filters: Filters, scope: Scope,
               expires_in: dt.timedelta) -> str:
    """The full signed URL of ``target``: what ``mauzo embed-link`` prints and the dialog shows."""
    return base_url.rstrip("/") + link_path(target, filters, sign(settings, target, filters, scope, expires_in))


def iframe_snippet(url: str, title: str) -> str:
    """The ``<iframe>`` to paste into an intranet page (attribute values escaped)."""
    from html import escape

    return (f'<iframe src="{escape(url)}" width="100%" height="420" style="border:0" '
            f'title="{escape("Mauzo: " + title)}"></iframe>')


def verify(settings: Settings, token: str, now: float | None = None) -> EmbedGrant:
    """The grant a token carries, or ``BadLink`` (bad signature, malformed or expired)."""
    try:
        payload = _serializer(settings).loads(token)
        grant = EmbedGrant(
            target=str(payload["c"]),
            filters=Filters.from_args(_multi(payload["f"])),
            scope=parse_scope(str(payload["s"])),
            expires=int(payload["x"]),
        )
    except BadSignature:
        raise BadLink("this link's signature is not valid (it was altered, or signed with another key)") from None
    except (KeyError, TypeError, ValueError, InvalidFilter):
        raise BadLink("this link is malformed") from None
    if grant.expires <= (now if now is not None else time.time()):
        raise BadLink("this link has expired; ask for a new one")
    return grant


def _multi(pairs: list[list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(str(name), []).append(str(value))
    return out


def check_request(grant: EmbedGrant, target: str, args: dict[str, list[str]]) -> None:
    """A link's URL must show exactly the signed chart or page and filters (nothing edited or added)."""
    if grant.target != target:
        raise BadLink("this link was signed for another chart or page")
    shown = {k: v for k, v in args.items() if k not in (TOKEN_ARG, EMBED_ARG)}
    try:
        same = Filters.from_args(shown) == grant.filters and set(shown) <= _filter_args()
    except InvalidFilter:
        same = False
    if not same:
        raise BadLink("this link's filters were changed; the signed filters cannot be edited")


def _filter_args() -> set[str]:
    return {"startDate", "endDate", "compare", *(d.arg for d in DIMENSIONS.values() if d.filter)}


def link_path(target: str, filters: Filters, token: str) -> str:
    """``/embed/<chart>?<filters>&t=<token>``, or ``/<page>?embed=1&<filters>&t=<token>``."""
    if is_page(target):
        return f"{target}?" + urlencode([(EMBED_ARG, "1"), *filters.to_args(), (TOKEN_ARG, token)])
    return f"/embed/{target}?" + urlencode([*filters.to_args(), (TOKEN_ARG, token)])
