"""Where an index lives, chosen by configuration (``--backend``, ``ZHENGCE_BACKEND``): a store opens
the live generation for reading and, one writer at a time, loads it as a working copy and commits a
new one. The update operations that drive a store are ``indexer.update``."""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from indexer.config import backend_settings
from indexer.errors import BadInput
from indexer.index import generation, writer_state
from indexer.index.base import ChunkIndex
from indexer.index.local import LocalIndex, current_generation, current_manifest
from indexer.index.manifest import Manifest, ModelIdentity
from indexer.index.report import UpdateReport
from indexer.index.settings import IndexSettings
from indexer.index.working_copy import WorkingCopy

BACKENDS = ("local", "milvus")


class IndexStore(Protocol):
    """A storage kind: the live generation read, and written whole and atomically by one writer."""

    name: str

    def describe(self) -> str:
        """Where the index lives, for messages (a folder, a Milvus URI and collection)."""
        ...

    def current_manifest(self) -> Manifest | None:
        """The live generation's manifest without loading it; None when there is no index."""
        ...

    def live_generation(self) -> str | None:
        """The live generation's name; None when there is no index."""
        ...

    def open(self, *, expect_model: str | None = None) -> ChunkIndex: ...

    def deleted_ids(self) -> set[str]:
        """Documents deleted by id from the live generation and remembered as such (tombstones)."""
        ...

    def writing(self) -> AbstractContextManager[WorkingCopy]:
        """Hold the writer lock (IndexBusy when another run has it) over a copy of the live generation."""
        ...

    def commit(self, copy: WorkingCopy, settings: IndexSettings, model: ModelIdentity, report: UpdateReport) -> None:
        """Write ``copy`` as the next generation and make it the live one in one step."""
        ...


@dataclass
class LocalStore:
    """A folder of generations on this machine: FAISS + bm25s files, switched by CURRENT."""

    index_dir: Path
    name: str = "local"
    resident_mib: int | None = None  # vectors searches gather, read into memory up to this (resident.Budget.of)

    def describe(self) -> str:
        return str(self.index_dir)

    def current_manifest(self) -> Manifest | None:
        return current_manifest(self.index_dir)

    def live_generation(self) -> str | None:
        return current_generation(self.index_dir)

    def open(self, *, expect_model: str | None = None) -> LocalIndex:
        return LocalIndex.load(self.index_dir, expect_model=expect_model, resident_mib=self.resident_mib)

    def deleted_ids(self) -> set[str]:
        return set(writer_state.deleted_documents(self.index_dir))

    def writing(self) -> AbstractContextManager[WorkingCopy]:
        return writer_state.writing(self.index_dir)

    def commit(self, copy: WorkingCopy, settings: IndexSettings, model: ModelIdentity, report: UpdateReport) -> None:
        generation.commit(copy, self.index_dir, settings, model, report)


def collection_for(name: str) -> str:
    """A Milvus collection name (letters, digits and _) made from any text, e.g. an index folder's name."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name if re.match(r"[A-Za-z_]", name) else "_" + name)


def open_store(
    name: str | None = None, *, index_dir: Path | str | None = None, milvus_uri: str | None = None,
    milvus_token: str | None = None, collection: str | None = None,
) -> IndexStore:
    """The store a configuration names; arguments left None come from ``ZHENGCE_*`` settings."""
    settings = backend_settings(backend=name, milvus_uri=milvus_uri, milvus_collection=collection)
    if settings.backend == "local":
        if index_dir is None:
            raise BadInput("the local backend needs an index folder (--index DIR)")
        return LocalStore(Path(index_dir), resident_mib=settings.resident_mib)
    from indexer.index.milvus_store import MilvusStore  # pymilvus is imported only when it is used

    if settings.milvus_uri is None:
        raise BadInput("the milvus backend needs --milvus-uri (a path ending in .db for Milvus Lite, "
                       "or http://host:19530) or ZHENGCE_MILVUS_URI")
    token = milvus_token or (settings.milvus_token.get_secret_value() if settings.milvus_token else None)
    return MilvusStore(settings.milvus_uri, settings.milvus_collection, token)
