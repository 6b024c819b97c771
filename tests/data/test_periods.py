"""Date presets anchored on the latest sale."""

from __future__ import annotations

import datetime as dt

import pytest

from data.periods import auto_grain, matching_preset, preset_range

ANCHOR = dt.date(2025, 5, 17)


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("last30", (dt.date(2025, 4, 18), ANCHOR)),
        ("qtd", (dt.date(2025, 4, 1), ANCHOR)),
        ("ytd", (dt.date(2025, 1, 1), ANCHOR)),
        ("last12m", (dt.date(2024, 5, 18), ANCHOR)),
        ("all", (None, None)),
    ],
)
def test_presets(preset, expected):
    assert preset_range(preset, ANCHOR) == expected
    assert matching_preset(*expected, ANCHOR) == preset


def test_leap_day_anchor_and_custom():
    assert preset_range("last12m", dt.date(2024, 2, 29)) == (dt.date(2023, 3, 1), dt.date(2024, 2, 29))
    assert matching_preset(dt.date(2025, 1, 2), ANCHOR, ANCHOR) == "custom"


def test_auto_grain():
    assert auto_grain(dt.date(2025, 1, 1), dt.date(2025, 1, 31)) == "day"
    assert auto_grain(dt.date(2025, 1, 1), dt.date(2025, 3, 31)) == "week"
    assert auto_grain(dt.date(2024, 1, 1), dt.date(2025, 3, 31)) == "month"
    assert auto_grain(None, None) == "month"
