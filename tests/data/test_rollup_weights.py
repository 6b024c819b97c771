"""Transaction weights (``rollup_build.transaction_weights``) against a plain group-by: each line's
weight at each level is UNIT divided by the size of its class (transaction, then transaction and
product line, ...), 0 for an irregular transaction or a null key, UNIT for a line without an invoice;
whether the classes are sorted by one packed integer or, when that would not fit, by several keys."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from data import rollup_build
from data.rollups import LEVELS, TXN_CONSTANT, UNIT
from ingest.demo import generate
from ingest.storage import to_storage
from tests.conftest import DEMO_END


def _lines() -> pl.DataFrame:
    lines = to_storage(generate(rows=3_000, seed=5, end=DEMO_END)).select(rollup_build.LINE_COLUMNS)
    index = pl.int_range(pl.len())
    return lines.with_columns(
        pl.when(index % 17 == 0).then(None).otherwise(pl.col("invoice_id")).alias("invoice_id"),
        pl.when(index % 29 == 0).then(None).otherwise(pl.col("branch")).alias("branch"),
        pl.when(index % 31 == 0).then(None).otherwise(pl.col("item_group")).alias("item_group"),
        # A different salesperson on some lines makes their transactions irregular.
        pl.when(index % 37 == 0).then(pl.lit("Someone Else")).otherwise(pl.col("salesperson")).alias("salesperson"),
    )


def _by_group_by(lines: pl.DataFrame) -> np.ndarray:
    key = ["branch", "invoice_id"]
    frame = lines.with_columns(
        pl.any_horizontal([pl.col(c).n_unique().over(key) > 1 for c in TXN_CONSTANT]).alias("irregular"))
    columns = []
    for number, level in enumerate(LEVELS):
        size = pl.len().over([*key, *level])
        columns.append(
            pl.when(pl.col("invoice_id").is_null()).then(UNIT)
            .when(pl.col("branch").is_null() | pl.col("irregular")).then(0)
            .otherwise(UNIT // size).cast(pl.Int64).alias(f"w{number}"))
    return frame.select(columns).to_numpy()


@pytest.mark.parametrize("packed", [True, False])
def test_weights_equal_a_plain_group_by(packed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = _lines()
    if not packed:
        monkeypatch.setattr(rollup_build, "_mixed_radix", lambda columns: None)
    weights, irregular = rollup_build.transaction_weights(lines)
    expected = _by_group_by(lines)
    assert irregular.sum() > 50 and (expected == UNIT).any() and (expected == 0).any()
    assert (weights == expected).all()
    coded, _ = rollup_build._encode(lines)
    assert (rollup_build.transaction_weights(lines, (), coded)[0] == expected).all()


def test_sparse_codes_pack_into_one_integer_in_lexicographic_order() -> None:
    """Dictionary codes share one numbering across columns, so they are sparse: packed as they are,
    these four would need 40 + 3 x 21 bits. Made dense first, they fit, and the order is the columns'."""
    rng = np.random.default_rng(3)
    columns = [rng.choice([-1, 7, 2**40], 5_000), *(rng.choice([-1, 5, 2**20, 2**21 - 3], 5_000) for _ in range(3))]
    packed = rollup_build._mixed_radix(columns)
    assert packed is not None
    lexicographic = np.lexsort(tuple(reversed(columns)))
    assert (np.diff(packed[lexicographic]) >= 0).all()  # sorted by the columns means sorted by the packed value
    keys = np.stack(columns, axis=1)[lexicographic]
    same_keys = (keys[1:] == keys[:-1]).all(axis=1)
    ordered = packed[lexicographic]
    assert ((ordered[1:] == ordered[:-1]) == same_keys).all()  # equal exactly when the keys are
    assert not same_keys.all() and same_keys.any()
