"""Benchmarks (run ``python -m bench``): measured side by side in one run, reported as ratios."""
