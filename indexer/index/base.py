"""The one interface ranking code sees: what an index holds and the scores it can compute.

Rows number an index's chunks 0..n-1 in a fixed order (a document's chunks are consecutive).
Search, precedents, answers, evaluation and the bench use only this interface; fusion, filters
and grouping are shared code above it. ``indexer.index.local`` (FAISS + bm25s files in a folder)
and ``indexer.index.milvus`` implement it, chosen by configuration (``indexer.index.open_backend``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from indexer.index.manifest import Manifest
from indexer.models import Chunk, Document

if TYPE_CHECKING:
    from indexer.embed import Embedder
    from indexer.index.filters import SearchFilters, Selection
    from indexer.index.report import UpdateReport
    from indexer.index.settings import IndexSettings
    from indexer.ingest import OcrMode


class LexicalQuery(Protocol):
    """BM25 scores of one tokenised query, computed once and read for any rows."""

    def top_k(self, k: int, within: Selection | None = None) -> np.ndarray:
        """Rows with a positive score (some query term occurs), best first, at most ``k``."""
        ...

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """BM25 score of each of ``rows`` (0 where no query term occurs)."""
        ...


@runtime_checkable
class ChunkIndex(Protocol):
    """One immutable, loaded generation of an index: safe to share between threads."""

    # read-only, so that an implementation may hold them as any mapping or sequence (a dict, a list)
    @property
    def manifest(self) -> Manifest: ...
    @property
    def generation(self) -> str: ...
    @property
    def documents(self) -> Mapping[str, Document]: ...
    @property
    def chunks(self) -> Sequence[Chunk]:  # row order
        ...

    def rows_of(self, doc_id: str) -> range:
        """Rows of one document's chunks (empty when it has none)."""
        ...

    def select(self, filters: SearchFilters | None) -> Selection | None:
        """Rows of the documents the filters allow; None when nothing is filtered."""
        ...

    def dense_top_k(self, query_vector: np.ndarray, k: int, within: Selection | None = None) -> np.ndarray:
        """Rows by descending inner product with ``query_vector``, among ``within``'s when given."""
        ...

    def dense_scores(self, vectors: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Inner products, shape (len(rows),) for one vector or (len(rows), m) for m vectors."""
        ...

    def vectors(self, rows: range) -> np.ndarray:
        """Stored passage vectors of ``rows`` (float32, unit length)."""
        ...

    def sentence_vectors(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The stored vectors of each row's sentences (``indexer.index.sentences``), row after row in
        the order given, and how many each row has; IndexMismatch when the index keeps none."""
        ...

    def lexical(self, tokens: list[str]) -> LexicalQuery: ...


class IndexBackend(Protocol):
    """A storage kind: opens the live generation and applies writes atomically."""

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
        embedder: Embedder | None = None, progress: bool = True, ocr: OcrMode = "auto",
    ) -> UpdateReport:
        """Bring the index in line with the files under ``paths``; embed only new or changed files."""
        ...

    def add(
        self, documents: Iterable[Document], settings: IndexSettings | None = None, *,
        embedder: Embedder | None = None, progress: bool = True,
    ) -> UpdateReport: ...

    def remove(self, doc_ids: Iterable[str], *, progress: bool = False) -> UpdateReport: ...
