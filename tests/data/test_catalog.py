"""docs/metrics.md is generated from the declarations and must not go stale."""

from __future__ import annotations

from pathlib import Path

from data.catalog import catalog_markdown
from data.dimensions import FILTER_DIMENSIONS
from data.metrics import public_metrics

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def test_docs_metrics_md_matches_the_declarations():
    assert DOC.read_text(encoding="utf-8") == catalog_markdown(), "run: python -m data.catalog > docs/metrics.md"


def test_every_public_metric_and_filter_is_documented():
    text = catalog_markdown()
    assert all(f"| {m.label} |" in text for m in public_metrics())
    assert all(f"`{d.arg}`" in text for d in FILTER_DIMENSIONS)
