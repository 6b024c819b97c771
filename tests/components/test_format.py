"""KSh and percentage formatting."""

from __future__ import annotations

import pytest

from components.format import count, ksh, pct, pp


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
