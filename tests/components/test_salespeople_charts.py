"""Salespeople figures built from real frames: what each chart plots and where clicks lead."""

from __future__ import annotations

import pytest

from components.labels import wrap_label
from components.salespeople_charts import (
    LEADERBOARD_GRID,
    leaderboard_grid,
    margin_map,
    mix_heatmap,
    person_mix_bars,
)
from data.queries import breakdown, summary
from data.salespeople import leaderboard, margin_drivers, person_mix, product_mix
from tests.data.test_salespeople import PERIOD


def test_wrap_label_keeps_words_and_breaks_long_names():
    assert wrap_label("Agricultural Supplies") == "Agricultural<br>Supplies"
    assert wrap_label("Plumbing") == "Plumbing"
    assert wrap_label("Solar & Energy", 20) == "Solar & Energy"


def test_leaderboard_grid_sends_every_salesperson_and_selects_by_name(demo_engine):
    frame = leaderboard(PERIOD)
    grid = leaderboard_grid(frame)
    assert grid.id == LEADERBOARD_GRID
    assert [r["salesperson"] for r in grid.rowData] == frame["salesperson"].to_list()
    assert grid.getRowId == "params.data['salesperson']"
    fields = [c["field"] for c in grid.columnDefs]
    assert fields.index("gp_rank") < fields.index("revenue_rank") < fields.index("rank_gap")


def test_heatmap_rows_are_people_in_gp_order_and_sum_to_100(demo_engine):
    frame = product_mix(PERIOD)
    lines = breakdown(PERIOD, "product_line")["product_line"].to_list()
    fig = mix_heatmap(frame, lines, "period")
    trace = fig.data[0]
    assert list(trace.y) == leaderboard(PERIOD)["salesperson"].to_list()
    assert list(trace.x) == lines  # real names: a click reports the product line itself
    assert list(fig.layout.xaxis.ticktext) == [wrap_label(line) for line in lines]
    for row in trace.z:
        assert sum(v for v in row if v is not None) == pytest.approx(100.0, abs=1e-6)
    assert (trace.zmin, trace.zmax) == (0, 100)


def test_margin_map_plots_gp_against_margin_with_team_guides(demo_engine):
    frame = margin_drivers(PERIOD)
    team = summary(PERIOD)["margin_pct"][0]
    fig = margin_map(frame, team, "01 Jan 2025 to 30 Jun 2025")
    trace = fig.data[0]
    assert list(trace.x) == frame["gross_profit"].to_list()
    assert list(trace.y) == frame["margin_pct"].to_list()
    assert [c[0] for c in trace.customdata] == frame["salesperson"].to_list()  # click -> drill-down
    assert fig.layout.shapes[0].x0 == pytest.approx(frame["gross_profit"].mean())
    assert fig.layout.shapes[1].y0 == pytest.approx(team)
    assert "01 Jan 2025 to 30 Jun 2025" in fig.layout.title.text
    # Only the five biggest earners are named, and only where a label does not cover another one.
    top5 = set(frame.sort("gross_profit", descending=True).head(5)["salesperson"])
    named = [t for t in trace.text if t]
    assert named and set(named) <= top5
    assert trace.text[frame["gross_profit"].arg_max()]  # the biggest earner always has room


def test_person_mix_bars_pair_the_person_with_the_team(demo_engine):
    name = leaderboard(PERIOD)["salesperson"][0]
    mix = person_mix(PERIOD, name)
    fig = person_mix_bars(mix, name, "period")
    team, mine = fig.data
    assert (team.name, mine.name) == ("Team", name)
    assert sum(mine.x) == pytest.approx(100.0, abs=1e-6)
    assert set(team.y) == set(mix["product_line"])
