"""Browser: headless Debian Chromium (Playwright) against gunicorn: time from navigation until
every chart of a page is drawn, on the first view after an ingest (cold), again in the same private
window (warm), and by a returning visitor (a regular browser profile that has opened the app before);
the JavaScript it loads and the time spent inside Plotly.

A private window keeps the HTTP cache but never V8's code cache, so every visit compiles the 2.4 MB
of JavaScript again (plotly.js alone: about 1.4 s on a 2-core machine). A regular profile caches
compiled code from a script's second load on, which is what an analyst who uses the app every day
gets; both are reported, neither hides the other."""

from __future__ import annotations

import json
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.live import running_app

PATHS = {"Overview": "/", "Salespeople": "/salespeople", "Products": "/products", "Branches": "/branches",
         "Customers": "/customers"}
QUERY = "?startDate=2024-07-01&endDate=2025-06-30&branch=Mombasa&branch=Kisumu"
# Wraps Plotly's drawing calls to time them and to know when the last chart was drawn.
INSTRUMENT = """
(() => {
  window.__mz = {spans: [], lastDrawn: 0, calls: 0};
  let real;
  const wrap = (P) => { for (const name of ['newPlot', 'react']) { const fn = P[name];
    if (!fn || fn.__mz) continue;
    P[name] = function (...args) { const t0 = performance.now();
      return Promise.resolve(fn.apply(this, args)).then((r) => { const t1 = performance.now();
        window.__mz.spans.push([t0, t1]); window.__mz.lastDrawn = Math.max(window.__mz.lastDrawn, t1);
        window.__mz.calls += 1; return r; }); };
    P[name].__mz = true; } };
  Object.defineProperty(window, 'Plotly', {configurable: true, get() { return real; },
    set(v) { real = v; try { wrap(v); } catch (e) {} }});
})();
"""
SETTLED = """
() => {
  const sections = [...document.querySelectorAll('[id$="-section"], .mauzo-section, main [id]')];
  if (document.querySelector('[data-dash-is-loading="true"]')) return false;
  const graphs = [...document.querySelectorAll('.js-plotly-plot')];
  return graphs.length > 0 && graphs.every((g) => g._fullLayout && g.querySelector('.main-svg'));
}
"""


# What one visit cost: Plotly's busy time (the union of its calls, which overlap), bytes of JS (as
# sent, i.e. compressed when the server compresses) and on the wire, static files that went to the
# network (0 on a warm visit when the browser cache serves them), and the callback requests: how
# many, and in how many waves (groups of overlapping requests: a chain of callbacks is one wave per
# link), from the first to the last answer.
FIGURES = """
() => {
  const size = (e) => e.encodedBodySize || e.transferSize || 0;
  const res = performance.getEntriesByType('resource');
  const nav = performance.getEntriesByType('navigation')[0];
  const js = res.filter((e) => /\\.js(\\?|$)/.test(e.name));
  const plotly = js.filter((e) => /plotly/i.test(e.name));
  const calls = res.filter((e) => e.name.includes('_dash-update-component'))
    .map((e) => [e.startTime, e.responseEnd]).sort((a, b) => a[0] - b[0]);
  const isStatic = (e) => /\\/(_dash-component-suites|assets)\\//.test(e.name);
  const union = (spans) => { let total = 0, end = -1, waves = 0;
    for (const [s, e] of [...spans].sort((a, b) => a[0] - b[0])) {
      if (s > end) { waves += 1; total += e - s; end = e; } else if (e > end) { total += e - end; end = e; } }
    return [total, waves]; };
  return {drawn_ms: window.__mz.lastDrawn, plot_ms: union(window.__mz.spans)[0], plot_calls: window.__mz.calls,
          graphs: document.querySelectorAll('.js-plotly-plot').length,
          js_kb: js.reduce((s, e) => s + size(e), 0) / 1024,
          plotly_kb: plotly.reduce((s, e) => s + size(e), 0) / 1024,
          wire_kb: (res.reduce((s, e) => s + (e.transferSize || 0), 0) + (nav ? nav.transferSize : 0)) / 1024,
          fetched: res.filter((e) => isStatic(e) && e.transferSize > 0).length,
          callbacks: calls.length, callback_waves: union(calls)[1],
          first_callback_ms: calls.length ? calls[0][0] : null,
          callbacks_done_ms: calls.length ? Math.max(...calls.map((c) => c[1])) : null,
          waterfall: res.map((e) => [e.name.replace(location.origin, '').slice(0, 80), Math.round(e.startTime),
                                     Math.round(e.responseEnd), e.transferSize, e.encodedBodySize])};
}
"""

# Each visit's figure -> its column (after "cold_" / "warm_") in the results.
COLUMNS = {"drawn_ms": "ms", "plot_ms": "plot_ms", "wire_kb": "wire_kb", "fetched": "fetched",
           "callbacks": "callbacks", "callback_waves": "callback_waves", "first_callback_ms": "first_callback_ms",
           "callbacks_done_ms": "callbacks_done_ms"}


def _visit(context: Any, url: str) -> dict[str, float]:
    page = context.new_page()
    try:
        page.add_init_script(INSTRUMENT)
        page.goto(url, wait_until="load", timeout=120_000)
        page.wait_for_load_state("networkidle", timeout=120_000)
        page.wait_for_function(SETTLED, timeout=120_000, polling=50)
        page.wait_for_load_state("networkidle", timeout=120_000)
        return page.evaluate(FIGURES)
    finally:
        page.close()


MODES = ("cold", "warm", "returning")
VIEWPORT = {"width": 1280, "height": 900}
ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


def measure_browser(store: Path, redis_url: str, rounds: int, ingest: Callable[[], None], log_dir: Path
                    ) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM

    rows = []
    with (running_app(store, env={"MAUZO_CACHE": "redis", "REDIS_URL": redis_url}, workers=2,
                      log_path=log_dir / "browser.log") as url, sync_playwright() as p,
          tempfile.TemporaryDirectory(prefix="mauzo-profile-") as profile):
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        returning = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=ARGS,
                                                         viewport=VIEWPORT)
        try:
            # The returning visitor has used the app before: every page twice (V8 keeps compiled
            # code from a script's second load on).
            for _ in range(2):
                for path in PATHS.values():
                    _visit(returning, url + path + QUERY)
            samples: dict[tuple[str, str], list[dict[str, float]]] = {}
            for _ in range(rounds):
                for name, path in PATHS.items():
                    ingest()  # a new data version: the next view is the first after an ingest
                    # Cold: a new visitor (empty browser cache) on cold server caches; warm: the same
                    # visitor opening the page again; returning: the regular profile, opening it now.
                    context = browser.new_context(viewport=VIEWPORT)
                    try:
                        samples.setdefault((name, "cold"), []).append(_visit(context, url + path + QUERY))
                        samples.setdefault((name, "warm"), []).append(_visit(context, url + path + QUERY))
                    finally:
                        context.close()
                    samples.setdefault((name, "returning"), []).append(_visit(returning, url + path + QUERY))
        finally:
            returning.close()
            browser.close()
    (log_dir / "browser-waterfall.json").write_text(json.dumps(
        {f"{name} {mode}": got[-1]["waterfall"] for (name, mode), got in samples.items()}, indent=0), encoding="utf-8")
    for name in PATHS:
        row: dict[str, Any] = {"page": name}
        for mode in MODES:
            got = samples[(name, mode)]
            for key, column in COLUMNS.items():
                values = [g[key] for g in got if g[key] is not None]
                row[f"{mode}_{column}"] = statistics.median(values) if values else None
        last = samples[(name, "warm")][-1]
        row.update(graphs=last["graphs"], js_kb=last["js_kb"], plotly_kb=last["plotly_kb"])
        rows.append(row)
    return {"rows": rows, "query": QUERY}
