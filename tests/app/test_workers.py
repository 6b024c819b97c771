"""A fresh worker serves Dash's own scripts even when its first request is not the index page."""

from __future__ import annotations

import re
import urllib.request

from tests.live import running_app


def test_script_as_a_workers_first_request(demo_store):
    with running_app(demo_store, workers=1) as url:
        html = urllib.request.urlopen(url + "/", timeout=10).read().decode()
    scripts = re.findall(r'src="(/_dash-component-suites/[^"]+)"', html)
    assert scripts, "the index page lists Dash's scripts"
    with running_app(demo_store, workers=1) as url:
        for path in scripts:
            with urllib.request.urlopen(url + path, timeout=10) as response:
                assert response.status == 200, path
