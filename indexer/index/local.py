"""The local index: one folder of generations (FAISS + bm25s files), read here, written by ``writer``.

A ``LocalIndex`` is one loaded generation; it is immutable, so concurrent searches share it.
Vectors are memory-mapped; FAISS answers top-k, numpy scores given rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from indexer.errors import NotFound, ZhengceError
from indexer.index.faiss_index import apply_search_params, search_with_selection
from indexer.index.lexical import LexicalIndex
from indexer.index.manifest import Manifest, check_format, check_model
from indexer.index.sentences import gather, require_sentences, scores_of_rows
from indexer.models import Chunk, Document
from indexer.retrieval.filters import SearchFilters, rows_matching
from indexer.retrieval.fusion import top_indices

CURRENT = "CURRENT"
GENERATION_PREFIX = "gen-"
SENTENCE_VECTORS = "sentences.npy"  # float32, row order (indexer.index.sentences)
SENTENCE_BOUNDS = "sentence_bounds.npy"
EXACT_FILTER_ROWS = 50_000  # filtered selections up to this many chunks are scored exhaustively


@dataclass
class LocalLexicalQuery:
    """Full BM25 score vector of one query (bm25s scores every row at once)."""

    all_scores: np.ndarray

    def top_k(self, k: int, rows: np.ndarray | None = None) -> np.ndarray:
        rows = rows if rows is not None else np.arange(len(self.all_scores))
        scores = self.all_scores[rows]
        positive = scores > 0
        rows, scores = rows[positive], scores[positive]
        return rows[top_indices(scores, k)]

    def scores(self, rows: np.ndarray) -> np.ndarray:
        return self.all_scores[rows]


@dataclass
class LocalIndex:
    """One loaded generation of a local index folder."""

    path: Path
    generation: str
    manifest: Manifest
    documents: dict[str, Document]
    chunks: list[Chunk]
    embeddings: np.ndarray  # (len(chunks), dim) float32, memory-mapped
    dense: object  # faiss.Index
    lexical_index: LexicalIndex
    doc_rows: dict[str, range]  # rows of each document's chunks
    sentences: np.ndarray | None = None  # (sentences, dim) float32, memory-mapped, when stored
    sentence_bounds: np.ndarray | None = None  # (len(chunks) + 1,): row r's are bounds[r]:bounds[r + 1]

    @classmethod
    def load(cls, index_dir: Path | str, *, expect_model: str | None = None) -> LocalIndex:
        index_dir = Path(index_dir)
        for _ in range(5):
            generation = current_generation(index_dir)
            if generation is None:
                raise NotFound(f"no index in {index_dir}: build one with `zhengce index PATH --index {index_dir}`")
            try:
                index = _load_generation(index_dir, generation)
                break
            except FileNotFoundError:
                if current_generation(index_dir) == generation:
                    raise  # not a race with a writer: the generation is really damaged
        else:
            raise ZhengceError(f"index {index_dir} kept changing while loading; try again")
        if expect_model is not None:
            check_model(index.manifest, expect_model, index_dir=index_dir)
        return index

    def rows_of(self, doc_id: str) -> range:
        return self.doc_rows.get(doc_id, range(0))

    def select(self, filters: SearchFilters | None) -> np.ndarray | None:
        return rows_matching(self, filters)

    def dense_top_k(self, query_vector: np.ndarray, k: int, rows: np.ndarray | None = None) -> np.ndarray:
        if rows is not None and len(rows) <= EXACT_FILTER_ROWS:
            return rows[top_indices(self.dense_scores(query_vector, rows), k)]
        return search_with_selection(self.dense, query_vector, k, rows)

    def dense_scores(self, vectors: np.ndarray, rows: np.ndarray) -> np.ndarray:
        gathered = np.asarray(self.embeddings).take(np.asarray(rows, dtype=np.int64), axis=0)  # no memmap indexing
        return gathered @ (vectors.T if vectors.ndim == 2 else vectors)

    def vectors(self, rows: range) -> np.ndarray:
        return np.asarray(self.embeddings[rows.start : rows.stop], dtype=np.float32)

    def sentence_vectors(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        require_sentences(self.manifest, f"{self.path}/{self.generation}")
        assert self.sentences is not None and self.sentence_bounds is not None  # loaded with that flag
        numbers, counts = gather(self.sentence_bounds, np.asarray(rows, dtype=np.int64))
        return np.asarray(self.sentences).take(numbers, axis=0), counts  # a plain view: no memmap indexing

    def sentence_scores(self, query_vector: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The cosines of ``rows``' sentences with the query, scored in place (``sentences.scores_of_rows``)."""
        require_sentences(self.manifest, f"{self.path}/{self.generation}")
        assert self.sentences is not None and self.sentence_bounds is not None  # loaded with that flag
        return scores_of_rows(self.sentences, self.sentence_bounds, query_vector, rows)

    def lexical(self, tokens: list[str]) -> LocalLexicalQuery:
        return LocalLexicalQuery(self.lexical_index.scores(tokens))

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


def _load_generation(index_dir: Path, generation: str) -> LocalIndex:
    import faiss

    gen_dir = index_dir / generation
    manifest = Manifest.read(gen_dir / "manifest.json")
    check_format(manifest, index_dir)
    documents = {d["doc_id"]: Document.from_dict(d) for d in read_jsonl(gen_dir / "documents.jsonl")}
    chunks = [Chunk.from_dict(c) for c in read_jsonl(gen_dir / "chunks.jsonl")]
    embeddings = np.load(gen_dir / "embeddings.npy", mmap_mode="r")
    dense = faiss.read_index(str(gen_dir / "dense.faiss"))
    apply_search_params(dense, manifest.search_params)
    lexical = LexicalIndex.load(gen_dir / "lexical")
    if not (len(chunks) == embeddings.shape[0] == dense.ntotal == lexical.size):
        raise ZhengceError(f"index {index_dir}/{generation} is inconsistent: chunk, vector and BM25 counts differ")
    sentences = bounds = None
    if manifest.sentences:
        sentences = np.load(gen_dir / SENTENCE_VECTORS, mmap_mode="r")
        bounds = np.load(gen_dir / SENTENCE_BOUNDS)
        if len(bounds) != len(chunks) + 1 or bounds[-1] != sentences.shape[0]:
            raise ZhengceError(f"index {index_dir}/{generation} is inconsistent: sentence vectors and chunks differ")
    return LocalIndex(index_dir, generation, manifest, documents, chunks, embeddings, dense, lexical, doc_rows(chunks),
                      sentences, bounds)
