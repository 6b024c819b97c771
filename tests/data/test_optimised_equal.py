"""Every optimisation gives the unoptimised answer, exactly: queries answered from the rollups equal
the same queries over the lines (every column, every type, every row, in order), for random views
of the demo data, after appends that stress the bookkeeping, and whole pages render the same figures.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import random
from pathlib import Path

import plotly
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from data import service
from data.engines.base import TimeGrain
from data.engines.duckdb_engine import LINES, DuckDBEngine
from data.filters import Filters
from data.metrics import CORE_AGGREGATES
from data.scope import UNRESTRICTED, Scope
from data.sql import QuerySpec, compile_query
from tests.conftest import DEMO_END, build_store

GROUPINGS: tuple[tuple[str, ...], ...] = (
    (), ("salesperson",), ("product_line",), ("branch",), ("customer",), ("item_group", "product_line"),
    ("item_name", "item_group", "product_line"), ("salesperson", "product_line"), ("branch", "product_line"),
    ("customer", "product_line"), ("customer", "branch"), ("item_name",), ("item_group",), ("salesperson", "branch"),
)
AGGREGATE_SETS: tuple[tuple[str, ...], ...] = (
    CORE_AGGREGATES,
    ("revenue", "cost", "gross_profit", "transactions", "lines"),
    (*CORE_AGGREGATES, "first_sale", "last_sale", "active_days"),
    ("first_sale", "last_sale", "lines"),
    ("transactions",), ("customers", "revenue"), ("active_days",),
)
GRAINS = (None, None, None, TimeGrain.MONTH, TimeGrain.QUARTER, TimeGrain.YEAR, TimeGrain.WEEK, TimeGrain.DAY)


def _values(engine: DuckDBEngine, column: str) -> list[str]:
    frame = engine.execute(compile_query(QuerySpec("v", dimensions=(column,), aggregates=("lines",)), engine.dialect))
    return [v for v in frame[column].to_list() if v is not None]


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def _dates(rng: random.Random, first: dt.date, last: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """Whole months (what rollups answer), arbitrary days, open ends, and ranges past the data."""
    span = (last - first).days
    a = first + dt.timedelta(days=rng.randint(-40, span + 40))
    b = a + dt.timedelta(days=rng.randint(0, 500))
    kind = rng.random()
    if kind < 0.45:
        return _month_start(a), _month_end(b)
    if kind < 0.6:
        return None, _month_end(b)
    if kind < 0.7:
        return _month_start(a), None
    if kind < 0.8:
        return None, None
    return a, b


def random_specs(engine: DuckDBEngine, count: int, seed: int) -> list[tuple[QuerySpec, Scope]]:
    rng = random.Random(seed)
    options = {c: _values(engine, c) for c in ("branch", "product_line", "item_group", "salesperson")}
    bounds = engine.execute(compile_query(QuerySpec("b", aggregates=("first_sale", "last_sale")), engine.dialect))
    first, last = bounds["first_sale"][0], bounds["last_sale"][0]
    specs = []
    for index in range(count):
        start, end = _dates(rng, first, last)
        selections: dict[str, list[str]] = {}
        for column in rng.sample(sorted(options), rng.choice([0, 0, 1, 1, 2])):
            picked = rng.sample(options[column], rng.choice([1, 1, 2, 3]))
            if rng.random() < 0.1:
                picked.append("Not In The Data")
            selections[column] = picked
        filters = Filters.create(start=start, end=end, **selections)
        scope = UNRESTRICTED
        if rng.random() < 0.15:
            scope = Scope.of(branch=rng.sample(options["branch"], rng.choice([1, 3])))
        dims = rng.choice(GROUPINGS)
        aggregates = rng.choice(AGGREGATE_SETS)
        grain = rng.choice(GRAINS)
        order: tuple[tuple[str, bool], ...] = ()
        limit = None
        if dims and rng.random() < 0.3:
            order = ((rng.choice(aggregates), True),)
            limit = rng.choice([1, 5, 50])
        specs.append((QuerySpec(f"random.{index}", filters=filters, dimensions=dims, aggregates=aggregates,
                                grain=grain, order_by=order, limit=limit), scope))
    return specs


def assert_same_answers(engine: DuckDBEngine, specs: list[tuple[QuerySpec, Scope]]) -> int:
    """Compare both paths for every spec; returns how many the rollups answered."""
    routed = 0
    for spec, scope in specs:
        query = compile_query(spec, engine.dialect, scope)
        expected = engine.execute(query)
        actual, source = engine.execute_spec(spec, query, scope)
        try:
            assert_frame_equal(actual, expected, check_exact=True)
        except AssertionError as exc:
            raise AssertionError(f"{spec} under {scope} answered from {source}: {exc}") from None
        routed += source != LINES
    return routed


def test_random_views_of_the_demo_data_are_answered_exactly(demo_store: Path) -> None:
    engine = DuckDBEngine(demo_store)
    try:
        specs = random_specs(engine, 160, seed=20251130)
        routed = assert_same_answers(engine, specs)
        assert len(specs) // 4 <= routed < len(specs), f"{routed} of {len(specs)} views used the rollups"
    finally:
        engine.close()


def _canonical(engine_dir: Path) -> pl.DataFrame:
    """The store's lines back in the canonical ingest schema (KSh floats)."""
    import duckdb

    from data.store import SnapshotStore

    store = SnapshotStore(engine_dir)
    con = duckdb.connect(str(store.snapshot_path(store.manifest())), read_only=True)
    try:
        return con.sql("SELECT sale_date, invoice_id, branch, product_line, item_group, item_name, salesperson, "
                       "customer, quantity, revenue_e4 / 10000.0 AS revenue, cost_e4 / 10000.0 AS cost "
                       "FROM sales").pl()
    finally:
        con.close()


def test_appends_keep_every_answer_exact(tmp_path: Path, demo_frame: pl.DataFrame) -> None:
    """Appends that add lines to earlier invoices (same day, and another day), to earlier
    customer-days, lines without an invoice id, and plain new invoices: rollups stay exact."""
    base = demo_frame.head(15_000)
    build_store(tmp_path, base, name="base")
    rng = random.Random(7)
    earlier = base.filter(pl.col("invoice_id").is_not_null()).sample(40, seed=3)
    same_day = earlier.head(20).with_columns(pl.lit("Extra item").alias("item_name"))
    other_day = earlier.tail(20).with_columns((pl.col("sale_date") + pl.duration(days=1)).alias("sale_date"))
    no_invoice = base.sample(30, seed=5).with_columns(pl.lit(None, dtype=pl.String).alias("invoice_id"))
    build_store(tmp_path, pl.concat([same_day, other_day, no_invoice]), mode="append", name="touch")
    build_store(tmp_path, demo_frame.slice(15_000, 5_000), mode="append", name="rest")
    again = base.sample(10, seed=rng.randint(0, 99))  # identical lines of invoices already in the store
    build_store(tmp_path, again, mode="append", name="again")
    engine = DuckDBEngine(tmp_path)
    try:
        specs = random_specs(engine, 100, seed=99)
        routed = assert_same_answers(engine, specs)
        assert len(specs) // 4 <= routed < len(specs)
    finally:
        engine.close()
    # The appended store answers like one built in a single ingest from the same lines.
    rebuilt = tmp_path / "rebuilt"
    build_store(rebuilt, _canonical(tmp_path), name="all")
    fresh, appended = DuckDBEngine(rebuilt), DuckDBEngine(tmp_path)
    try:
        for spec, scope in random_specs(fresh, 60, seed=5):
            query = compile_query(spec, fresh.dialect, scope)
            assert_frame_equal(fresh.execute_spec(spec, query, scope)[0], appended.execute_spec(spec, query, scope)[0],
                               check_exact=True)
    finally:
        fresh.close()
        appended.close()


def test_rollups_are_used_where_the_pages_need_them(demo_store: Path) -> None:
    """The views every page opens with are answered from rollups, not the lines (else the
    equality tests above could pass with rollups that are never used)."""
    engine = DuckDBEngine(demo_store)
    year = Filters.create(start=dt.date(DEMO_END.year - 1, DEMO_END.month + 1 if DEMO_END.month < 12 else 1, 1),
                          end=DEMO_END, branch=["Mombasa", "Kisumu"])
    try:
        for filters in (Filters(), year):
            for dims in (("salesperson",), ("product_line",), ("salesperson", "product_line"), ("customer",),
                         ("item_name", "item_group", "product_line")):  # the Products page's item table
                spec = QuerySpec("page", filters=filters, dimensions=dims)
                _, source = engine.execute_spec(spec, compile_query(spec, engine.dialect), UNRESTRICTED)
                assert source.startswith("rollup_") and LINES not in source.split("+"), (filters, dims, source)
    finally:
        engine.close()


def test_distinct_customers_come_from_the_rollups_without_salesperson(demo_store: Path) -> None:
    """The Overview's summary, trend and branch and customer breakdowns, and every product-line
    breakdown, count customers from the rollups that leave salesperson out (fewer rows to hash),
    and answer what the lines answer."""
    engine = DuckDBEngine(demo_store)
    year = Filters.create(start=dt.date(DEMO_END.year - 1, DEMO_END.month + 1 if DEMO_END.month < 12 else 1, 1),
                          end=DEMO_END, branch=["Mombasa", "Kisumu"])
    expected = {((), None): "rollup_branch_customer_month", (("branch",), None): "rollup_branch_customer_month",
                (("customer",), None): "rollup_branch_customer_month", ((), "month"): "rollup_branch_customer_month",
                (("product_line",), None): "rollup_line_customer_month"}
    try:
        for (dims, grain), table in expected.items():
            spec = QuerySpec("view", filters=year, dimensions=dims, grain=grain)
            query = compile_query(spec, engine.dialect)
            actual, source = engine.execute_spec(spec, query, UNRESTRICTED)
            assert source.split("+")[0] == table, (dims, grain, source)
            assert_frame_equal(actual, engine.execute(query), check_exact=True)
    finally:
        engine.close()


def _same(a: object, b: object, path: str = "") -> None:
    """Structural equality; floats may differ by summation-order noise only, never by a cent.

    (Some page frames sum floats in a Polars ``group_by``, whose order varies from run to run even
    on the same path: the last binary digits of a share can differ between two identical renders.)"""
    if isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, int | float) and isinstance(b, int | float), path
        tolerance = min(1e-9 * max(1.0, abs(a), abs(b)), 0.004)
        assert a == b or abs(a - b) <= tolerance, f"{path}: {a} != {b}"
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), path
        for key in a:
            _same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{index}]")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def _render(sections: list, filters: Filters) -> object:  # type: ignore[type-arg]
    """Each section as its callback runs it on first load (extra inputs at their defaults)."""
    from components.state import render_section

    out = []
    for section in sections:
        params = list(inspect.signature(section).parameters.values())[1:]
        extra = [p.default if p.default is not inspect.Parameter.empty else None for p in params]
        with service.collect_stats():
            out.append(render_section(lambda s=section, e=extra: s(filters, *e)))
    return json.loads(json.dumps(out, cls=plotly.utils.PlotlyJSONEncoder))


@pytest.mark.parametrize("seed", [1, 2])
def test_pages_render_the_same_figures_with_and_without_rollups(demo_store: Path, seed: int) -> None:
    """Every section of every page, for random views: the same components and figures, to the cent."""
    import importlib

    from app import PAGE_MODULES, create_app
    from app.config import Settings
    from components.callbacks import SECTIONS

    create_app(Settings(data_dir=demo_store, cache_backend="none", redis_url=None))
    pages = {name: SECTIONS[name] for name in PAGE_MODULES if importlib.import_module(name) and name in SECTIONS}
    rng = random.Random(seed)
    plain = DuckDBEngine(demo_store, rollups=False)
    fast = DuckDBEngine(demo_store)
    start = dt.date(2023, rng.randint(1, 12), 1)
    views = [Filters(), Filters.create(start=start, end=_month_end(start + dt.timedelta(days=rng.randint(40, 400))),
                                       branch=rng.sample(["Mombasa", "Kisumu", "Nairobi CBD", "Westlands"], 2))]
    try:
        for name, sections in pages.items():
            for filters in views:
                service.configure(plain)
                service._MEMO.clear()
                expected = _render(sections, filters)
                service.configure(fast)
                service._MEMO.clear()
                _same(_render(sections, filters), expected, name)
    finally:
        plain.close()
        fast.close()


def _rollup_columns(store_dir: Path) -> tuple[dict[tuple[str, str], str], dict[str, bool]]:
    """(table, column) -> type of every rollup column, and whether each dated rollup's rows are
    in date order."""
    import duckdb

    from data.rollups import ROLLUPS
    from data.store import SnapshotStore

    store = SnapshotStore(store_dir)
    con = duckdb.connect(str(store.snapshot_path(store.manifest())), read_only=True)
    try:
        tables = [r.table for r in ROLLUPS]
        types = {(t, c): kind for t, c, kind in con.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE list_contains(?, table_name)",
            [tables]).fetchall()}
        ordered = {r.table: con.execute(f"SELECT bool_and(sale_date >= previous) FROM (SELECT sale_date, "
                                        f"lag(sale_date) OVER (ORDER BY rowid) AS previous FROM {r.table})"
                                        ).fetchall()[0][0] is not False
                   for r in ROLLUPS if r.time}
        return types, ordered
    finally:
        con.close()


def test_sums_stored_narrow_until_an_append_needs_them_wide(tmp_path: Path, demo_frame: pl.DataFrame) -> None:
    """Rollup sums are stored as BIGINT, a fresh table's rows in date order; an append whose money adds up past
    2^63 units widens the columns it needs first, and every answer stays exact."""
    base = demo_frame.head(4_000)
    build_store(tmp_path, base, name="base")
    types, ordered = _rollup_columns(tmp_path)
    assert types[("rollup_customer_day", "p_revenue")] == "BIGINT" and types[("rollup_line_month", "t0")] == "BIGINT"
    assert all(ordered.values()), ordered
    # Two lines of 600 trillion shillings: 6e18 units each, 1.2e19 together, past BIGINT's 9.2e18.
    huge = demo_frame.slice(4_000, 2).with_columns(pl.lit(6e14).alias("revenue"), pl.lit("Huge Ltd").alias("customer"))
    build_store(tmp_path, pl.concat([huge, demo_frame.slice(4_002, 500)]), mode="append", name="huge")
    types, _ = _rollup_columns(tmp_path)  # appended rows are sorted among themselves, after the others
    assert {kind for (table, column), kind in types.items() if column in ("p_revenue", "p_gross_profit")} == {"HUGEINT"}
    assert types[("rollup_customer_day", "p_cost")] == "BIGINT"  # the costs still fit
    engine = DuckDBEngine(tmp_path)
    try:
        total = engine.execute(compile_query(QuerySpec("t", aggregates=("revenue",)), engine.dialect))["revenue"][0]
        expected = (sum(round(v * 10_000) for v in base["revenue"]) + 2 * 6 * 10**18
                    + sum(round(v * 10_000) for v in demo_frame.slice(4_002, 500)["revenue"]))
        assert int(total) == expected  # units of 1/10,000 KSh, as the engine answers
        assert_same_answers(engine, random_specs(engine, 60, seed=17))
    finally:
        engine.close()
