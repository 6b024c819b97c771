"""Where uploaded bytes live: ``<data dir>/uploads/<random id><suffix>``, never a name the user chose.

The user's file name is kept only as display text (``display_name``: no directories, no control
characters, bounded length) in a small JSON file beside the bytes. The suffix comes from that name
only when it is short and alphanumeric, so ``mauzo ingest``'s readers can tell CSV from Excel from
Parquet the same way as on the command line; everything else about the path is ours.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

UPLOAD_DIR = "uploads"
JOBS_DIR = "jobs"
ATTEMPTS_FILE = "attempts.json"
CHUNK = 256 * 1024
MAX_NAME_CHARS = 120
# Uploads are kept so a rejected file can be loaded again with another mapping; a day later they go.
KEEP_SECONDS = 24 * 3600
_ID = re.compile(r"^[0-9a-f]{32}$")
_SUFFIX = re.compile(r"^\.[a-z0-9]{1,10}$")


class TooLarge(Exception):
    """The body went past the size limit while it was being written."""


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its id, where it is, and what to call it."""

    id: str
    name: str  # display text only
    size: int
    suffix: str
    uploaded_at: float
    user: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def display_name(raw: str | None) -> str:
    """A file name fit to show: the last path part, control and bidi-override characters (which
    can make ``exe.csv`` read as ``vsc.exe``) and leading dots removed, cut to length."""
    text = unicodedata.normalize("NFC", raw or "")
    text = re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", text)
    text = re.split(r"[\\/]", text)[-1].strip().lstrip(".").strip()
    if len(text) > MAX_NAME_CHARS:
        stem, dot, suffix = text.rpartition(".")
        keep = suffix if dot and len(suffix) <= 10 else ""
        text = text[: MAX_NAME_CHARS - len(keep) - 2] + "…" + (f".{keep}" if keep else "")
    return text or "upload"


def safe_suffix(name: str) -> str:
    """``.csv`` from ``March sales.CSV``; ``""`` when the name has no plain short extension."""
    suffix = Path(name).suffix.lower()
    return suffix if _SUFFIX.match(suffix) else ""


def write_json_atomically(path: Path, data: Any) -> None:
    """Write a small JSON file so a reader in another process sees the old or the new one, whole."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, default=str)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


class UploadArea:
    """The uploads directory of one store."""

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir).resolve() / UPLOAD_DIR

    def ensure(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        return self.root

    def path_of(self, upload: Upload) -> Path:
        return self.root / f"{upload.id}{upload.suffix}"

    def _meta_path(self, upload_id: str) -> Path:
        return self.root / f"{upload_id}.json"

    def receive(self, stream: BinaryIO, name: str | None, limit: int, user: str | None = None) -> Upload:
        """Copy ``stream`` to a new file, counting bytes: past ``limit`` the copy stops, the partial
        file is removed and ``TooLarge`` is raised (a body may have no or a false Content-Length)."""
        self.ensure()
        self.prune()
        upload_id = secrets.token_hex(16)
        shown = display_name(name)
        suffix = safe_suffix(shown)
        part = self.root / f".{upload_id}.part"
        size = 0
        try:
            with open(part, "wb") as out:
                while block := stream.read(CHUNK):
                    size += len(block)
                    if size > limit:
                        raise TooLarge(f"more than {limit:,} bytes")
                    out.write(block)
            upload = Upload(upload_id, shown, size, suffix, time.time(), user)
            os.replace(part, self.path_of(upload))
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        write_json_atomically(self._meta_path(upload_id), upload.to_dict())
        return upload

    def get(self, upload_id: str | None) -> Upload | None:
        """The upload with this id, if it is still here (an id that is not ours is never a path)."""
        if not upload_id or not _ID.match(str(upload_id)):
            return None
        raw = read_json(self._meta_path(upload_id))
        if not isinstance(raw, dict):
            return None
        upload = Upload(**{k: raw.get(k) for k in Upload.__dataclass_fields__})
        return upload if self.path_of(upload).is_file() else None

    def remove(self, upload: Upload) -> None:
        self.path_of(upload).unlink(missing_ok=True)
        self._meta_path(upload.id).unlink(missing_ok=True)

    def prune(self, now: float | None = None) -> None:
        """Remove uploads (and stray partial files) older than ``KEEP_SECONDS``."""
        cutoff = (now or time.time()) - KEEP_SECONDS
        for path in self.root.glob("*"):
            if path.is_file() and path.name != ATTEMPTS_FILE and not path.name.startswith(".attempts"):
                try:
                    if path.stat().st_mtime < cutoff:
                        path.unlink(missing_ok=True)
                except OSError:
                    continue
