"""REST routes."""

from __future__ import annotations

from flask import Blueprint, jsonify

blueprint = Blueprint("api", __name__, url_prefix="/api")


@blueprint.get("/health")
def health():  # type: ignore[no-untyped-def]
    return jsonify({"data": {"status": "ok"}, "error": None, "metadata": {}})
