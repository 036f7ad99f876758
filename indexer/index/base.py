"""What an index holds: one small interface per storage kind, and the ``ChunkIndex`` that composes them.

Rows number an index's chunks 0..n-1 in a fixed order (a document's chunks are consecutive). Each
backend keeps four stores for one generation - records (documents and chunks, and the rows filters
allow), dense vectors, lexical (BM25) scores and, when kept, sentence vectors - and its factory opens
them as a ``ChunkIndex``: ``LocalIndex.load`` (FAISS and bm25s files in a folder, ``indexer.index.local``)
and ``MilvusIndex.load`` (Milvus collections, ``indexer.index.milvus``). Search, precedents, answers,
evaluation and the bench read an index only through ``ChunkIndex``; fusion and grouping are
retrieval code above it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from indexer.index.filters import SearchFilters, Selection
from indexer.index.manifest import Manifest
from indexer.index.sentences import require_sentences
from indexer.models import Chunk, Document


class RecordStore(Protocol):
    """Documents, and chunks by row; which rows metadata filters allow."""

    # read-only, so that a store may hold them as any mapping or sequence (a dict, a view fetching on demand)
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


class VectorStore(Protocol):
    """Each row's passage vector (float32, unit length), searched by inner product."""

    def top_k(self, query_vector: np.ndarray, k: int, within: Selection | None = None) -> np.ndarray:
        """Rows by descending inner product with ``query_vector``, among ``within``'s when given."""
        ...

    def scores(self, vectors: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Inner products, shape (len(rows),) for one vector or (len(rows), m) for m vectors."""
        ...

    def vectors(self, rows: range) -> np.ndarray:
        """Stored vectors of ``rows``."""
        ...


class LexicalQuery(Protocol):
    """BM25 scores of one tokenised query, computed once and read for any rows."""

    def top_k(self, k: int, within: Selection | None = None) -> np.ndarray:
        """Rows with a positive score (some query term occurs), best first, at most ``k``."""
        ...

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """BM25 score of each of ``rows`` (0 where no query term occurs)."""
        ...


class LexicalStore(Protocol):
    """BM25 over each row's tokens (``indexer.index.lexical``)."""

    def query(self, tokens: list[str]) -> LexicalQuery: ...


class SentenceStore(Protocol):
    """The vectors of each row's sentences (``indexer.index.sentences``)."""

    def vectors(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The sentence vectors of ``rows``, row after row in the order given, and how many each row has."""
        ...

    def scores(self, query_vector: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The cosine of each of ``rows``' sentences with the query, in the same order, and each row's count."""
        ...


@dataclass(frozen=True, eq=False)
class ChunkIndex:
    """One immutable, loaded generation: its manifest and its stores; safe to share between threads.
    Ranking code calls the methods below, each answered by one store."""

    manifest: Manifest
    generation: str
    location: str  # where the generation lives, for messages (a folder and generation, a collection)
    records: RecordStore
    dense: VectorStore
    bm25: LexicalStore
    sentences: SentenceStore | None  # None when the index keeps no sentence vectors

    @property
    def documents(self) -> Mapping[str, Document]:
        return self.records.documents

    @property
    def chunks(self) -> Sequence[Chunk]:
        return self.records.chunks

    def rows_of(self, doc_id: str) -> range:
        return self.records.rows_of(doc_id)

    def select(self, filters: SearchFilters | None) -> Selection | None:
        return self.records.select(filters)

    def dense_top_k(self, query_vector: np.ndarray, k: int, within: Selection | None = None) -> np.ndarray:
        return self.dense.top_k(query_vector, k, within)

    def dense_scores(self, vectors: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return self.dense.scores(vectors, rows)

    def vectors(self, rows: range) -> np.ndarray:
        return self.dense.vectors(rows)

    def lexical(self, tokens: list[str]) -> LexicalQuery:
        return self.bm25.query(tokens)

    def sentence_vectors(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """IndexMismatch, saying how to rebuild, when the index keeps no sentence vectors."""
        return self._sentence_store().vectors(rows)

    def sentence_scores(self, query_vector: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._sentence_store().scores(query_vector, rows)

    def _sentence_store(self) -> SentenceStore:
        require_sentences(self.manifest, self.location)
        assert self.sentences is not None  # an index whose manifest says so is opened with them
        return self.sentences
