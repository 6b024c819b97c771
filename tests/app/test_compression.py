"""Over real HTTP (gunicorn): scripts, stylesheets and JSON answers come compressed in whichever
encoding the client accepts and decode to the very bytes of the files; every script the page links
is fingerprinted and fresh for a year; only static files' compressed forms are kept."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
import flask
import plotly
import pytest
import requests
from backports import zstd
from flask import Flask

from app.compression import StaticOnlyCache, cache_key
from app.static_cache import IMMUTABLE

DECODE = {"gzip": gzip.decompress, "br": brotli.decompress, "zstd": zstd.decompress}
PLOTLY_FILE = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@pytest.fixture(scope="module")
def index(http, live_url: str) -> str:
    return http.get(live_url + "/").text


def _raw(http, url: str, encoding: str) -> requests.Response:  # type: ignore[no-untyped-def]
    """The answer's bytes as sent (``requests`` would decode them)."""
    response = http.get(url, headers={"Accept-Encoding": encoding}, stream=True)
    response.raw_bytes = response.raw.read(decode_content=False)  # type: ignore[attr-defined]
    return response


def test_every_linked_script_and_stylesheet_is_fingerprinted_and_immutable(http, live_url, index):
    links = re.findall(r'(?:src|href)="(/(?:_dash-component-suites|assets)/[^"]+)"', index)
    assert any("/plotly/package_data/plotly.v" in link for link in links)
    for link in links:
        assert re.search(r"\.v[\w-]+m[0-9a-f]+\.|\?m=", link), link
        response = http.head(live_url + link)
        assert response.status_code == 200 and response.headers["Cache-Control"] == IMMUTABLE, link


@pytest.mark.parametrize("encoding", sorted(DECODE))
def test_plotly_decodes_to_the_package_file_in_each_encoding(http, live_url, index, encoding):
    (link,) = re.findall(r'src="(/_dash-component-suites/plotly/[^"]+)"', index)
    response = _raw(http, live_url + link, encoding)
    assert response.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    assert len(response.raw_bytes) < PLOTLY_FILE.stat().st_size / 2  # type: ignore[attr-defined]
    assert DECODE[encoding](response.raw_bytes) == PLOTLY_FILE.read_bytes()  # type: ignore[attr-defined]


def test_a_client_that_accepts_no_encoding_gets_the_file_as_it_is(http, live_url, index):
    (link,) = re.findall(r'src="(/_dash-component-suites/plotly/[^"]+)"', index)
    response = _raw(http, live_url + link, "identity")
    assert "Content-Encoding" not in response.headers
    assert response.raw_bytes == PLOTLY_FILE.read_bytes()  # type: ignore[attr-defined]


def test_json_answers_and_stylesheets_are_compressed(http, live_url, index):
    api = _raw(http, live_url + "/api/openapi.json", "gzip")
    assert api.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(api.raw_bytes) == http.get(live_url + "/api/openapi.json").content  # type: ignore[attr-defined]
    (css,) = [link for link in re.findall(r'href="(/assets/[^"]+)"', index) if "bootstrap" in link]
    assert _raw(http, live_url + css, "br").headers["Content-Encoding"] == "br"


def test_an_asset_without_its_fingerprint_is_not_made_immutable(http, live_url):
    response = http.get(live_url + "/assets/mauzo.css")
    assert response.status_code == 200 and "immutable" not in response.headers.get("Cache-Control", "")


def test_only_static_gets_keep_their_compressed_form():
    """Flask-Compress keys its cache ``"<encoding>;<cache_key(request)>"``: a bundle is kept, a
    callback's or an API answer is not (the same URL answers differently)."""
    server, cache = Flask(__name__), StaticOnlyCache()
    requests_ = {"bundle": ("/_dash-component-suites/plotly/package_data/plotly.v7m1.min.js", "GET"),
                 "callback": ("/_dash-update-component", "POST"), "api": ("/api/openapi.json", "GET")}
    for name, (path, method) in requests_.items():
        with server.test_request_context(path, method=method):
            cache.set(f"zstd;{cache_key(flask.request)}", name.encode())
    kept = [name for name, (path, method) in requests_.items()
            if cache.get(f"zstd;{path}?") == name.encode()]
    assert kept == ["bundle"]
