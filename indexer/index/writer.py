"""Writing the local index folder: incremental, atomic, one writer at a time.

Layout of ``DIR``::

    CURRENT            name of the live generation (replaced with os.replace: the atomic switch)
    .lock, writer.json the writer lock and who holds it
    gen-000007/        one complete, immutable build
        manifest.json  model, dim, factory, chunk settings, versions, counts, sources
        documents.jsonl, chunks.jsonl (row i = FAISS id i = BM25 row i), tokens.jsonl
        embeddings.npy (float32: updates never re-embed, FAISS can be rebuilt), dense.faiss, lexical/
        sentences.npy, sentence_bounds.npy  each chunk's sentence vectors, when kept (index.sentences)

A writer builds a whole new generation beside the live one and only then switches CURRENT, so
a reader - or a writer killed at any instant - only ever sees complete generations. The
previous generation is kept until the next build, so a reader that read CURRENT just before a
switch can still finish loading.

This module holds the update operations (a folder scanned, documents added, documents removed);
the steps they share live beside it: ``changes`` (what each operation changes, for every backend),
``writer_state`` (the working copy and the writer lock), ``embedding`` (matching settings and
model, embedding what is new) and ``generation`` (the commit).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from indexer.embed import Embedder
from indexer.errors import NotFound
from indexer.gongwen.documents import load_document
from indexer.index.changes import DocumentReader, apply_documents, apply_files, apply_removals
from indexer.index.embedding import EMBED_BATCH, _embed_pending, _prepare, _StoredModel
from indexer.index.generation import _commit
from indexer.index.local import current_generation
from indexer.index.report import UpdateReport
from indexer.index.settings import IndexSettings
from indexer.index.writer_state import _State, _writer
from indexer.models import Document

__all__ = ["EMBED_BATCH", "add_documents", "remove_documents", "update_index"]  # EMBED_BATCH: tests patch it


def _finish(
    state: _State, index_dir: Path, settings: IndexSettings, embedder: Embedder, report: UpdateReport,
    progress: bool, started: float,
) -> UpdateReport:
    if state.needs_embedding(settings.sentences):
        _embed_pending(state, settings, embedder, report, progress, batch=EMBED_BATCH)
    if state.dirty or state.manifest is None:
        _commit(state, index_dir, settings, embedder, report)
    else:
        report.generation = current_generation(index_dir)
    report.documents = len(state.documents)
    report.chunks = sum(len(c) for c in state.chunks.values())
    report.seconds = time.perf_counter() - started
    return report


def update_index(
    paths: Iterable[Path | str],
    index_dir: Path | str,
    settings: IndexSettings | None = None,
    *,
    prune: bool = False,
    embedder: Embedder | None = None,
    progress: bool = True,
    read: DocumentReader = load_document,
) -> UpdateReport:
    """Bring the index in line with the files under ``paths``; embed only new or changed files.

    ``read`` reads each new or changed file: ``load_document``, or what the caller that drives
    ingest made of it (``zhengce index --ocr off`` passes its OCR mode so).
    """

    started = time.perf_counter()
    index_dir = Path(index_dir)
    report = UpdateReport(index_dir=str(index_dir))
    with _writer(index_dir) as state:
        settings, embedder = _prepare(state, index_dir, settings, embedder)
        read_started = time.perf_counter()
        apply_files(state, paths, report, prune=prune, progress=progress, read=read)
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
        apply_documents(state, documents, report)
        return _finish(state, index_dir, settings, embedder, report, progress, started)


def remove_documents(index_dir: Path | str, doc_ids: Iterable[str], *, progress: bool = False) -> UpdateReport:
    """Remove documents by id (file sources pointing at them are forgotten too).

    Each removal leaves a tombstone (``changes.apply_removals``); ``add_documents`` undoes it.
    """
    started = time.perf_counter()
    index_dir = Path(index_dir)
    report = UpdateReport(index_dir=str(index_dir))
    with _writer(index_dir) as state:
        if state.manifest is None:
            raise NotFound(f"no index in {index_dir}")
        settings = IndexSettings.of(state.manifest)
        apply_removals(state, doc_ids, report)
        if not state.dirty:
            report.generation = current_generation(index_dir)
            report.documents = len(state.documents)
            report.chunks = sum(len(c) for c in state.chunks.values())
            return report
        embedder = _StoredModel(state.manifest)  # nothing is embedded: vectors are all kept
        return _finish(state, index_dir, settings, embedder, report, progress, started)
