"""The update operations on a local index folder named by its path: what the tests, the benches and
scripts call (the CLI and the server open a backend from configuration, ``backends``)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from indexer.embed import Embedder
from indexer.gongwen.documents import load_document
from indexer.index.report import UpdateReport
from indexer.index.settings import IndexSettings
from indexer.index.stores import LocalStore
from indexer.models import Document
from indexer.update import pipeline
from indexer.update.changes import DocumentReader


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
    """Bring the index in line with the files under ``paths``; embed only new or changed files."""
    return pipeline.update(LocalStore(Path(index_dir)), paths, settings, prune=prune, embedder=embedder,
                           progress=progress, read=read)


def add_documents(
    index_dir: Path | str,
    documents: Iterable[Document],
    settings: IndexSettings | None = None,
    *,
    embedder: Embedder | None = None,
    progress: bool = True,
) -> UpdateReport:
    """Add built documents (uploads, jsonl corpora); one with a known ``source`` replaces that document."""
    return pipeline.add(LocalStore(Path(index_dir)), documents, settings, embedder=embedder, progress=progress)


def remove_documents(index_dir: Path | str, doc_ids: Iterable[str], *, progress: bool = False) -> UpdateReport:
    """Remove documents by id, each leaving a tombstone (``changes.apply_removals``)."""
    return pipeline.remove(LocalStore(Path(index_dir)), doc_ids, progress=progress)
