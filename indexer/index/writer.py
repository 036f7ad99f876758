"""Writing the local index folder: incremental, atomic, one writer at a time.

Layout of ``DIR``::

    CURRENT            name of the live generation (replaced with os.replace: the atomic switch)
    .lock, writer.json the writer lock and who holds it
    gen-000007/        one complete, immutable build
        manifest.json  model, dim, factory, chunk settings, versions, counts, sources
        documents.jsonl, chunks.jsonl (row i = FAISS id i = BM25 row i), tokens.jsonl
        embeddings.npy (float32: updates never re-embed, FAISS can be rebuilt), dense.faiss, lexical/

A writer builds a whole new generation beside the live one and only then switches CURRENT, so
a reader - or a writer killed at any instant - only ever sees complete generations. The
previous generation is kept until the next build, so a reader that read CURRENT just before a
switch can still finish loading.

This module holds the update operations (a folder scanned, documents added, documents removed);
the steps they share live beside it: ``writer_state`` (the working copy and the writer lock),
``embedding`` (matching settings and model, embedding what is new) and ``generation`` (the commit).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from indexer.embed import Embedder
from indexer.errors import NotFound, UnreadableFile
from indexer.gongwen.documents import load_document
from indexer.index.embedding import EMBED_BATCH, _embed_pending, _prepare, _progress, _StoredModel
from indexer.index.generation import _commit, _versions
from indexer.index.local import current_generation
from indexer.index.report import UpdateReport
from indexer.index.settings import IndexSettings
from indexer.index.writer_state import DELETED, _State, _writer, deleted_documents
from indexer.ingest import OcrMode, check_file, iter_files
from indexer.models import Document

# the steps of an update, for the Milvus writer (indexer/index/milvus_writer.py), which shares them
__all__ = ["DELETED", "EMBED_BATCH", "_State", "_StoredModel", "_embed_pending", "_prepare", "_scan", "_sha256",
           "_versions", "add_documents", "deleted_documents", "remove_documents", "update_index"]


def _finish(
    state: _State, index_dir: Path, settings: IndexSettings, embedder: Embedder, report: UpdateReport,
    progress: bool, started: float,
) -> UpdateReport:
    if any(doc_id not in state.vectors for doc_id in state.documents):
        _embed_pending(state, settings, embedder, report, progress, batch=EMBED_BATCH)
    if state.dirty or state.manifest is None:
        _commit(state, index_dir, settings, embedder, report)
    else:
        report.generation = current_generation(index_dir)
    report.documents = len(state.documents)
    report.chunks = sum(len(c) for c in state.chunks.values())
    report.seconds = time.perf_counter() - started
    return report


DELETED_REASON = "deleted from the index by id; add the file explicitly (upload it) to restore it"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _scan(paths: Iterable[Path | str]) -> Iterator[tuple[str, Path, str]]:
    """(key, path, source) for each supported file; source is relative to the folder given."""

    for root in map(Path, paths):
        if not root.exists():
            raise NotFound(f"{root}: no such file or folder")
        for path in iter_files([root]):
            source = path.relative_to(root).as_posix() if root.is_dir() else path.name
            yield str(path.resolve()), path, source


def update_index(
    paths: Iterable[Path | str],
    index_dir: Path | str,
    settings: IndexSettings | None = None,
    *,
    prune: bool = False,
    embedder: Embedder | None = None,
    progress: bool = True,
    ocr: OcrMode = "auto",
) -> UpdateReport:
    """Bring the index in line with the files under ``paths``; embed only new or changed files.

    ``ocr`` (auto | off | force) says which pages are read by OCR (``indexer.ingest.extract``).
    """

    started = time.perf_counter()
    index_dir = Path(index_dir)
    report = UpdateReport(index_dir=str(index_dir))
    with _writer(index_dir) as state:
        settings, embedder = _prepare(state, index_dir, settings, embedder)
        read_started = time.perf_counter()
        files = list(_scan(paths))
        seen = {key for key, _, _ in files}
        if prune:
            for key in [k for k in state.sources if k not in seen]:
                entry = state.sources.pop(key)
                state.discard(entry["doc_id"])
                report.removed.append(entry["source"])
                state.dirty = True
        for key, path, source in _progress(progress, iterable=files, desc="reading", unit="file"):
            try:
                check_file(path)  # before hashing it: reading a FIFO would block the run
                sha = _sha256(path)
                old = state.sources.get(key)
                if old and old["sha256"] == sha and old["doc_id"] in state.documents:
                    report.unchanged += 1
                    continue
                if any(entry.get("sha256") == sha for entry in state.deleted.values()):
                    report.skipped.append({"source": source, "reason": DELETED_REASON})
                    continue
                doc = load_document(path, source, ocr)
            except UnreadableFile as error:
                report.failed.append({"source": source, "reason": error.reason})
                continue
            except OSError as error:
                report.failed.append({"source": source, "reason": error.strerror or str(error)})
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
            state.add(doc)
            (report.updated if old else report.added).append(source)
        report.timings["read"] = time.perf_counter() - read_started
        return _finish(state, index_dir, settings, embedder, report, progress, started)


def add_documents(
    index_dir: Path | str,
    documents: Iterable[Document],
    settings: IndexSettings | None = None,
    *,
    embedder: Embedder | None = None,
    progress: bool = True,
) -> UpdateReport:
    """Add built documents (uploads, jsonl corpora); one with a known ``source`` replaces that document."""
    started = time.perf_counter()
    index_dir = Path(index_dir)
    report = UpdateReport(index_dir=str(index_dir))
    with _writer(index_dir) as state:
        settings, embedder = _prepare(state, index_dir, settings, embedder)
        by_source = {doc.source: doc_id for doc_id, doc in state.documents.items()}
        for doc in documents:
            if state.deleted.pop(doc.doc_id, None) is not None:  # added explicitly: the deletion is undone
                state.dirty = True
            existing = state.documents.get(doc.doc_id)
            if existing is not None and existing.content_hash == doc.content_hash:
                report.unchanged += 1
                continue
            replaced = by_source.get(doc.source)
            if replaced is not None and replaced != doc.doc_id:
                state.discard(replaced)
            state.add(doc)
            by_source[doc.source] = doc.doc_id
            (report.updated if replaced or existing else report.added).append(doc.source)
        return _finish(state, index_dir, settings, embedder, report, progress, started)


def remove_documents(index_dir: Path | str, doc_ids: Iterable[str], *, progress: bool = False) -> UpdateReport:
    """Remove documents by id (file sources pointing at them are forgotten too).

    Each removal leaves a tombstone, so re-indexing a folder that still holds the file does not
    bring the document back; ``add_documents`` with the same document undoes it.
    """
    started = time.perf_counter()
    index_dir = Path(index_dir)
    report = UpdateReport(index_dir=str(index_dir))
    with _writer(index_dir) as state:
        if state.manifest is None:
            raise NotFound(f"no index in {index_dir}")
        settings = IndexSettings.of(state.manifest)
        for doc_id in doc_ids:
            doc = state.documents.get(doc_id)
            if doc is None:
                report.failed.append({"source": doc_id, "reason": "no such document in the index"})
                continue
            shas = [e["sha256"] for e in state.sources.values() if e["doc_id"] == doc_id]
            state.deleted[doc_id] = {"source": doc.source, "sha256": shas[0] if shas else doc.content_hash,
                                     "deleted_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
            for key in [k for k, e in state.sources.items() if e["doc_id"] == doc_id]:
                del state.sources[key]
            state.discard(doc_id)
            report.removed.append(doc.source)
        if not state.dirty:
            report.generation = current_generation(index_dir)
            report.documents = len(state.documents)
            report.chunks = sum(len(c) for c in state.chunks.values())
            return report
        embedder = _StoredModel(state.manifest)  # nothing is embedded: vectors are all kept
        return _finish(state, index_dir, settings, embedder, report, progress, started)
