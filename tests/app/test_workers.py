"""A fresh worker serves Dash's own scripts to a browser's burst of parallel first requests.

Dash marks its one-time setup done *before* doing it (it renders our layout, which queries the
store, then registers which script paths may be served), so concurrent first requests used to get
500 "not a registered library". The app now finishes that registration under a lock first."""

from __future__ import annotations

import re
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from tests.live import running_app, status_of


def test_parallel_script_requests_as_a_fresh_workers_first_requests(demo_store):
    with running_app(demo_store, workers=1) as url:
        html = urllib.request.urlopen(url + "/", timeout=10).read().decode()
    scripts = re.findall(r'src="(/_dash-component-suites/[^"]+)"', html)
    assert len(scripts) >= 8, "the index page lists Dash's scripts"
    for attempt in range(3):
        with running_app(demo_store, workers=1, probe_http=False) as url:
            with ThreadPoolExecutor(max_workers=len(scripts)) as pool:
                statuses = list(pool.map(status_of, [url + path for path in scripts]))
        assert statuses == [200] * len(scripts), f"attempt {attempt}: {statuses}"
