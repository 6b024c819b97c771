"""Browser: headless Debian Chromium (Playwright) against gunicorn: time from navigation until
every chart of a page is drawn, on the first view after an ingest (cold) and again (warm); the
JavaScript it loads and the time spent inside Plotly."""

from __future__ import annotations

import statistics
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
  window.__mz = {plotMs: 0, lastDrawn: 0, calls: 0};
  let real;
  const wrap = (P) => { for (const name of ['newPlot', 'react']) { const fn = P[name];
    if (!fn || fn.__mz) continue;
    P[name] = function (...args) { const t0 = performance.now();
      return Promise.resolve(fn.apply(this, args)).then((r) => { const t1 = performance.now();
        window.__mz.plotMs += t1 - t0; window.__mz.lastDrawn = Math.max(window.__mz.lastDrawn, t1);
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


def _visit(context: Any, url: str) -> dict[str, float]:
    page = context.new_page()
    try:
        page.add_init_script(INSTRUMENT)
        page.goto(url, wait_until="load", timeout=120_000)
        page.wait_for_load_state("networkidle", timeout=120_000)
        page.wait_for_function(SETTLED, timeout=120_000, polling=50)
        page.wait_for_load_state("networkidle", timeout=120_000)
        return page.evaluate("""() => {
          const js = performance.getEntriesByType('resource').filter((e) => e.name.includes('.js'));
          const plotly = js.filter((e) => /plotly/i.test(e.name));
          const graphs = document.querySelectorAll('.js-plotly-plot').length;
          return {drawn_ms: window.__mz.lastDrawn, plot_ms: window.__mz.plotMs, plot_calls: window.__mz.calls,
                  graphs, js_kb: js.reduce((s, e) => s + (e.encodedBodySize || e.transferSize || 0), 0) / 1024,
                  plotly_kb: plotly.reduce((s, e) => s + (e.encodedBodySize || e.transferSize || 0), 0) / 1024};
        }""")
    finally:
        page.close()


def measure_browser(store: Path, redis_url: str, rounds: int, ingest: Callable[[], None], log_dir: Path
                    ) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM

    rows = []
    with (running_app(store, env={"MAUZO_CACHE": "redis", "REDIS_URL": redis_url}, workers=2,
                      log_path=log_dir / "browser.log") as url, sync_playwright() as p):
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync"])
        try:
            samples: dict[tuple[str, str], list[dict[str, float]]] = {}
            for _ in range(rounds):
                for name, path in PATHS.items():
                    ingest()  # a new data version: the next view is the first after an ingest
                    # Cold: a new visitor (empty browser cache) on cold server caches; warm: the same
                    # visitor opening the page again.
                    context = browser.new_context(viewport={"width": 1280, "height": 900})
                    try:
                        samples.setdefault((name, "cold"), []).append(_visit(context, url + path + QUERY))
                        samples.setdefault((name, "warm"), []).append(_visit(context, url + path + QUERY))
                    finally:
                        context.close()
        finally:
            browser.close()
    for name in PATHS:
        row: dict[str, Any] = {"page": name}
        for mode in ("cold", "warm"):
            got = samples[(name, mode)]
            row[f"{mode}_ms"] = statistics.median(g["drawn_ms"] for g in got)
            row[f"{mode}_plot_ms"] = statistics.median(g["plot_ms"] for g in got)
        row["graphs"] = samples[(name, "warm")][-1]["graphs"]
        row["js_kb"] = samples[(name, "warm")][-1]["js_kb"]
        row["plotly_kb"] = samples[(name, "warm")][-1]["plotly_kb"]
        rows.append(row)
    return {"rows": rows, "query": QUERY}
