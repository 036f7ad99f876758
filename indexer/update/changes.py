"""What an update changes, decided once for every backend: files scanned, documents added, ids removed.

Each function applies one kind of change to a writer's working copy (``indexer.index.working_copy``)
and records it in the run's report; the stores differ only in how they load that copy and commit it. Files and documents are compared by content hash, so only what is
new or changed is read again and embedded. A removal leaves a tombstone, so re-indexing a folder
that still holds the file does not bring the document back; adding the document explicitly
(an upload) undoes it.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from indexer.errors import NotFound, UnreadableFile, defect_reason
from indexer.gongwen.documents import load_document
from indexer.index.report import UpdateReport
from indexer.index.working_copy import WorkingCopy
from indexer.ingest import check_file, iter_files
from indexer.models import Document
from indexer.update.embedding import progress_bar

DocumentReader = Callable[[Path, str], Document]  # a file and its source name -> the document (UnreadableFile)
DELETED_REASON = "deleted from the index by id; add the file explicitly (upload it) to restore it"
log = logging.getLogger(__name__)


def apply_files(
    state: WorkingCopy, paths: Iterable[Path | str], report: UpdateReport, *, prune: bool, progress: bool,
    read: DocumentReader = load_document,
) -> None:
    """Bring ``state`` in line with the files under ``paths``, each new or changed one read by ``read``;
    with ``prune``, forget vanished files."""
    files = list(scan(paths))
    if prune:
        seen = {key for key, _, _ in files}
        for key in [k for k in state.sources if k not in seen]:
            entry = state.sources.pop(key)
            state.discard(entry["doc_id"])
            report.removed.append(entry["source"])
            state.dirty = True
    for key, path, source in progress_bar(progress, iterable=files, desc="reading", unit="file"):
        try:
            check_file(path)  # before hashing it: reading a FIFO would block the run
            sha = sha256(path)
            old = state.sources.get(key)
            if old and old["sha256"] == sha and old["doc_id"] in state.documents:
                report.unchanged += 1
                continue
            if any(entry.get("sha256") == sha for entry in state.deleted.values()):
                report.skipped.append({"source": source, "reason": DELETED_REASON})
                continue
            doc = read(path, source)
        except UnreadableFile as error:
            report.failed.append({"source": source, "reason": error.reason})
            continue
        except OSError as error:
            report.failed.append({"source": source, "reason": error.strerror or str(error)})
            continue
        except Exception as error:  # a bug on one file must not stop the folder
            log.exception("reading %s", path)
            report.failed.append({"source": source, "reason": defect_reason(error)})
            continue
        if doc.doc_id in state.deleted:
            report.skipped.append({"source": source, "reason": DELETED_REASON})
            continue
        twin = next((e["source"] for k, e in state.sources.items() if e["doc_id"] == doc.doc_id and k != key), None)
        state.sources[key] = {"sha256": sha, "doc_id": doc.doc_id, "source": source}
        state.dirty = True
        if old:
            state.discard(old["doc_id"])
        if twin is not None:
            report.skipped.append({"source": source, "reason": f"same content as {twin}"})
            continue
        state.add(state.corrected(doc))
        (report.updated if old else report.added).append(source)


def apply_documents(state: WorkingCopy, documents: Iterable[Document], report: UpdateReport) -> None:
    """Add built documents (uploads, JSONL corpora); one with a known ``source`` replaces that document."""
    by_source = {doc.source: doc_id for doc_id, doc in state.documents.items()}
    for doc in documents:
        doc = state.corrected(doc)
        if state.deleted.pop(doc.doc_id, None) is not None:  # added explicitly: the deletion is undone
            state.dirty = True
        existing = state.documents.get(doc.doc_id)
        if existing is not None and existing.content_hash == doc.content_hash and existing.meta == doc.meta:
            report.unchanged += 1
            continue
        replaced = by_source.get(doc.source)
        if replaced is not None and replaced != doc.doc_id:
            _remove(state, replaced)  # with a tombstone: a folder run must not bring the old file back
        state.add(doc)
        by_source[doc.source] = doc.doc_id
        (report.updated if replaced or existing else report.added).append(doc.source)


def apply_removals(state: WorkingCopy, doc_ids: Iterable[str], report: UpdateReport) -> None:
    """Remove documents by id, each with a tombstone; file sources pointing at them are forgotten."""
    for doc_id in doc_ids:
        doc = state.documents.get(doc_id)
        if doc is None:
            report.failed.append({"source": doc_id, "reason": "no such document in the index"})
            continue
        _remove(state, doc_id)
        report.removed.append(doc.source)


def _remove(state: WorkingCopy, doc_id: str) -> None:
    """Take a document out, leaving its tombstone, and forget the file sources that pointed at it."""
    doc = state.documents[doc_id]
    shas = [e["sha256"] for e in state.sources.values() if e["doc_id"] == doc_id]
    state.deleted[doc_id] = {"source": doc.source, "sha256": shas[0] if shas else doc.content_hash,
                             "deleted_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    for key in [k for k, e in state.sources.items() if e["doc_id"] == doc_id]:
        del state.sources[key]
    state.discard(doc_id)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def scan(paths: Iterable[Path | str]) -> Iterator[tuple[str, Path, str]]:
    """(key, path, source) for each supported file; source is relative to the folder given."""
    for root in map(Path, paths):
        if not root.exists():
            raise NotFound(f"{root}: no such file or folder")
        for path in iter_files([root]):
            source = path.relative_to(root).as_posix() if root.is_dir() else path.name
            yield str(path.resolve()), path, source
