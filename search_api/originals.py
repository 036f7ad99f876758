"""Uploaded originals on disk: one folder per content hash (``<sha256[:16]>/<safe name>``), and where
a document's original is (``original_file``: its upload, or the file a folder index read it from,
either only while its bytes are still the document's, so a file edited since is never handed out).

Saving an upload and removing the original of a document that left the index take one lock (a file
beside the jobs, so every worker process takes the same one): a deletion never removes a file an
upload saved for a job not finished yet, even when the same file is deleted and uploaded again at
once. The janitor removes only content folders and stale partial files, nothing else it may find.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CONTENT_FOLDER = re.compile(r"^[0-9a-f]{16}$")
LOCK_FILE = "originals.lock"
LOCK_WAIT_S = 60.0


@contextlib.contextmanager
def originals_lock(upload_dir: Path) -> Iterator[None]:
    """Held while files are saved and their job recorded, and while originals are removed."""
    from filelock import FileLock

    folder = upload_dir / ".jobs"
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(folder / LOCK_FILE, timeout=LOCK_WAIT_S):
        yield


def remove_upload(path: Path) -> None:
    """Remove one saved original and its content folder when that is left empty."""
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # not empty: another name of the same content is kept
        path.parent.rmdir()


def forget_original(upload_dir: Path, content_hash: str, name: str, claimed: set[Path], used: set[tuple[str, str]]) -> None:
    """Remove the original ``name`` of a document that left the index, unless an unfinished job
    claims it (``claimed``) or an indexed document is that file (``used``: (folder, name) pairs)."""
    path = upload_dir / content_hash[:16] / name
    if path in claimed or (path.parent.name, path.name) in used:
        return
    remove_upload(path)


def sweep_orphans(upload_dir: Path, keep: set[str], claimed: set[Path], older_than_s: float) -> list[Path]:
    """Remove upload files older than ``older_than_s`` in content folders no document uses
    (``keep``: folder names) and that no unfinished job claims; also stale partial files. Folders
    that are not content folders (an audit folder put here, the jobs) are never touched."""
    removed: list[Path] = []
    if not upload_dir.is_dir():
        return removed
    cutoff = time.time() - older_than_s
    for entry in upload_dir.iterdir():
        if entry.name in keep:
            continue
        if entry.is_file() and entry.name.startswith(".part-") and _mtime(entry) < cutoff:
            entry.unlink(missing_ok=True)
            removed.append(entry)
        elif entry.is_dir() and CONTENT_FOLDER.match(entry.name) and not any(
                p in claimed or _mtime(p) >= cutoff for p in entry.iterdir()):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return time.time()

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
