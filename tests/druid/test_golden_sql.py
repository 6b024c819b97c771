"""Golden Druid SQL: every declared named query (``tests/data/named_queries.py``) compiled with
``DRUID_DIALECT`` for the Druid engine's datasource, with the exact ``parameters`` the client sends.
Set ``MAUZO_UPDATE_GOLDEN=1`` to rewrite ``golden/druid.json`` after an intended change, and review
the diff."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from data.datasets import SALES
from data.engines.druid_client import DruidSettings, druid_parameter
from data.engines.druid_dialect import DRUID_DIALECT
from data.engines.druid_engine import DruidEngine
from data.filters import Filters
from data.scope import Scope
from data.sql import CompiledQuery, QuerySpec, compile_query
from tests.data.named_queries import EVERY_FILTER, named_queries

GOLDEN = Path(__file__).parent / "golden" / "druid.json"
DRUID = DruidEngine(DruidSettings(url="http://router:8888"))  # compiles only; never connects
SCOPE = Scope.of(branch=["scope-branch"])
# A view other tests share: six months, two branches.
VIEW = Filters.create(start="2025-01-01", end="2025-06-30", branch=["Mombasa", "Kisumu"])


def druid_sql(spec: QuerySpec, scope: Scope = SCOPE) -> CompiledQuery:
    return compile_query(spec, DRUID_DIALECT, scope=scope, table=DRUID.table_name(spec.dataset.table))


def _compiled() -> dict[str, dict[str, object]]:
    out = {}
    for key, spec in sorted(named_queries().items()):
        query = druid_sql(spec)
        out[key] = {"sql": query.sql, "parameters": [druid_parameter(p) for p in query.params]}
    return out


def test_named_queries_match_the_druid_golden_file() -> None:
    got = _compiled()
    if os.environ.get("MAUZO_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert sorted(got) == sorted(want), "named queries added or removed: regenerate and review"
    for key in want:
        assert got[key] == want[key], key


def test_druid_spelling_of_time_table_and_dates() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    for key, query in golden.items():
        sql = query["sql"]
        assert 'FROM "sales_analytics"' in sql and " sales " not in sql and "sale_date" not in sql, key
        types = [p["type"] for p in query["parameters"]]
        if "__time >= CAST(? AS TIMESTAMP)" in sql:
            assert types.count("TIMESTAMP") == 2, key
        assert set(types) <= {"VARCHAR", "TIMESTAMP", "BIGINT"}, key
    assert "TIME_FLOOR(__time, 'P3M') AS \"period\"" in golden["trend.quarter"]["sql"]


def test_no_filter_value_ever_appears_in_sql_text() -> None:
    values = [v for _, vals in EVERY_FILTER.selections for v in vals] + ["scope-branch", "2025-01-01", "2025-03-31"]
    for key, query in _compiled().items():
        assert not [v for v in values if v in query["sql"]], key
        assert query["sql"].count("?") == len(query["parameters"]), key


# Words Calcite's parser reserves (so Druid's does too) that a data layer could plausibly use as a
# name; PERIOD is SQL:2011's PERIOD FOR. Checked against Calcite's own reserved-word test list.
DRUID_RESERVED = frozenset({"period", "rows", "range", "month", "day", "date", "interval", "count", "min", "max",
                            "end", "order", "group", "result"})


def test_druid_can_parse_every_named_query() -> None:
    problems = []
    for key, query in _compiled().items():
        sql = query["sql"]
        aliases = set(re.findall(r" AS (\w+)", sql))
        for word in re.findall(r"(?<![\"'\w])(\w+)(?![\"'\w(])", sql):
            if word.lower() in DRUID_RESERVED and word in aliases:
                problems.append(f"{key}: unquoted reserved word {word}")
        group = re.search(r" GROUP BY (.+?)(?: ORDER BY |$)", sql)
        for column in (group.group(1).split(", ") if group else []):
            if column in aliases and column not in SALES.columns:
                problems.append(f"{key}: GROUP BY select alias {column}")
    assert problems == []
