"""Embedding in headless Chromium: a page on another origin frames a chart and sees it drawn; a
frame-ancestors policy that excludes that origin makes the browser refuse the frame; a signed link
draws inside a frame on a server that requires signatures; ``?embed=1`` fits 320 px."""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import Settings
from app.embed_link import link_path, sign
from data.filters import Filters
from data.scope import Scope
from tests.browser.conftest import screenshot, wait_for_sections
from tests.live import free_port, running_app

pytestmark = pytest.mark.browser
KEY = "browser-embed-key-0123456789"
CHART = "overview-trend"
FILTERS = Filters.create(start="2025-01-01", end="2025-06-30", branch=["Mombasa"])


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A plain static web server on its own port: another origin than the app."""
    root = tmp_path_factory.mktemp("intranet")
    port = free_port()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", root
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def apps(demo_store: Path, host, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """``allowing``: frames allowed from the host page's origin, signed links required;
    ``default``: the default policy (same origin only), nothing required."""
    logs = tmp_path_factory.mktemp("embed-browser")
    allowing_env = {"MAUZO_FRAME_ANCESTORS": f"'self' {host[0]}", "MAUZO_SECRET_KEY": KEY,
                    "MAUZO_REQUIRE_SIGNED_EMBEDS": "1"}
    with (running_app(demo_store, env=allowing_env, workers=1, log_path=logs / "allowing.log") as allowing,
          running_app(demo_store, env={"MAUZO_SECRET_KEY": KEY}, workers=1, log_path=logs / "default.log") as default):
        yield {"allowing": allowing, "default": default}


def _host_page(host, name: str, src: str) -> str:  # type: ignore[no-untyped-def]
    url, root = host
    (root / name).write_text(
        f"""<!doctype html><html><head><title>Intranet</title></head><body><h1>Branch news</h1>
<iframe id="mauzo" src="{src}" width="900" height="520" style="border:0"></iframe></body></html>""",
        encoding="utf-8")
    return f"{url}/{name}"


def test_a_signed_chart_is_drawn_inside_another_origins_page(page, host, apps):
    token = sign(Settings(secret_key=KEY), CHART, FILTERS, Scope.of(branch=["Mombasa"]), dt.timedelta(hours=1))
    src = apps["allowing"] + link_path(CHART, FILTERS, token)
    page.goto(_host_page(host, "signed.html", src))
    frame = page.frame_locator("#mauzo")
    frame.locator(f"#{CHART} .main-svg").first.wait_for(timeout=30_000)
    assert frame.locator(f"#{CHART} .js-plotly-plot .plot path, #{CHART} .js-plotly-plot .bars path").count() > 0
    assert frame.locator("#nav-area").is_hidden() and frame.locator("#filter-area").is_hidden()
    assert not [b for b in frame.locator(".mauzo-embed-btn").all() if b.is_visible()], "no Embed button in an embed"
    screenshot(page, "embed-cross-origin-signed")
    assert not page.console_log.errors()


def test_an_unsigned_link_shows_the_403_page_in_the_frame(page, host, apps):
    page.goto(_host_page(host, "unsigned.html", apps["allowing"] + f"/embed/{CHART}{FILTERS.to_query_string()}"))
    refusal = page.frame_locator("#mauzo").locator("#mauzo-refusal")
    refusal.wait_for(timeout=20_000)
    assert "not signed" in refusal.inner_text()


def test_a_frame_ancestors_policy_excluding_the_origin_refuses_the_frame(page, host, apps):
    responses: list[tuple[int, str]] = []
    page.on("response", lambda r: responses.append((r.status, r.headers.get("content-security-policy", "")))
            if r.url.startswith(apps["default"] + "/embed/") else None)
    page.goto(_host_page(host, "refused.html", apps["default"] + f"/embed/{CHART}{FILTERS.to_query_string()}"))
    page.wait_for_timeout(1500)
    assert responses == [(200, "frame-ancestors 'self'")]  # served, then refused by the browser
    refused = [m for m in page.console_log if "frame-ancestors" in m and "blocked" in m]
    assert refused, page.console_log
    frame = page.frame_locator("#mauzo")
    assert frame.locator(f"#{CHART}").count() == 0
    screenshot(page, "embed-cross-origin-refused")


def test_the_same_origin_may_frame_by_default(page, apps):
    page.goto(apps["default"] + "/embed/")
    page.set_content(f'<iframe id="mauzo" src="{apps["default"]}/embed/{CHART}" width="900" height="520"></iframe>')
    page.frame_locator("#mauzo").locator(f"#{CHART} .main-svg").first.wait_for(timeout=30_000)


def test_a_chromeless_page_fits_320_px(browser, apps):
    context = browser.new_context(viewport={"width": 320, "height": 700})
    try:
        pg = context.new_page()
        pg.goto(apps["default"] + "/branches?embed=1&startDate=2025-01-01&endDate=2025-06-30&branch=Mombasa")
        wait_for_sections(pg, "branches-comparison")
        assert pg.locator("#nav-area").is_hidden() and pg.locator("#filter-area").is_hidden()
        assert pg.locator(".mauzo-embed-btn").count() > 0, "the page's cards have Embed buttons..."
        assert not [b for b in pg.locator(".mauzo-embed-btn").all() if b.is_visible()], "...hidden in an embed"
        assert "embed=1" in pg.url and "branch=Mombasa" in pg.url
        assert pg.evaluate("() => document.documentElement.scrollWidth") <= 320
        screenshot(pg, "embed-chromeless-320")
    finally:
        context.close()


def test_the_embed_button_gives_a_snippet_of_the_current_view(page, apps):
    page.goto(apps["default"] + "/?startDate=2025-01-01&endDate=2025-06-30&branch=Mombasa")
    wait_for_sections(page, CHART)
    page.locator(f"#{CHART} .mauzo-embed-btn").click()
    snippet = page.locator("#embed-snippet")
    snippet.wait_for()
    page.wait_for_function("() => document.getElementById('embed-snippet').value.includes('iframe')")
    text = snippet.input_value()
    src = f"{apps['default']}/embed/{CHART}?startDate=2025-01-01&amp;endDate=2025-06-30&amp;branch=Mombasa"
    assert text.startswith(f'<iframe src="{src}"'), text
    screenshot(page, "embed-snippet-dialog")
    page.goto(src.replace("&amp;", "&"))
    page.locator(f"#{CHART} .main-svg").first.wait_for(timeout=30_000)
    assert page.locator("#nav-area").is_hidden()


def test_a_signed_page_is_drawn_chromeless_inside_another_origins_page(page, host, apps):
    token = sign(Settings(secret_key=KEY), "/branches", FILTERS, Scope.of(branch=["Mombasa"]), dt.timedelta(hours=1))
    page.goto(_host_page(host, "signed-page.html", apps["allowing"] + link_path("/branches", FILTERS, token)))
    frame = page.frame_locator("#mauzo")
    frame.locator("#branches-comparison .main-svg").first.wait_for(timeout=30_000)
    frame.locator("#branches-trend .main-svg").first.wait_for(timeout=30_000)  # a section with a page control
    assert frame.locator("#nav-area").is_hidden() and frame.locator("#filter-area").is_hidden()
    assert "Nakuru" not in frame.locator("#page-content").inner_text()
    screenshot(page, "embed-cross-origin-signed-page")
    assert not page.console_log.errors()


def test_an_admin_signs_the_page_in_the_embed_dialog(page, apps):
    """Login is off on this server, so its one user is an admin; the signed URL opens the page."""
    page.goto(apps["default"] + "/branches?startDate=2025-01-01&endDate=2025-06-30&branch=Mombasa")
    wait_for_sections(page, "branches-comparison")
    page.locator("#branches-comparison .mauzo-embed-btn").click(timeout=60_000)
    page.locator("#embed-sign-part").wait_for()
    page.get_by_label("The whole page").check()
    page.locator("#embed-sign-expires").select_option("7d")
    page.locator("#embed-sign-btn").click()
    page.wait_for_function("() => document.getElementById('embed-signed-url').value.includes('t=')")
    url = page.locator("#embed-signed-url").input_value()
    view = "startDate=2025-01-01&endDate=2025-06-30&branch=Mombasa"
    assert url.startswith(f"{apps['default']}/branches?embed=1&{view}&t=")
    assert page.locator("#embed-signed-snippet").input_value().startswith('<iframe src="')
    assert "Valid until" in page.locator("#embed-sign-message").inner_text()
    screenshot(page, "embed-signed-link-dialog")
    page.goto(url)
    page.locator("#branches-comparison .main-svg").first.wait_for(timeout=30_000)
    assert page.locator("#nav-area").is_hidden() and page.locator("#filter-area").is_hidden()
