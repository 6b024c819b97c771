"""Rollups aggregated by integer codes (``rollup_build._encode``), and the coarser rollups built from
their still-coded rows, hold exactly what aggregating by the text gives, nulls included; and a store
built by appends holds, per rollup grain, the same partials as one built from all its lines at once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
from polars.testing import assert_frame_equal

from data import rollup_build
from data.rollups import ROLLUPS, metric_form, partial_metrics, read_catalog
from data.store import SnapshotStore
from ingest.demo import generate
from ingest.storage import to_storage
from tests.conftest import DEMO_END, build_store


def _with_gaps(frame: pl.DataFrame) -> pl.DataFrame:
    """Some lines without a customer, an item group or a salesperson (nulls must group together)."""
    index = pl.int_range(pl.len())
    return frame.with_columns(
        pl.when(index % 7 == 0).then(None).otherwise(pl.col("customer")).alias("customer"),
        pl.when(index % 11 == 0).then(None).otherwise(pl.col("item_group")).alias("item_group"),
        pl.when(index % 13 == 0).then(None).otherwise(pl.col("salesperson")).alias("salesperson"),
    )


def test_coded_aggregation_equals_aggregating_the_text() -> None:
    lines = to_storage(_with_gaps(generate(rows=4_000, seed=21, end=DEMO_END))).select(rollup_build.LINE_COLUMNS)
    coded, dictionaries = rollup_build._encode(lines)
    weights, _ = rollup_build.transaction_weights(lines, (), coded)
    assert (weights == rollup_build.transaction_weights(lines)[0]).all()
    days = rollup_build.customer_day_weights(lines, None, coded)
    assert (days == rollup_build.customer_day_weights(lines)).all()
    con = duckdb.connect()
    try:
        con.register("text_lines", rollup_build._with_weights(lines, weights, days))
        con.register("coded_lines", rollup_build._with_weights(coded, weights, days))
        names = {dim: f"dict_{dim}" for dim in dictionaries}
        for dim, frame in dictionaries.items():
            con.register(names[dim], frame)
        for rollup in (r for r in ROLLUPS if r.source is None):
            text_sql, params = rollup_build._from_lines(rollup, "text_lines", 1)
            coded_sql, coded_params = rollup_build._from_lines(rollup, "coded_lines", 1, names)
            by_text = con.sql(f"SELECT * FROM ({text_sql}) ORDER BY ALL", params=params).pl()
            by_code = con.sql(f"SELECT * FROM ({coded_sql}) ORDER BY ALL", params=coded_params).pl()
            assert by_text.height > 100 and any(by_text[dim].null_count() > 0 for dim in rollup.dims)
            assert_frame_equal(by_code, by_text)
            # Kept coded, the same rows feed the coarser rollups built from this one.
            con.execute(f"CREATE TABLE text_{rollup.table} AS {text_sql}", params)
            con.execute(f"CREATE TABLE coded_{rollup.table} AS {rollup_build._from_lines(rollup, 'coded_lines', 1)[0]}",
                        params)
        sources = {r.table: r for r in ROLLUPS}
        for rollup in (r for r in ROLLUPS if r.source is not None):
            source = sources[rollup.source]  # type: ignore[index]
            text_sql = rollup_build._from_rollup(rollup, source, 1, f"text_{source.table}")
            coded_sql = rollup_build._decoded(rollup, rollup_build._from_rollup(rollup, source, 1,
                                                                               f"coded_{source.table}"), names)
            by_text = con.sql(f"SELECT * FROM ({text_sql}) ORDER BY ALL").pl()
            assert by_text.height > 100
            assert_frame_equal(con.sql(f"SELECT * FROM ({coded_sql}) ORDER BY ALL").pl(), by_text)
    finally:
        con.close()


def _partials(store: Path) -> dict[str, pl.DataFrame]:
    """Each rollup's partials combined per grain (batches and corrections folded together)."""
    snapshot = SnapshotStore(store)
    con = duckdb.connect(str(snapshot.snapshot_path(snapshot.manifest())), read_only=True)
    try:
        assert read_catalog(con) is not None
        out = {}
        for rollup in ROLLUPS:
            grain = ", ".join(rollup.grain)
            combine = []
            for name, metric in partial_metrics().items():
                kind = metric_form(metric).kind  # type: ignore[union-attr]
                combine.append(f"{ {'sum': 'SUM', 'min': 'MIN', 'max': 'MAX'}[kind]}(p_{name}) AS p_{name}")
            query = f"SELECT {grain}, {', '.join(combine)} FROM {rollup.table} GROUP BY ALL ORDER BY ALL"
            out[rollup.table] = con.sql(query).pl()
        return out
    finally:
        con.close()


def test_appends_hold_the_partials_of_a_rebuild(tmp_path: Path) -> None:
    first = _with_gaps(generate(rows=3_000, seed=31, end=DEMO_END))
    later = generate(rows=600, seed=32, end=DEMO_END + dt.timedelta(days=20)).with_columns(
        (pl.lit("N-") + pl.col("invoice_id")).alias("invoice_id"))
    # Lines added to invoices already in the store (they turn irregular) on days customers already had.
    touching = first.head(200).with_columns(pl.col("item_name").reverse(), pl.col("revenue") * 2)
    build_store(tmp_path / "appended", first, name="first")
    build_store(tmp_path / "appended", later, mode="append", name="later")
    build_store(tmp_path / "appended", touching, mode="append", name="touching")
    build_store(tmp_path / "rebuilt", pl.concat([first, later, touching]), name="all")
    appended, rebuilt = _partials(tmp_path / "appended"), _partials(tmp_path / "rebuilt")
    for table, expected in rebuilt.items():
        assert expected.height > 0
        assert_frame_equal(appended[table], expected, check_exact=True)
