"""The update operations, written once for every store (``indexer.index.stores``).

Each holds the store's writer lock over a working copy of the live generation, changes it
(``changes``), embeds what is new or changed (``embedding``) and, only when something changed, has
the store commit the copy as the next generation; the report says what happened.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from indexer.embed import Embedder
from indexer.errors import NotFound
from indexer.gongwen.documents import load_document
from indexer.index.manifest import ModelIdentity
from indexer.index.report import UpdateReport
from indexer.index.settings import IndexSettings
from indexer.index.stores import IndexStore
from indexer.index.working_copy import WorkingCopy
from indexer.models import Document
from indexer.update.changes import DocumentReader, apply_documents, apply_files, apply_removals
from indexer.update.embedding import embed_pending, prepare


def update(
    store: IndexStore, paths: Iterable[Path | str], settings: IndexSettings | None = None, *, prune: bool = False,
    embedder: Embedder | None = None, progress: bool = True, read: DocumentReader = load_document,
) -> UpdateReport:
    """Bring the index in line with the files under ``paths``; embed only new or changed files.

    ``read`` reads each new or changed file: ``load_document``, or what the caller that drives
    ingest made of it (``zhengce index --ocr off`` passes its OCR mode so).
    """
    started = time.perf_counter()
    report = UpdateReport(index_dir=store.describe())
    with store.writing() as copy:
        settings, embedder = prepare(copy, store.describe(), settings, embedder)
        read_started = time.perf_counter()
        apply_files(copy, paths, report, prune=prune, progress=progress, read=read)
        report.timings["read"] = time.perf_counter() - read_started
        return _finish(store, copy, settings, embedder, embedder, report, progress, started)


def add(
    store: IndexStore, documents: Iterable[Document], settings: IndexSettings | None = None, *,
    embedder: Embedder | None = None, progress: bool = True,
) -> UpdateReport:
    """Add built documents (uploads, JSONL corpora); one with a known ``source`` replaces that document."""
    started = time.perf_counter()
    report = UpdateReport(index_dir=store.describe())
    with store.writing() as copy:
        settings, embedder = prepare(copy, store.describe(), settings, embedder)
        apply_documents(copy, documents, report)
        return _finish(store, copy, settings, embedder, embedder, report, progress, started)


def remove(store: IndexStore, doc_ids: Iterable[str], *, progress: bool = False) -> UpdateReport:
    """Remove documents by id (file sources pointing at them are forgotten too).

    Each removal leaves a tombstone (``changes.apply_removals``); ``add`` undoes it.
    """
    started = time.perf_counter()
    report = UpdateReport(index_dir=store.describe())
    with store.writing() as copy:
        if copy.manifest is None:
            raise NotFound(f"no index in {store.describe()}")
        apply_removals(copy, doc_ids, report)
        # nothing is embedded: the vectors are all kept, and the commit records the index's own model
        return _finish(store, copy, IndexSettings.of(copy.manifest), copy.manifest, None, report, progress, started)


def _finish(
    store: IndexStore, copy: WorkingCopy, settings: IndexSettings, model: ModelIdentity, embedder: Embedder | None,
    report: UpdateReport, progress: bool, started: float,
) -> UpdateReport:
    """Embed what lacks vectors, commit when anything changed, and fill in the report."""
    if copy.needs_embedding(settings.sentences):
        if embedder is None:
            raise AssertionError("removing documents never embeds")
        embed_pending(copy, settings, embedder, report, progress)
    if copy.dirty or copy.manifest is None:
        store.commit(copy, settings, model, report)
    else:
        report.generation = store.live_generation()
    report.documents = len(copy.documents)
    report.chunks = sum(len(c) for c in copy.chunks.values())
    report.seconds = time.perf_counter() - started
    return report
