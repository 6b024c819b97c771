"""KSh and percentage formatting: one set of rules for labels, axes, cells and sentences."""

from __future__ import annotations

import pytest

from components.format import (
    COUNT_JS,
    GRID_FORMATTERS,
    MARGIN_JS,
    MARGIN_LIMIT,
    MONEY_JS,
    PCT_JS,
    PP_JS,
    SIGNED_PCT_JS,
    count,
    ksh,
    ksh_ticks,
    margin,
    metric_value,
    pct,
    plot_margin,
    pp,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1_240_000, "KSh 1.24M"),
        (999_999, "KSh 1.00M"),
        (12_450, "KSh 12.45K"),
        (994.4, "KSh 994"),
        (999.4, "KSh 1.00K"),
        (-2_500_000_000, "-KSh 2.50B"),
        (None, "—"),
    ],
)
def test_compact_ksh(value, expected):
    assert ksh(value) == expected


def test_exact_ksh_percent_and_counts():
    assert ksh(12_450, compact=False) == "KSh 12,450"
    assert pct(24.349) == "24.3%" and pct(1.25, signed=True) == "+1.2%"
    assert pp(-0.26) == "-0.3 pp" and pp(1.04) == "+1.0 pp"
    assert count(1234567) == "1,234,567" and count(float("nan")) == "—"


@pytest.mark.parametrize("value", [-0.3, -0.49, -1e-9])
def test_a_loss_that_rounds_to_nothing_has_no_sign(value):
    assert ksh(value) == "KSh 0" and ksh(value, compact=False) == "KSh 0"
    assert pct(value / 10) == "0.0%" and pct(value / 10, signed=True) == "0.0%" and pp(value / 10) == "0.0 pp"
    assert count(value) == "0"


def test_a_real_loss_keeps_its_sign():
    assert ksh(-0.6, compact=False) == "-KSh 1" and ksh(-1_500) == "-KSh 1.50K" and pct(-0.06) == "-0.1%"


@pytest.mark.parametrize(("value", "expected"), [(74961769597.3, "n/a"), (-1000.1, "n/a"), (1000.0, "1000.0%"),
                                                 (-250.0, "-250.0%"), (None, "—")])
def test_absurd_margins_read_not_applicable(value, expected):
    assert margin(value) == expected
    assert plot_margin(value) == (None if expected in ("n/a", "—") else value)


def test_metric_values_use_the_margin_rule_for_margins_only():
    assert metric_value("pct", 5_000.0, "margin_pct") == "n/a"
    assert metric_value("pct", 5_000.0, "revenue_growth_pct") == "5000.0%"


@pytest.mark.parametrize(("low", "high"), [(0, 3_230_000), (-12_000, 2_200_000_000), (0, 853_200), (-5e6, 0),
                                           (0, 0.4)])
def test_axis_ticks_speak_the_label_language(low, high):
    values, text = ksh_ticks(low, high)
    assert values[0] <= min(low, 0) and values[-1] >= high
    assert text == [ksh(v, trim=True) for v in values]
    for label in text:
        assert "G" not in label and "k" not in label.removeprefix("-KSh ").removeprefix("KSh ")
        assert label.startswith(("KSh ", "-KSh ")) and not label.endswith(".00")
    assert len(set(text)) == len(text)


def test_trimmed_ticks_keep_the_units_of_full_labels():
    assert ksh(2_200_000_000) == "KSh 2.20B" and ksh(2_000_000_000, trim=True) == "KSh 2B"
    assert ksh(1_500_000, trim=True) == "KSh 1.5M" and ksh(500_000, trim=True) == "KSh 500K"


def test_every_grid_formatter_has_a_python_twin():
    assert set(GRID_FORMATTERS) == {MONEY_JS, PCT_JS, MARGIN_JS, SIGNED_PCT_JS, PP_JS, COUNT_JS}
    assert GRID_FORMATTERS[MONEY_JS](-1_052_512_345.4) == "-KSh 1,052,512,345"
    assert f"> {MARGIN_LIMIT:g} ? 'n/a'" in MARGIN_JS
    assert GRID_FORMATTERS[MARGIN_JS](MARGIN_LIMIT * 2) == "n/a"
