"""Write-once JSON files: the local outbox and event log of the embedded default.

A file is written under a temporary name, flushed, then hard-linked to its final name. `link`
fails if the name exists, so a retried write of the same key is a no-op, and a reader never sees
half a file, even if the worker is killed mid-write.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def key_name(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def write_once(folder: Path, key: str, document: dict[str, Any]) -> bool:
    """Write `document` as `folder/<hash(key)>.json` unless it exists. True if written now."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{key_name(key)}.json"
    if final.exists():
        return False
    fd, temp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, ensure_ascii=False, indent=1, default=str)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temp, final)
        except FileExistsError:
            return False
        return True
    finally:
        os.unlink(temp)


def read_all(folder: Path) -> list[dict[str, Any]]:
    if not folder.exists():
        return []
    return [json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.json"))]
