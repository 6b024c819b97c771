"""Headless Debian Chromium (via Playwright) against the real app served by gunicorn.

Screenshots land in tests/artifacts/screenshots/ (git-ignored) so a person can look at them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Chromium's own background chatter is refused on this closed network; that is not an app error.
IGNORED_CONSOLE = ("net::ERR_", "favicon", "Failed to load resource: the server responded with a status of 404")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is not installed: run scripts/ensure-system-deps.sh")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"],
        )
        yield instance
        instance.close()


class ConsoleLog(list):
    def errors(self) -> list[str]:
        return [m for m in self if not any(s in m for s in IGNORED_CONSOLE)]


@pytest.fixture
def page(browser, request) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh page at 1280 px with console errors collected in ``page.console_log``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    log = ConsoleLog()
    pg.on("console", lambda m: log.append(f"{m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: log.append(f"pageerror: {e}"))
    pg.console_log = log
    pg.set_default_timeout(20_000)
    yield pg
    context.close()


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_for_sections(page, *section_ids: str) -> None:  # type: ignore[no-untyped-def]
    """Wait until each section has content (a chart, a table, a card, or an empty/error state)."""
    for section_id in section_ids:
        page.wait_for_function(
            "id => { const el = document.getElementById(id); return el && el.children.length > 0; }",
            arg=section_id, timeout=30_000,
        )
    page.wait_for_load_state("networkidle")


def summary_says(page, text: str) -> None:  # type: ignore[no-untyped-def]
    """The filter summary is its own callback and may land after the charts: wait for ``text``."""
    page.wait_for_function(
        "t => (document.getElementById('filter-summary') || {}).innerText?.includes(t)", arg=text)
    assert text in page.inner_text("#filter-summary")


def dim_control(name: str) -> str:
    """CSS selector of the filter bar's control for dimension ``name`` (a pattern-matching id, which
    Dash renders as JSON with sorted keys)."""
    return f"""[id='{{"dim":"{name}","type":"filter-dim"}}']"""


def select_dropdown(page, dropdown_id: str, option_text: str) -> None:  # type: ignore[no-untyped-def]
    """Pick an option in a Dash 4 dcc.Dropdown (new DOM: .dash-dropdown / .dash-dropdown-option).
    ``dropdown_id`` is an element id, or a CSS selector such as ``dim_control("branch")``."""
    page.click(dropdown_id if dropdown_id.startswith("[") else f"#{dropdown_id}")
    page.locator(".dash-dropdown-option", has_text=option_text).first.click()
    page.keyboard.press("Escape")


def phone_width(browser, url: str, sections: tuple[str, ...], shot: str,  # type: ignore[no-untyped-def]
                ready: Callable[[object], None] | None = None) -> int:
    """Open ``url`` at 390 px, wait for its sections (and ``ready``), screenshot it, and return the
    page's scroll width: more than the viewport means the page scrolls sideways on a phone."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(url)
        wait_for_sections(page, *sections)
        if ready:
            ready(page)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        screenshot(page, shot)
        return width
    finally:
        context.close()
