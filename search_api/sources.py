"""Where a document's original file is: its upload (``<upload_dir>/<sha256[:16]>/<name>``) or the file a
folder index read it from (the manifest's sources); either only while its bytes are still the
document's (same SHA-256), so a file edited since indexing is never handed out as the original."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

_checked: dict[tuple[str, int, int], str] = {}  # (path, size, mtime_ns) -> sha256, so a file is hashed once
_checked_lock = threading.Lock()


def original_file(service: Any, document: Any) -> Path | None:
    """The original of ``document``, or None when no file with its content is at hand."""
    candidates = [Path(service.settings.upload_dir) / document.content_hash[:16] / document.source]
    sources = getattr(service.searcher.index.manifest, "sources", {}) or {}
    candidates += [Path(key) for key, entry in sources.items() if entry.get("doc_id") == document.doc_id]
    for path in candidates:
        if path.is_file() and sha256_of(path) == document.content_hash:
            return path
    return None


def sha256_of(path: Path) -> str:
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _checked_lock:
        known = _checked.get(key)
    if known is None:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        known = digest.hexdigest()
        with _checked_lock:
            _checked[key] = known
    return known
