"""Index backends, chosen by configuration (``--backend``, ``ZHENGCE_BACKEND``): each opens the live
generation as a ``ChunkIndex`` and applies writes to it atomically."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from indexer.config import backend_settings
from indexer.embed import Embedder
from indexer.errors import BadInput
from indexer.gongwen.documents import load_document
from indexer.index import writer
from indexer.index.base import ChunkIndex
from indexer.index.changes import DocumentReader
from indexer.index.local import LocalIndex, current_manifest
from indexer.index.manifest import Manifest
from indexer.index.report import UpdateReport
from indexer.index.settings import IndexSettings
from indexer.models import Document

BACKENDS = ("local", "milvus")


class IndexBackend(Protocol):
    """Where an index lives: opens the live generation and applies writes atomically."""

    name: str

    def describe(self) -> str:
        """Where the index lives, for messages (a folder, a Milvus URI and collection)."""
        ...

    def current_manifest(self) -> Manifest | None:
        """The live generation's manifest without loading it; None when there is no index."""
        ...

    def open(self, *, expect_model: str | None = None) -> ChunkIndex: ...

    def update(
        self, paths: Iterable[Path | str], settings: IndexSettings | None = None, *, prune: bool = False,
        embedder: Embedder | None = None, progress: bool = True, read: DocumentReader = load_document,
    ) -> UpdateReport:
        """Bring the index in line with the files under ``paths``; embed only new or changed files."""
        ...

    def add(
        self, documents: Iterable[Document], settings: IndexSettings | None = None, *,
        embedder: Embedder | None = None, progress: bool = True,
    ) -> UpdateReport: ...

    def remove(self, doc_ids: Iterable[str], *, progress: bool = False) -> UpdateReport: ...


@dataclass
class LocalBackend:
    """A folder of generations on this machine: FAISS + bm25s files, switched by CURRENT."""

    index_dir: Path
    name: str = "local"

    def describe(self) -> str:
        return str(self.index_dir)

    def current_manifest(self) -> Manifest | None:
        return current_manifest(self.index_dir)

    def open(self, *, expect_model: str | None = None) -> LocalIndex:
        return LocalIndex.load(self.index_dir, expect_model=expect_model)

    def update(
        self, paths: Iterable[Path | str], settings: IndexSettings | None = None, *, prune: bool = False,
        embedder: Embedder | None = None, progress: bool = True, read: DocumentReader = load_document,
    ) -> UpdateReport:
        return writer.update_index(paths, self.index_dir, settings, prune=prune, embedder=embedder, progress=progress,
                                   read=read)

    def add(
        self, documents: Iterable[Document], settings: IndexSettings | None = None, *,
        embedder: Embedder | None = None, progress: bool = True,
    ) -> UpdateReport:
        return writer.add_documents(self.index_dir, documents, settings, embedder=embedder, progress=progress)

    def remove(self, doc_ids: Iterable[str], *, progress: bool = False) -> UpdateReport:
        return writer.remove_documents(self.index_dir, doc_ids, progress=progress)


def collection_for(name: str) -> str:
    """A Milvus collection name (letters, digits and _) made from any text, e.g. an index folder's name."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name if re.match(r"[A-Za-z_]", name) else "_" + name)


def open_backend(
    name: str | None = None, *, index_dir: Path | str | None = None, milvus_uri: str | None = None,
    milvus_token: str | None = None, collection: str | None = None,
) -> IndexBackend:
    """The backend a configuration names; arguments left None come from ``ZHENGCE_*`` settings."""
    settings = backend_settings(backend=name, milvus_uri=milvus_uri, milvus_collection=collection)
    if settings.backend == "local":
        if index_dir is None:
            raise BadInput("the local backend needs an index folder (--index DIR)")
        return LocalBackend(Path(index_dir))
    from indexer.index.milvus_writer import MilvusBackend  # pymilvus is imported only when it is used

    if settings.milvus_uri is None:
        raise BadInput("the milvus backend needs --milvus-uri (a path ending in .db for Milvus Lite, "
                       "or http://host:19530) or ZHENGCE_MILVUS_URI")
    token = milvus_token or (settings.milvus_token.get_secret_value() if settings.milvus_token else None)
    return MilvusBackend(settings.milvus_uri, settings.milvus_collection, token)
