"""The Data page's ingest history: the store's own history (what was loaded, by whom) merged with
the log of attempts that changed nothing (rejected files, checks, nothing new), newest first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.uploads.jobs import JobBook
from data.schema import OPPORTUNITIES_TABLE
from data.store import SnapshotStore

LIMIT = 50


def _loaded(entry: dict[str, Any]) -> dict[str, Any]:
    upgrade = entry.get("mode") == "upgrade"
    return {
        "ingested_at": entry.get("ingested_at"), "file_name": entry.get("file_name"),
        "dataset": None if upgrade else "pipeline" if entry.get("table") == OPPORTUNITIES_TABLE else "sales",
        "rows": entry.get("rows"), "mode": entry.get("mode"),
        "outcome": "storage upgrade" if upgrade else "loaded", "user": entry.get("user"),
        "summary": f"data version {entry.get('data_version')}",
    }


def history_rows(data_dir: Path, limit: int = LIMIT) -> list[dict[str, Any]]:
    manifest = SnapshotStore(data_dir).manifest()
    loaded = [_loaded(e) for e in (manifest.history if manifest else [])]
    rows = loaded + JobBook(data_dir).attempts()
    rows.sort(key=lambda r: str(r.get("ingested_at") or ""), reverse=True)
    return rows[:limit]
