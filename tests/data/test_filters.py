"""Filters: validation, normalization, URL round trip and a process-stable cache key."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from data.errors import InvalidFilter
from data.filters import Filters


def test_selections_are_sorted_and_deduplicated():
    a = Filters.create(branch=["Mombasa", "Kisumu", "Mombasa", " "], product_line=["Plumbing"])
    b = Filters.create(branch=["Kisumu", "Mombasa"], product_line=["Plumbing"])
    assert a == b and a.values("branch") == ("Kisumu", "Mombasa")
    assert a.cache_key() == b.cache_key()


def test_url_round_trip_uses_the_documented_names():
    f = Filters.create(start="2025-01-01", end="2025-03-31", branch=["Nairobi CBD", "Thika"],
                       product_line=["Paints & Finishes"])
    query = f.to_query_string()
    assert query == ("?startDate=2025-01-01&endDate=2025-03-31&branch=Nairobi+CBD&branch=Thika"
                     "&productLine=Paints+%26+Finishes")
    from urllib.parse import parse_qs

    assert Filters.from_args(parse_qs(query[1:])) == f


@pytest.mark.parametrize(
    ("args", "bad"),
    [
        ({"startDate": "2025-13-01"}, "startDate"),
        ({"endDate": "yesterday"}, "endDate"),
        ({"startDate": "2025-02-01", "endDate": "2025-01-01"}, "endDate"),
        ({"startDate": "2025-1-1"}, "startDate"),
        ({"branch": ["x" * 201]}, "branch"),
    ],
)
def test_invalid_arguments_are_named(args, bad):
    with pytest.raises(InvalidFilter) as info:
        Filters.from_args(args)
    assert bad in info.value.details


def test_every_bad_argument_is_reported_at_once():
    with pytest.raises(InvalidFilter) as info:
        Filters.from_args({"startDate": "nope", "endDate": "nope either"})
    assert set(info.value.details) == {"startDate", "endDate"}


def test_cache_key_is_identical_in_another_process():
    f = Filters.create(start=dt.date(2025, 1, 1), branch=["Mombasa"])
    code = ("from data.filters import Filters; import datetime as dt; "
            "print(Filters.create(start=dt.date(2025,1,1), branch=['Mombasa']).cache_key())")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert other == f.cache_key()


def test_describe_states_the_view_in_words():
    f = Filters.create(start="2025-01-01", end="2025-06-30", branch=["Kisumu", "Mombasa"])
    assert f.describe() == "01 Jan 2025 to 30 Jun 2025; branches Kisumu and Mombasa"
    assert Filters().describe() == "All time"
