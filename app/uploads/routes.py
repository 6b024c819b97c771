"""``POST /data/upload`` and the guard of everything the Data page can reach.

The body is the file's raw bytes (``fetch``/XHR ``send(file)``), its display name in
``X-Upload-Name`` (percent-encoded). A body over ``MAUZO_MAX_UPLOAD_MB`` is refused from its
Content-Length before a byte is read, and the copy to disk counts bytes so a body without a length,
or with a false one, stops at the limit too.

Cross-site requests: with ``MAUZO_AUTH=basic`` a browser attaches the credentials to a request
another site makes it send, so a state-changing request must prove it comes from our own pages. An
``Origin`` (or, without one, a ``Referer``) naming another host is refused, and the upload must
carry the ``X-Mauzo-Upload`` header, which a cross-site form cannot send and a cross-site script
cannot send without a CORS preflight we never answer.
"""

from __future__ import annotations

import shutil
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from app.access_login import current_user, may
from app.config import Settings
from app.uploads.files import TooLarge, UploadArea

PAGE_PATH = "/data"
UPLOAD_PATH = "/data/upload"
CALLBACK_PATH = "/_dash-update-component"
# Every component id of the Data page starts with this (string ids) or has a "type" starting with it.
ID_PREFIX = "data-"
UPLOAD_HEADER = "X-Mauzo-Upload"
NAME_HEADER = "X-Upload-Name"
# Free disk space an upload must leave behind (the ingest writes a snapshot after it).
DISK_RESERVE = 64 * 1024 * 1024

blueprint = Blueprint("uploads", __name__)


def _settings() -> Settings:
    return current_app.config["MAUZO_SETTINGS"]


def _refuse(status: int, message: str, **headers: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    response.headers.update(headers)
    return response


def limit_text(limit: int) -> str:
    mb = limit / (1024 * 1024)
    return f"{mb:,.0f} MB" if mb >= 10 else f"{mb:,.2g} MB"


def too_large_message(limit: int) -> str:
    return (f"the file is larger than the upload limit of {limit_text(limit)} (MAUZO_MAX_UPLOAD_MB); "
            "split it, or load it with `mauzo ingest` on the server")


def same_origin() -> bool:
    """Whether the request says it comes from a page of this host (no Origin and no Referer: a
    client that is not a browser, which cannot be made to send credentials by another site)."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source:
        return True
    if source == "null":
        return False
    return urlsplit(source).netloc.lower() == request.host.lower()


def user_name() -> str | None:
    user = current_user()
    return user.name if user is not None else None


@blueprint.post(UPLOAD_PATH)
def upload() -> Response:
    if not may("load"):
        return _refuse(403, "your account may not load data (ask for the load role)")
    if not same_origin() or request.headers.get(UPLOAD_HEADER) != "1":
        return _refuse(403, "cross-site upload refused")
    limit = _settings().max_upload_bytes
    length = request.content_length
    if length is not None and length > limit:
        # Connection: close, so the server does not read the rest of the body to reuse the connection.
        return _refuse(413, too_large_message(limit), Connection="close")
    area = UploadArea(_settings().data_dir)
    area.ensure()
    if length is not None and shutil.disk_usage(area.root).free < length + DISK_RESERVE:
        return _refuse(507, "not enough free disk space on the server for this file", Connection="close")
    name = unquote(request.headers.get(NAME_HEADER, ""), errors="replace")
    try:
        saved = area.receive(request.stream, name, limit, user_name())
    except TooLarge:
        return _refuse(413, too_large_message(limit), Connection="close")
    if saved.size == 0:
        area.remove(saved)
        return _refuse(400, "the file is empty (0 bytes)")
    return jsonify({"id": saved.id, "name": saved.name, "size": saved.size})


def _callback_ids(body: Any) -> list[str]:
    """The ids a Dash callback request writes or reads (pattern ids by their ``type``)."""
    if not isinstance(body, dict):
        return []
    found: list[str] = []
    for key in ("outputs", "inputs", "state"):
        items = body.get(key) or []
        for item in items if isinstance(items, list) else [items]:
            for one in item if isinstance(item, list) else [item]:
                ident = one.get("id") if isinstance(one, dict) else None
                found.append(str(ident.get("type", "")) if isinstance(ident, dict) else str(ident or ""))
    return found


def guard() -> Response | None:
    """App ``before_request`` hook: the page, its callbacks and its endpoints only for users who may
    load data, and state changes only from our own pages."""
    path = request.path.rstrip("/")
    if path == PAGE_PATH and not may("load"):
        return Response("403: your account may not load data (ask for the load role)\n", status=403,
                        mimetype="text/plain")
    if request.path == CALLBACK_PATH and request.method == "POST":
        ids = _callback_ids(request.get_json(silent=True))
        if any(i.startswith(ID_PREFIX) for i in ids):
            if not may("load"):
                return _refuse(403, "your account may not load data")
            if not same_origin():
                return _refuse(403, "cross-site request refused")
    return None


def register_uploads(server: Flask) -> None:
    server.register_blueprint(blueprint)
    server.before_request(guard)
