"""Lines whose quantity, revenue and cost signs contradict each other: rejected, or normalised by a
mapping that names the column carrying the sign."""

from __future__ import annotations

import itertools

import polars as pl
import pytest

from ingest.mapping import MappingError, mapping_from_dict
from ingest.pipeline import ingest_file
from ingest.signs import contradictory

LINE = "2024-02-01,Nakuru,Cement,Bamburi 50kg,Jane Wanjiku,Acme Ltd,{q},{r},{c},INV-{n}"


def _line(q: str, r: str, c: str, n: int = 1) -> str:
    return LINE.format(q=q, r=r, c=c, n=n)


def test_contradiction_is_a_positive_and_a_negative_among_the_three_zero_is_neutral():
    triples = list(itertools.product((-1.0, 0.0, 1.0), repeat=3))
    frame = pl.DataFrame(triples, schema=["quantity", "revenue", "cost"], orient="row")
    got = dict(zip(triples, contradictory(frame).to_list(), strict=True))
    for triple, bad in got.items():
        assert bad == (any(v > 0 for v in triple) and any(v < 0 for v in triple)), triple
    # the cases an analyst meets, spelled out
    assert not got[(1.0, 1.0, 0.0)]  # zero-cost line (a service, or cost not tracked)
    assert not got[(1.0, 0.0, 1.0)]  # free item: no revenue, but it cost something
    assert not got[(0.0, -1.0, 0.0)]  # price correction / discount credit with quantity 0
    assert not got[(-1.0, 0.0, -1.0)]  # a free item coming back
    assert not got[(0.0, 0.0, 0.0)]
    assert got[(-1.0, 1.0, 1.0)]  # the issue's line: quantity -10, revenue +1000, cost +800
    assert got[(1.0, -1.0, 0.0)]  # a "discount line" with quantity 1 and negative revenue
    assert got[(1.0, 1.0, -1.0)]  # negative cost on a sale
    assert got[(-1.0, -1.0, 1.0)]  # a return whose cost is positive


def test_the_issue_line_is_rejected_with_column_check_count_and_lines(base_store, state, tmp_path, make_csv):
    lines = [_line("1", "100.00", "80.00", 1), _line("-10", "1000", "800", 2), _line("-1", "-850", "-600", 3),
             _line("2", "\"KSh 1,000\"", "(800)", 4), _line("0", "-50", "0", 5), _line("3", "0", "120", 6)]
    path = tmp_path / "signs.csv"
    path.write_text(make_csv(lines), encoding="utf-8")
    before = state(base_store)
    result = ingest_file(path, data_dir=base_store)
    assert result.exit_code == 2
    (problem,) = result.report.problems
    assert (problem.column, problem.check, problem.count) == ("quantity/revenue/cost", "sign_mismatch", 2)
    assert problem.examples == [(3, "-10 / 1000 / 800"), (5, "2 / KSh 1,000 / (800)")]  # as written
    text = result.report.text()
    assert 'line 3: quantity/revenue/cost = "-10 / 1000 / 800"' in text
    assert 'signs = "quantity"' in text
    assert state(base_store) == before
    assert problem.to_dict()["examples"][0] == {"line": 3, "value": "-10 / 1000 / 800"}


def test_gross_profit_files_name_gross_profit(base_store, tmp_path):
    path = tmp_path / "gp.csv"
    # revenue 100 with gross profit 130 means cost -30 on a sale
    path.write_text("Date,Branch,Product Line,Qty,Net Sales,Gross Profit\n2024-01-01,N,P,1,100,130\n",
                    encoding="utf-8")
    (problem,) = ingest_file(path, data_dir=base_store).report.problems
    assert problem.column == "quantity/revenue/gross_profit"
    assert problem.examples == [(2, "1 / 100 / 130")]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        # (quantity, revenue cents, cost cents) stored per input line, in file order
        ("quantity", [(-10.0, -100000, -80000), (2.0, 100000, 80000), (-1.0, -85000, -60000)]),
        ("revenue", [(10.0, 100000, 80000), (-2.0, -100000, -80000), (-1.0, -85000, -60000)]),
    ],
)
def test_mapping_takes_the_sign_from_one_column(policy, expected, tmp_path, state, make_csv):
    mapping = tmp_path / "m.toml"
    mapping.write_text(f'signs = "{policy}"\n', encoding="utf-8")
    path = tmp_path / "s.csv"
    path.write_text(make_csv([_line("-10", "1000", "800", 1), _line("2", "-1000", "800", 2),
                              _line("-1", "-850", "-600", 3)]), encoding="utf-8")
    result = ingest_file(path, data_dir=tmp_path / "s", mode="replace", mapping=mapping)
    assert result.ok, result.report.text()
    assert result.report.facts["sign_normalised_rows"] == 2
    assert any(n.startswith(f'signs = "{policy}": 2 lines took their signs from {policy} (lines 2, 3)')
               for n in result.report.notes)
    rows = {r[1]: r for r in state(tmp_path / "s")[1]}
    scale = rows["INV-3"][9] // -850  # money unit per KSh, whatever storage uses
    assert [(rows[f"INV-{i}"][8], rows[f"INV-{i}"][9] // scale * 100, rows[f"INV-{i}"][10] // scale * 100)
            for i in (1, 2, 3)] == expected


def test_a_zero_sign_column_cannot_normalise(tmp_path, state, make_csv):
    mapping = tmp_path / "m.toml"
    mapping.write_text('signs = "quantity"\n', encoding="utf-8")
    path = tmp_path / "s.csv"
    path.write_text(make_csv([_line("0", "100", "-80", 1)]), encoding="utf-8")
    result = ingest_file(path, data_dir=tmp_path / "s", mode="replace", mapping=mapping)
    (problem,) = result.report.problems
    assert problem.check == "sign_mismatch" and "quantity is 0" in problem.message
    assert state(tmp_path / "s") == (None, [])


def test_rows_with_parse_errors_are_not_reported_twice(base_store, tmp_path, make_csv):
    path = tmp_path / "s.csv"
    path.write_text(make_csv([_line("-10", "1000", "8x0", 1)]), encoding="utf-8")
    assert [p.check for p in ingest_file(path, data_dir=base_store).report.problems] == ["number_format"]


def test_mapping_validates_signs():
    assert mapping_from_dict({}).signs == "reject"
    assert mapping_from_dict({"signs": "revenue"}).signs == "revenue"
    with pytest.raises(MappingError, match="signs must be one of"):
        mapping_from_dict({"signs": "qty"})
