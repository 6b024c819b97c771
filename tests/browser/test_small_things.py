"""Small things (issue 9, item 14): wide heatmaps say they scroll sideways; the date placeholder
reads in dark mode."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import screenshot, wait_for_sections
from tests.browser.geometry import wait_for_plots

pytestmark = pytest.mark.browser
PERIOD = "?startDate=2025-01-01&endDate=2025-06-30"
HEATMAPS = [("/branches", "branches-heatmap"), ("/salespeople", "sp-mix")]


def _scroll_state(page, section: str) -> dict:  # type: ignore[no-untyped-def]
    return page.evaluate(
        """id => { const s = document.getElementById(id);
                   const box = s.querySelector('.mauzo-scroll-x'), hint = s.querySelector('.mauzo-scroll-hint');
                   return {scrolls: !!box && box.scrollWidth > box.clientWidth + 1,
                           hint: !!hint && hint.getBoundingClientRect().height > 0 ? hint.innerText : null}; }""",
        section)


@pytest.mark.parametrize(("path", "section"), HEATMAPS)
def test_a_heatmap_that_scrolls_sideways_says_so(browser, live_url, path, section):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(live_url + path + PERIOD)
        wait_for_sections(page, section)
        wait_for_plots(page, f"#{section} .js-plotly-plot")
        state = _scroll_state(page, section)
        screenshot(page, f"scroll-hint-{section}-390")
        assert state["scrolls"] and state["hint"] and "Scroll sideways" in state["hint"]
        page.locator(f"#{section} .mauzo-scroll-x").evaluate("b => b.scrollLeft = b.scrollWidth")
        assert page.locator(f"#{section} .mauzo-scroll-x").evaluate("b => b.scrollLeft") > 0
    finally:
        context.close()


@pytest.mark.parametrize(("path", "section"), HEATMAPS)
def test_no_hint_when_the_heatmap_fits(page, live_url, path, section):
    page.goto(live_url + path + PERIOD)
    wait_for_sections(page, section)
    wait_for_plots(page, f"#{section} .js-plotly-plot")
    assert _scroll_state(page, section) == {"scrolls": False, "hint": None}


def _rgba(text: str) -> tuple[float, ...]:
    parts = [float(v) for v in re.findall(r"[\d.]+", text)]
    return (*parts[:3], parts[3] if len(parts) > 3 else 1.0)


def _luminance(rgb: tuple[float, ...]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground: str, background: str) -> float:
    """WCAG contrast of ``foreground`` (alpha blended onto ``background``) against ``background``."""
    fg, bg = _rgba(foreground), _rgba(background)
    alpha = fg[3]
    blended = tuple(alpha * f + (1 - alpha) * b for f, b in zip(fg[:3], bg[:3], strict=True))
    high, low = sorted((_luminance(blended), _luminance(bg)), reverse=True)
    return (high + 0.05) / (low + 0.05)


PLACEHOLDER_JS = """() => { const input = document.getElementById('filter-dates');
  let el = input, bg = 'rgba(0, 0, 0, 0)';
  while (el) { const c = getComputedStyle(el).backgroundColor;
               if (c && c !== 'transparent' && !/rgba\\(.*, 0\\)$/.test(c)) { bg = c; break; } el = el.parentElement; }
  return {placeholder: input.placeholder, value: input.value, color: getComputedStyle(input, '::placeholder').color,
          background: bg, theme: document.documentElement.getAttribute('data-bs-theme')}; }"""


@pytest.mark.parametrize("dark", [True, False])
def test_the_date_placeholder_is_readable_in_both_themes(page, live_url, dark):
    page.goto(live_url + "/")  # all time: the date inputs are empty and show their placeholders
    wait_for_sections(page, "overview-kpis")
    if dark:
        page.locator("#theme-switch").check(force=True)
        page.wait_for_function("() => document.documentElement.getAttribute('data-bs-theme') === 'dark'")
    state = page.evaluate(PLACEHOLDER_JS)
    screenshot(page, f"date-placeholder-{'dark' if dark else 'light'}")
    assert state["value"] == "" and state["placeholder"]
    assert state["theme"] == ("dark" if dark else "light") or not dark
    assert contrast(state["color"], state["background"]) >= 4.5, state  # WCAG AA for normal text
