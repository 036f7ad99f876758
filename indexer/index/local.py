"""The local index: one folder of generations (FAISS + bm25s files), opened here as a ``ChunkIndex``.

A ``LocalIndex`` is one loaded generation, its four stores read from the generation's files; it is
immutable, so concurrent searches share it. The vectors searches gather are held in memory while they
fit a budget (``resident``), memory-mapped past it; FAISS answers top-k, numpy scores given rows.
Generations are written by ``generation`` under the lock of ``writer_state``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from indexer.errors import NotFound, ZhengceError
from indexer.index.base import ChunkIndex
from indexer.index.faiss_index import apply_search_params, search_with_selection
from indexer.index.filters import SearchFilters, Selection, rows_matching
from indexer.index.lexical import LexicalIndex
from indexer.index.manifest import Manifest, check_format, check_model
from indexer.index.resident import Budget, flat_vectors
from indexer.index.sentence_codes import SentenceCodes
from indexer.index.sentences import gather, scores_of_rows
from indexer.index.top_k import top_indices
from indexer.models import Chunk, Document

CURRENT = "CURRENT"
GENERATION_PREFIX = "gen-"
SENTENCE_VECTORS = "sentences.npy"  # float32, row order: indexes written before sentence codes
SENTENCE_BOUNDS = "sentence_bounds.npy"
EXACT_FILTER_ROWS = 50_000  # filtered selections up to this many chunks are scored exhaustively


@dataclass(frozen=True, eq=False)
class LocalRecords:
    """Documents and chunks as read from the generation's JSONL files."""

    documents: dict[str, Document]
    chunks: list[Chunk]
    doc_rows: dict[str, range]  # rows of each document's chunks

    def rows_of(self, doc_id: str) -> range:
        return self.doc_rows.get(doc_id, range(0))

    def select(self, filters: SearchFilters | None) -> Selection | None:
        if filters is None or filters.is_empty():
            return None
        return Selection(rows_matching(self.documents, self.doc_rows, filters), filters)


@dataclass(frozen=True, eq=False)
class FaissVectors:
    """The passage vectors (an exact index's own, in memory, or read from the generation) and the FAISS index."""

    embeddings: np.ndarray  # (chunks, dim) float32
    faiss: Any  # faiss.Index

    def top_k(self, query_vector: np.ndarray, k: int, within: Selection | None = None) -> np.ndarray:
        rows = None if within is None else within.rows
        if rows is not None and len(rows) <= EXACT_FILTER_ROWS:
            return rows[top_indices(self.scores(query_vector, rows), k)]
        return search_with_selection(self.faiss, query_vector, k, rows)

    def scores(self, vectors: np.ndarray, rows: np.ndarray) -> np.ndarray:
        gathered = np.asarray(self.embeddings).take(np.asarray(rows, dtype=np.int64), axis=0)  # no memmap indexing
        return gathered @ (vectors.T if vectors.ndim == 2 else vectors)

    def vectors(self, rows: range) -> np.ndarray:
        return np.asarray(self.embeddings[rows.start : rows.stop], dtype=np.float32)


@dataclass(frozen=True, eq=False)
class LocalSentences:
    """All sentence vectors in row order and each row's bounds in them: 16-bit codes
    (``sentence_codes``), or the float32 matrix of an index written before them."""

    matrix: SentenceCodes | np.ndarray
    bounds: np.ndarray  # (chunks + 1,): row r's sentences are bounds[r]:bounds[r + 1]

    @classmethod
    def load(cls, gen_dir: Path, budget: Budget | None = None) -> LocalSentences:
        """Memory-mapped, or read into memory while they fit ``budget``."""
        budget = budget or Budget(0)
        bounds = np.load(gen_dir / SENTENCE_BOUNDS)
        if (gen_dir / SENTENCE_VECTORS).exists():
            return cls(budget.load(gen_dir / SENTENCE_VECTORS), bounds)
        return cls(SentenceCodes.load(gen_dir, budget), bounds)

    def vectors(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        numbers, counts = gather(self.bounds, np.asarray(rows, dtype=np.int64))
        if isinstance(self.matrix, SentenceCodes):
            return self.matrix.vectors(numbers), counts
        return np.asarray(self.matrix).take(numbers, axis=0), counts  # a plain view: no memmap indexing

    def scores(self, query_vector: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scored in place, without copying more than needed."""
        if isinstance(self.matrix, SentenceCodes):
            numbers, counts = gather(self.bounds, np.asarray(rows, dtype=np.int64))
            return self.matrix.scores(query_vector, numbers), counts
        return scores_of_rows(self.matrix, self.bounds, query_vector, rows)

    def all_vectors(self) -> np.ndarray:
        """Every sentence vector, decoded (what a writer keeps of the documents it leaves alone)."""
        if isinstance(self.matrix, SentenceCodes):
            return self.matrix.vectors(np.arange(len(self.matrix)))
        return np.asarray(self.matrix, dtype=np.float32)


@dataclass(frozen=True, eq=False)
class LocalIndex(ChunkIndex):
    """One loaded generation of a local index folder."""

    records: LocalRecords
    dense: FaissVectors
    bm25: LexicalIndex
    sentences: LocalSentences | None
    path: Path  # the index folder

    @classmethod
    def load(cls, index_dir: Path | str, *, expect_model: str | None = None, resident_mib: int | None = None) -> LocalIndex:
        """The live generation of ``index_dir``: the local backend's factory. ``resident_mib``: how much of
        the vectors searches gather is read into memory (``resident.Budget.of``)."""
        index_dir = Path(index_dir)
        for _ in range(5):
            generation = current_generation(index_dir)
            if generation is None:
                raise NotFound(f"no index in {index_dir}: build one with `zhengce index PATH --index {index_dir}`")
            try:
                index = _load_generation(index_dir, generation, Budget.of(resident_mib))
                break
            except FileNotFoundError:
                if current_generation(index_dir) == generation:
                    raise  # not a race with a writer: the generation is really damaged
        else:
            raise ZhengceError(f"index {index_dir} kept changing while loading; try again")
        if expect_model is not None:
            check_model(index.manifest, expect_model, index_dir=index_dir)
        return index

    @classmethod
    def of(
        cls, path: Path, generation: str, manifest: Manifest, documents: dict[str, Document], chunks: list[Chunk],
        embeddings: np.ndarray, dense: Any, lexical: LexicalIndex, sentences: LocalSentences | None = None,
        spans: dict[str, range] | None = None,
    ) -> LocalIndex:
        """An index over parts already in memory (the bench builds its sizes so)."""
        rows = doc_rows(chunks) if spans is None else spans
        return cls(manifest, generation, f"{path}/{generation}", LocalRecords(documents, chunks, rows),
                   FaissVectors(embeddings, dense), lexical, sentences, path)

    def stored_tokens(self) -> list[list[str]]:
        """Every row's BM25 tokens as the writer stored them, so they need not be made twice (the bench)."""
        return [list(tokens) for tokens in read_jsonl(self.path / self.generation / "tokens.jsonl")]


def current_generation(index_dir: Path) -> str | None:
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def current_manifest(index_dir: Path | str) -> Manifest | None:
    """The live generation's manifest without loading the index; None when there is no index."""
    index_dir = Path(index_dir)
    generation = current_generation(index_dir)
    return None if generation is None else Manifest.read(index_dir / generation / "manifest.json")


def read_jsonl(path: Path) -> Iterator[Any]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def doc_rows(chunks: Iterable[Chunk]) -> dict[str, range]:
    """Rows of each document's chunks; a document's chunks are consecutive."""
    rows: dict[str, range] = {}
    chunks = list(chunks)
    start = 0
    for i in range(1, len(chunks) + 1):
        if i == len(chunks) or chunks[i].doc_id != chunks[start].doc_id:
            rows[chunks[start].doc_id] = range(start, i)
            start = i
    return rows


def _load_generation(index_dir: Path, generation: str, budget: Budget) -> LocalIndex:
    import faiss

    gen_dir = index_dir / generation
    manifest = Manifest.read(gen_dir / "manifest.json")
    check_format(manifest, index_dir)
    documents = {d["doc_id"]: Document.from_dict(d) for d in read_jsonl(gen_dir / "documents.jsonl")}
    chunks = [Chunk.from_dict(c) for c in read_jsonl(gen_dir / "chunks.jsonl")]
    dense = faiss.read_index(str(gen_dir / "dense.faiss"))
    apply_search_params(dense, manifest.search_params)
    embeddings, sentences = load_vectors(gen_dir, dense, manifest.sentences, budget)
    lexical = LexicalIndex.load(gen_dir / "lexical")
    stored = np.load(gen_dir / "embeddings.npy", mmap_mode="r").shape[0]  # the file updates read: checked, not read
    if not (len(chunks) == embeddings.shape[0] == stored == dense.ntotal == lexical.size):
        raise ZhengceError(f"index {index_dir}/{generation} is inconsistent: chunk, vector and BM25 counts differ")
    if sentences is not None and (len(sentences.bounds) != len(chunks) + 1 or sentences.bounds[-1] != len(sentences.matrix)):
        raise ZhengceError(f"index {index_dir}/{generation} is inconsistent: sentence vectors and chunks differ")
    return LocalIndex.of(index_dir, generation, manifest, documents, chunks, embeddings, dense, lexical, sentences)


def load_vectors(gen_dir: Path, dense: Any, sentences: bool, budget: Budget) -> tuple[np.ndarray, LocalSentences | None]:
    """A generation's chunk vectors (an exact FAISS index's own, else the file) and its sentence vectors,
    the sentences first: a learned search gathers many more of them than of chunk vectors."""
    held = LocalSentences.load(gen_dir, budget) if sentences else None
    embeddings = flat_vectors(dense)
    return (budget.load(gen_dir / "embeddings.npy") if embeddings is None else embeddings), held
