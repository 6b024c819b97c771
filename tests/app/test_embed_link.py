"""Signed embed links: what they lock, and every way a link is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from itsdangerous import URLSafeSerializer

from app.config import DEV_SECRET_KEY, Settings
from app.embed_link import (
    SALT,
    BadLink,
    DevSecretKey,
    check_request,
    iframe_snippet,
    link_path,
    link_scope,
    parse_duration,
    sign,
    signed_url,
    verify,
)
from data.filters import Filters
from data.scope import Scope

KEY = Settings(secret_key="current-key-0123456789")
NOW = 1_900_000_000.0
FILTERS = Filters.create(start="2025-01-01", end="2025-03-31", branch=["Mombasa"])


def _token(settings: Settings = KEY, **kwargs: object) -> str:
    return sign(settings, "overview-trend", FILTERS, Scope.of(branch=["Mombasa"]), dt.timedelta(hours=1),
                now=kwargs.get("now", NOW))  # type: ignore[arg-type]


def test_a_link_carries_its_chart_filters_and_scope():
    grant = verify(KEY, _token(), now=NOW + 60)
    assert (grant.chart, grant.filters) == ("overview-trend", FILTERS)
    assert grant.scope == Scope.of(branch=["Mombasa"])
    assert grant.expires == NOW + 3600


def test_locked_selections_narrow_the_scope_too():
    filters = Filters.create(product_line=["Paint"])
    grant = verify(KEY, sign(KEY, "pr-lines", filters, Scope.of(branch=["Mombasa"]), now=NOW), now=NOW)
    assert grant.effective_scope == Scope.of(branch=["Mombasa"], product_line=["Paint"])


def test_an_expired_link_is_refused():
    with pytest.raises(BadLink, match="expired"):
        verify(KEY, _token(), now=NOW + 3601)


def test_an_altered_payload_is_refused():
    payload = URLSafeSerializer("attacker-guess", salt=SALT).dumps(
        {"c": "overview-trend", "f": [], "s": "", "x": NOW + 10**6})
    with pytest.raises(BadLink, match="signature"):
        verify(KEY, payload, now=NOW)
    token = _token()
    body, _, signature = token.rpartition(".")
    flipped = body[:-1] + ("A" if body[-1] != "A" else "B")
    with pytest.raises(BadLink):
        verify(KEY, f"{flipped}.{signature}", now=NOW)


def test_key_rotation_keeps_old_links_for_the_grace_period():
    old = _token(Settings(secret_key="old-key-abcdefghijkl"))
    rotated = Settings(secret_key="new-key-mnopqrstuvwx", secret_key_previous="old-key-abcdefghijkl")
    assert verify(rotated, old, now=NOW).chart == "overview-trend"
    assert verify(rotated, _token(rotated), now=NOW).chart == "overview-trend"
    with pytest.raises(BadLink, match="signature"):  # the grace period ends when the old key is removed
        verify(Settings(secret_key="new-key-mnopqrstuvwx"), old, now=NOW)
    # New links are signed with the new key only.
    with pytest.raises(BadLink):
        verify(Settings(secret_key="old-key-abcdefghijkl"), _token(rotated), now=NOW)


def test_the_url_must_show_exactly_the_signed_filters():
    grant = verify(KEY, _token(), now=NOW)
    same = {"startDate": ["2025-01-01"], "endDate": ["2025-03-31"], "branch": ["Mombasa"], "t": ["x"]}
    check_request(grant, "overview-trend", same)
    for widened in ({**same, "branch": ["Mombasa", "Nakuru"]}, {**same, "startDate": ["2020-01-01"]},
                    {k: v for k, v in same.items() if k != "branch"}, {**same, "productLine": ["Paint"]},
                    {**same, "salesperson": ["Ann"]}):
        with pytest.raises(BadLink, match="filters"):
            check_request(grant, "overview-trend", widened)
    with pytest.raises(BadLink, match="another chart"):
        check_request(grant, "overview-kpis", same)


def test_link_path_and_durations():
    path = link_path("overview-trend", FILTERS, "tok")
    assert path == "/embed/overview-trend?startDate=2025-01-01&endDate=2025-03-31&branch=Mombasa&t=tok"
    assert parse_duration("90s") == dt.timedelta(seconds=90)
    assert parse_duration("1h") == dt.timedelta(hours=1)
    assert parse_duration("7d") == dt.timedelta(days=7)
    for bad in ("", "1", "0h", "1y", "-1h"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_a_page_link_carries_its_path_and_shows_embed_1():
    token = sign(KEY, "/salespeople", FILTERS, Scope.of(branch=["Mombasa"]), now=NOW)
    grant = verify(KEY, token, now=NOW)
    assert (grant.page, grant.chart, grant.target) == ("/salespeople", "", "/salespeople")
    assert link_path("/salespeople", FILTERS, "tok") == (
        "/salespeople?embed=1&startDate=2025-01-01&endDate=2025-03-31&branch=Mombasa&t=tok")
    args = {"embed": ["1"], "startDate": ["2025-01-01"], "endDate": ["2025-03-31"], "branch": ["Mombasa"]}
    check_request(grant, "/salespeople", args)
    for target in ("/branches", "overview-trend"):  # another page, or the page's token on a chart
        with pytest.raises(BadLink, match="another chart or page"):
            check_request(grant, target, args)
    with pytest.raises(BadLink, match="filters"):
        check_request(grant, "/salespeople", {**args, "endDate": ["2025-06-30"]})


def test_nothing_is_signed_with_the_public_development_key():
    for settings in (Settings(secret_key=DEV_SECRET_KEY), Settings(secret_key="")):
        with pytest.raises(DevSecretKey, match="MAUZO_SECRET_KEY"):
            sign(settings, "overview-trend", FILTERS)


def test_the_link_scope_defaults_to_the_filters_branches():
    assert link_scope(FILTERS, None) == Scope.of(branch=["Mombasa"])
    assert link_scope(FILTERS, ["Kisumu"]) == Scope.of(branch=["Kisumu"])
    assert link_scope(Filters(), []) == Scope()
    url = signed_url(KEY, "https://mauzo.example/", "/", FILTERS, Scope(), dt.timedelta(hours=1))
    assert url.startswith("https://mauzo.example/?embed=1&startDate=2025-01-01&")
    assert 'src="https://a.example/?x=1&amp;y=&quot;2&quot;"' in iframe_snippet('https://a.example/?x=1&y="2"', "t")
