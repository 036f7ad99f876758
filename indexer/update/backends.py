"""The index backends the CLI, the server and evaluation open: a store chosen by configuration
(``indexer.index.stores``) with the update operations (``pipeline``) as methods."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from indexer.embed import Embedder
from indexer.gongwen.documents import load_document
from indexer.index.base import ChunkIndex
from indexer.index.manifest import Manifest
from indexer.index.report import UpdateReport
from indexer.index.settings import IndexSettings
from indexer.index.stores import IndexStore, open_store
from indexer.models import Document
from indexer.update import pipeline
from indexer.update.changes import DocumentReader


class Backend:
    """A store and the update operations on it; the store's own attributes (a local folder's
    ``index_dir``, a Milvus store's ``uri`` and ``collection``) read through."""

    def __init__(self, store: IndexStore) -> None:
        self.store = store
        self.name = store.name

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "store":  # copying or unpickling: no store yet
            raise AttributeError(name)
        return getattr(self.store, name)

    def describe(self) -> str:
        return self.store.describe()

    def current_manifest(self) -> Manifest | None:
        return self.store.current_manifest()

    def live_generation(self) -> str | None:
        return self.store.live_generation()

    def open(self, *, expect_model: str | None = None) -> ChunkIndex:
        return self.store.open(expect_model=expect_model)

    def deleted_ids(self) -> set[str]:
        return self.store.deleted_ids()

    def update(
        self, paths: Iterable[Path | str], settings: IndexSettings | None = None, *, prune: bool = False,
        embedder: Embedder | None = None, progress: bool = True, read: DocumentReader = load_document,
    ) -> UpdateReport:
        return pipeline.update(self.store, paths, settings, prune=prune, embedder=embedder, progress=progress,
                               read=read)

    def add(
        self, documents: Iterable[Document], settings: IndexSettings | None = None, *,
        embedder: Embedder | None = None, progress: bool = True,
    ) -> UpdateReport:
        return pipeline.add(self.store, documents, settings, embedder=embedder, progress=progress)

    def remove(self, doc_ids: Iterable[str], *, progress: bool = False) -> UpdateReport:
        return pipeline.remove(self.store, doc_ids, progress=progress)


def open_backend(
    name: str | None = None, *, index_dir: Path | str | None = None, milvus_uri: str | None = None,
    milvus_token: str | None = None, collection: str | None = None,
) -> Backend:
    """The backend a configuration names; arguments left None come from ``ZHENGCE_*`` settings."""
    return Backend(open_store(name, index_dir=index_dir, milvus_uri=milvus_uri, milvus_token=milvus_token,
                              collection=collection))

