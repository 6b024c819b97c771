"""A returning visitor's browser fetches no scripts (they are cached for a year), so a fresh worker's
first requests can be a burst of callbacks. Dash marks its first-request setup done before it has
copied the callbacks in, so all but one of them used to answer 500 "Callback function not found";
the app now runs that setup first, under its lock."""

from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from tests.live import running_app, status_of

# The shell's callback that shows or hides the filter bar and navigation for a path.
PAYLOAD = json.dumps({
    "output": "..filter-area.style...nav-area.style..",
    "outputs": [{"id": "filter-area", "property": "style"}, {"id": "nav-area", "property": "style"}],
    "inputs": [{"id": "url", "property": "pathname", "value": "/"}, {"id": "url", "property": "search", "value": ""}],
    "changedPropIds": ["url.pathname"], "state": [],
}).encode()


def _post(url: str) -> int:
    request = urllib.request.Request(url + "/_dash-update-component", data=PAYLOAD,
                                     headers={"Content-Type": "application/json"})
    return status_of(request)


def test_parallel_callbacks_as_a_fresh_workers_first_requests(demo_store):
    for attempt in range(2):
        with running_app(demo_store, workers=1, probe_http=False) as url:
            with ThreadPoolExecutor(max_workers=8) as pool:
                statuses = list(pool.map(_post, [url] * 8))
        assert statuses == [200] * 8, f"attempt {attempt}: {statuses}"
