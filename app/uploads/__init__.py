"""Loading data from the browser (the Data page): uploads streamed to disk, background ingest jobs
whose state any worker can read, and the log of attempts the store's history does not keep.

``register_uploads`` installs the upload route and the guard that keeps the page, its callbacks and
its endpoints to users allowed to load data (``may("load")``) and to same-origin requests."""

from __future__ import annotations

from app.uploads.routes import register_uploads

__all__ = ["register_uploads"]
