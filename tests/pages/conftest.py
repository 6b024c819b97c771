"""Page modules register themselves with Dash, which needs an app instance first; build one
(uncached, over an empty temp store) before the page tests import their modules."""

from __future__ import annotations

import tempfile
from pathlib import Path

from app import create_app
from app.config import Settings

_STORE = Path(tempfile.mkdtemp(prefix="mauzo-pages-"))
APP = create_app(Settings(data_dir=_STORE, redis_url=None, cache_backend="none"))
