"""Scopes from configuration text, and a request's scope ending with the request."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import create_app
from app.access import enter_scope, format_scope, parse_scope
from app.api.auth import load_grants, load_tokens
from app.config import Settings
from data.errors import InvalidFilter
from data.scope import UNRESTRICTED, Scope, current_scope


def test_scope_text_names_dimensions_or_their_url_arguments():
    assert parse_scope("branch=Mombasa|Nakuru") == Scope.of(branch=["Mombasa", "Nakuru"])
    both = parse_scope("branch=Mombasa; productLine=Paint|Tools")
    assert both == Scope.of(branch=["Mombasa"], product_line=["Paint", "Tools"])
    assert parse_scope(format_scope(both)) == both
    assert parse_scope("") == UNRESTRICTED


@pytest.mark.parametrize("text", ["branch", "town=Mombasa", "branch=Mombasa;shop=X"])
def test_a_malformed_scope_is_an_error_not_a_wider_scope(text):
    with pytest.raises(InvalidFilter):
        parse_scope(text)


def test_an_empty_rule_allows_nothing():
    assert parse_scope("branch=").allowed("branch") == ()


def test_token_entries_with_and_without_scopes(tmp_path: Path):
    file = tmp_path / "tokens"
    file.write_text("# comment\nfile-token:branch=Kisumu\n\n", encoding="utf-8")
    grants = load_grants(Settings(api_tokens="plain-token, scoped:token:branch=Mombasa|Nakuru",
                                  api_tokens_file=str(file)))
    scopes = {g.token: g.scope for g in grants}
    assert scopes == {"plain-token": UNRESTRICTED, "scoped:token": Scope.of(branch=["Mombasa", "Nakuru"]),
                      "file-token": Scope.of(branch=["Kisumu"])}
    assert load_tokens(Settings(api_tokens="a:branch=X,b")) == ("a", "b")
    assert "scoped:token" not in repr(grants)  # a grant never prints its secret


def test_a_token_listed_with_two_scopes_stops_the_start():
    with pytest.raises(ValueError, match="twice"):
        load_grants(Settings(api_tokens="t:branch=A,t:branch=B"))


def test_a_request_scope_ends_with_the_request(demo_store: Path):
    server = create_app(Settings(data_dir=demo_store, cache_backend="none")).server
    seen: list[Scope] = []

    @server.get("/_test/scope")
    def _scope() -> dict:
        enter_scope(Scope.of(branch=["Mombasa"]))
        seen.append(current_scope())
        return {"ok": True}

    client = server.test_client()
    assert client.get("/_test/scope").status_code == 200
    assert seen == [Scope.of(branch=["Mombasa"])]
    assert current_scope() == UNRESTRICTED
