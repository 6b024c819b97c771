"""Mauzo data layer: filters -> parameterized SQL -> engine -> Polars.

Pages, the REST API and tests import from here; nothing else talks to an engine.
"""
