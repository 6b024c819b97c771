"""The declarations in words: ``docs/metrics.md`` is generated from here (``python -m data.catalog``),
and a test fails when the file and the declarations disagree."""

from __future__ import annotations

from data.datasets import DATASETS
from data.dimensions import DIMENSIONS
from data.filters import COMPARE_MODES

_UNITS = {"money": "KSh", "pct": "%", "count": "count", "number": "number", "date": "date"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def catalog_markdown() -> str:
    """Markdown for every dataset's dimensions and metrics, in declaration order."""
    out = [
        "# Dimensions and metrics",
        "",
        "Generated from the declarations in `data/dimensions.py`, `data/metrics.py` and `data/datasets.py` by",
        "`python -m data.catalog > docs/metrics.md`; `tests/data/test_catalog.py` fails when this file is stale.",
        "",
    ]
    for dataset in DATASETS.values():
        out += [f"## Dataset `{dataset.name}` (table `{dataset.table}`, dates on `{dataset.time_column}`)", "",
                "### Dimensions", "",
                "| dimension | URL / REST argument | global filter | cross-filter | description |",
                "| --- | --- | --- | --- | --- |"]
        for name in dataset.dimensions:
            dim = DIMENSIONS[name]
            out.append(f"| {dim.label} (`{dim.name}`) | {f'`{dim.arg}`' if dim.filter else '—'} | "
                       f"{'yes' if dim.filter else 'no'} | {'yes' if dim.cross_filter else 'no'} | "
                       f"{_cell(dim.description)} |")
        out += ["", "### Metrics", "",
                "| metric | REST name | unit | how | headline KPI | definition |",
                "| --- | --- | --- | --- | --- | --- |"]
        for metric in dataset.metrics.values():
            if not metric.public:
                continue
            rest = metric.name.split("_")[0] + "".join(p.title() for p in metric.name.split("_")[1:])
            how = "SQL aggregate" if metric.additive else "after aggregation, from " + ", ".join(
                f"`{i}`" for i in metric.inputs)
            out.append(f"| {metric.label} | `{rest}` | {_UNITS[metric.kind]} | {how} | "
                       f"{'yes' if metric.kpi else ''} | {_cell(metric.description)} |")
        hidden = [m for m in dataset.metrics.values() if not m.public]
        if hidden:
            out += ["", "Building blocks (computed but not shown): "
                    + "; ".join(f"`{m.name}` ({_cell(m.description)})" for m in hidden) + "."]
        out.append("")
    out += ["## Comparison periods", "",
            f"`compare` is one of {', '.join(f'`{m}`' for m in COMPARE_MODES)}: `previous` is the period of "
            "equal length that ends the day before; `lastYear` the same dates a year earlier (29 February "
            "becomes the 28th); `auto` (the default) is `lastYear` for a range that starts on the first day of "
            "a year, quarter or month and ends within it (year, quarter or month to date, or the whole of one), "
            "`previous` otherwise.", ""]
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover
    print(catalog_markdown(), end="")
