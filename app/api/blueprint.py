"""The ``/api`` blueprint object, with the hooks every API route shares.

Why set up at import: Flask refuses changes to a blueprint once registered, and tests build the
app more than once per process.
"""

from __future__ import annotations

from flask import Blueprint

from app.api.auth import require_token
from app.api.errors import handle_api_error

api = Blueprint("api", __name__, url_prefix="/api")
api.before_request(require_token)
api.register_error_handler(Exception, handle_api_error)
