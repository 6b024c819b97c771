"""Engines: one module per backend behind the ``Engine`` protocol in ``base``."""
