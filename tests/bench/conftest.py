"""``bench`` is a top-level folder of the repository, not an installed package: make it importable."""

from __future__ import annotations

import sys

from tests.conftest import REPO_ROOT

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
