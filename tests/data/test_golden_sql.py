"""Golden SQL: the exact text and parameters of every named query per dialect, table-driven from
the declarations (``tests/data/named_queries.py``). Set ``MAUZO_UPDATE_GOLDEN=1`` to rewrite the
files after an intended change, and review the diff."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from data.dimensions import FILTER_DIMENSIONS
from data.engines.duckdb_dialect import DUCKDB_DIALECT
from data.metrics import METRICS
from data.scope import Scope
from data.sql import QuerySpec, compile_query
from tests.data.named_queries import EVERY_FILTER, named_queries

GOLDEN = Path(__file__).parent / "golden"
DIALECTS = {"duckdb": DUCKDB_DIALECT}


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def _compiled(dialect) -> dict[str, dict[str, object]]:  # type: ignore[no-untyped-def]
    out = {}
    for key, spec in sorted(named_queries().items()):
        query = compile_query(spec, dialect, scope=Scope.of(branch=["scope-branch"]))
        out[key] = {"sql": query.sql, "params": [_plain(p) for p in query.params]}
    return out


@pytest.mark.parametrize("name", sorted(DIALECTS))
def test_named_queries_match_the_golden_file(name):
    path = GOLDEN / f"{name}.json"
    got = _compiled(DIALECTS[name])
    if os.environ.get("MAUZO_UPDATE_GOLDEN"):
        path.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    want = json.loads(path.read_text(encoding="utf-8"))
    assert sorted(got) == sorted(want), "named queries added or removed: regenerate and review"
    for key in want:
        assert got[key] == want[key], key


@pytest.mark.parametrize("dim", FILTER_DIMENSIONS, ids=lambda d: d.name)
def test_each_filter_dimension_compiles_to_a_bound_in_list(dim):
    spec = QuerySpec("t", EVERY_FILTER.__class__.create(**{dim.name: ["x'y", "z"]}), aggregates=("lines",))
    query = compile_query(spec, DUCKDB_DIALECT)
    assert query.sql == f"SELECT COUNT(*) AS lines FROM sales WHERE {dim.name} IN (?, ?)"
    assert query.params == ("x'y", "z")


@pytest.mark.parametrize("metric", [m for m in METRICS.values() if m.additive], ids=lambda m: m.name)
def test_each_additive_metric_is_its_declared_aggregate(metric):
    query = compile_query(QuerySpec("t", aggregates=(metric.name,)), DUCKDB_DIALECT)
    expected = metric.sql.format(time="sale_date", params=", ".join("?" for _ in metric.params))
    assert query.sql == f"SELECT {expected} AS {metric.name} FROM sales"
    assert query.params == metric.params


def test_no_filter_value_ever_appears_in_sql_text():
    values = [v for _, vals in EVERY_FILTER.selections for v in vals]
    for name, compiled in _compiled(DUCKDB_DIALECT).items():
        assert not [v for v in values if v in compiled["sql"]], name
