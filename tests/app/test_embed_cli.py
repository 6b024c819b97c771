"""``mauzo embed-link`` prints a URL whose token verifies and locks what was asked."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from app.config import Settings
from app.embed_link import check_request, verify
from data.filters import Filters
from data.scope import Scope
from ingest.cli import main


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    monkeypatch.setenv("MAUZO_SECRET_KEY", "cli-test-key-0123456789")
    monkeypatch.setenv("MAUZO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MAUZO_CACHE", "none")
    return Settings(secret_key="cli-test-key-0123456789")


def test_embed_link_locks_filters_and_scope(env, capsys):
    code = main(["embed-link", "--chart", "overview-trend", "--branch", "Mombasa", "--branch", "Nakuru",
                 "--productLine", "Paint", "--startDate", "2025-01-01", "--expires", "2h",
                 "--base-url", "https://mauzo.example/"])
    assert code == 0
    url = urlsplit(capsys.readouterr().out.strip())
    assert (url.scheme, url.netloc, url.path) == ("https", "mauzo.example", "/embed/overview-trend")
    args = parse_qs(url.query)
    grant = verify(env, args["t"][0])
    assert grant.filters == Filters.create(start="2025-01-01", branch=["Mombasa", "Nakuru"], product_line=["Paint"])
    assert grant.scope == Scope.of(branch=["Mombasa", "Nakuru"])
    assert 2 * 3600 - 60 < grant.expires - time.time() <= 2 * 3600
    check_request(grant, "overview-trend", args)


def test_an_explicit_scope_and_bad_input(env, capsys):
    assert main(["embed-link", "--chart", "overview-kpis", "--scope-branch", "Kisumu"]) == 0
    grant = verify(env, parse_qs(urlsplit(capsys.readouterr().out.strip()).query)["t"][0])
    assert grant.scope == Scope.of(branch=["Kisumu"]) and grant.filters == Filters()
    assert main(["embed-link", "--chart", "no-such-chart"]) == 2
    assert "embeddable charts" in capsys.readouterr().err
    assert main(["embed-link", "--chart", "overview-kpis", "--expires", "soon"]) == 2
    assert main(["embed-link", "--chart", "overview-kpis", "--startDate", "2025-13-01"]) == 2


def test_embed_link_signs_a_whole_page(env, capsys):
    assert main(["embed-link", "--page", "/salespeople/", "--branch", "Mombasa", "--startDate", "2025-01-01",
                 "--expires", "1d"]) == 0
    url = urlsplit(capsys.readouterr().out.strip())
    assert (url.netloc, url.path) == ("127.0.0.1:8050", "/salespeople")
    args = parse_qs(url.query)
    assert args["embed"] == ["1"]
    grant = verify(env, args["t"][0])
    assert grant.page == "/salespeople" and grant.scope == Scope.of(branch=["Mombasa"])
    check_request(grant, "/salespeople", args)
    assert main(["embed-link", "--page", "/nope"]) == 2
    assert "pages: /" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # a chart or a page, not both
        main(["embed-link", "--page", "/", "--chart", "overview-kpis"])


def test_embed_link_refuses_the_public_development_key(env, monkeypatch, capsys):
    monkeypatch.delenv("MAUZO_SECRET_KEY")
    assert main(["embed-link", "--chart", "overview-kpis"]) == 2
    err = capsys.readouterr()
    assert "MAUZO_SECRET_KEY" in err.err and "refused" in err.err and not err.out
