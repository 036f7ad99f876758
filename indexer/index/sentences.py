"""Each chunk's sentences embedded on their own, and the best of them for a query.

A chunk vector averages some 400 characters, so a passage holding the one sentence that answers a
question scores like a passage that only shares its topic; the best cosine of its sentences does not
(eval/results.md, section 22). An index built with ``IndexSettings.sentences`` stores the vectors of
``matched_sentences`` of every chunk, in row order: sentence ``j`` belongs to row ``r`` when
``bounds[r] <= j < bounds[r + 1]``; each backend's sentence store hands out the vectors of given rows
and their cosines with a query (``SentenceStore``), and ``best_sentence_scores`` takes each row's best.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from indexer.errors import IndexMismatch
from indexer.gongwen.sentences import matched_sentences
from indexer.index.manifest import Manifest
from indexer.models import Chunk

if TYPE_CHECKING:
    from indexer.index.base import ChunkIndex

SCORE_BLOCK = 512  # sentence vectors copied out and scored at a time: 768 KB, in a core's own (L2) cache


def sentence_texts(chunks: Sequence[Chunk]) -> tuple[list[str], np.ndarray]:
    """The sentences to embed, in row order, and how many each chunk has."""
    per_chunk = [matched_sentences(chunk.text) for chunk in chunks]
    return [text for texts in per_chunk for text in texts], np.array([len(t) for t in per_chunk], dtype=np.int64)


@dataclass(frozen=True)
class DocumentSentences:
    """One document's sentence vectors, its chunks' in order, and how many each chunk has: kept with
    the counts, so a writer never splits the unchanged documents again."""

    counts: np.ndarray
    vectors: np.ndarray


def stacked(documents: Sequence[DocumentSentences], dim: int) -> tuple[np.ndarray, np.ndarray]:
    """A generation's sentence vectors (each document's, in row order) and their bounds."""
    counts = np.concatenate([*(d.counts for d in documents), np.empty(0, np.int64)]).astype(np.int64)
    joined = np.concatenate([*(d.vectors for d in documents), np.empty((0, dim), np.float32)])
    return joined.astype(np.float32, copy=False), bounds_of(counts)


def bounds_of(counts: np.ndarray) -> np.ndarray:
    """(len(counts) + 1,) offsets: row ``r``'s sentences are ``bounds[r]:bounds[r + 1]``."""
    return np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]).astype(np.int64)


def gather(bounds: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sentence numbers of ``rows`` (each row's in order, rows in the order given) and each row's count."""
    starts, ends = bounds[rows], bounds[rows + 1]
    counts = ends - starts
    if not counts.sum():
        return np.empty(0, dtype=np.int64), counts
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    return np.arange(int(counts.sum()), dtype=np.int64) + offsets, counts


def best_sentence_scores(index: ChunkIndex, query_vector: np.ndarray, rows: np.ndarray,
                         own: np.ndarray | None = None) -> np.ndarray:
    """Each row's best sentence cosine with the query; the chunk's own (``own`` when the caller has
    it, as hybrid search does) where it has no sentence. Each store scores its sentences its own way
    (the local one in place, without copying them out)."""
    scores, counts = index.sentence_scores(query_vector, rows)
    own = index.dense_scores(query_vector, rows) if own is None else own
    return best_per_row(scores, counts, own)


def scores_of_rows(sentences: np.ndarray, bounds: np.ndarray, query_vector: np.ndarray,
                   rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cosine of each of ``rows``' sentences with the query (row after row) and each row's count,
    from the whole matrix ``sentences`` (float32, memory-mapped or not) without copying more than needed.

    Hybrid search asks for the sentences of its fused candidates (thousands of rows). Where they are
    half the index or more, one product with the whole matrix is cheaper than copying them out
    first; elsewhere they are copied out a block at a time into a buffer that stays in the CPU's
    cache (``take`` on the plain array: no memmap indexing) and scored there. The products are the
    same float32 products either way, to the last bit or one unit in it.
    """
    numbers, counts = gather(bounds, np.asarray(rows, dtype=np.int64))
    matrix = np.asarray(sentences)  # a plain view of the mapped file
    if 2 * len(numbers) >= len(matrix):
        return (matrix @ query_vector)[numbers], counts
    scores = np.empty(len(numbers), dtype=np.float32)
    block = np.empty((min(SCORE_BLOCK, len(numbers)), matrix.shape[1]), dtype=np.float32)
    for start in range(0, len(numbers), SCORE_BLOCK):
        part = numbers[start : start + SCORE_BLOCK]
        np.take(matrix, part, axis=0, out=block[: len(part)])
        scores[start : start + len(part)] = block[: len(part)] @ query_vector
    return scores, counts


def best_per_row(scores: np.ndarray, counts: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """The best of each row's consecutive ``counts`` sentence scores; ``fallback`` (the chunk's own
    cosine) for a row with no sentence to match (a chunk of headings only)."""
    best = np.array(fallback, dtype=np.float64)
    present = counts > 0
    if present.any():
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        best[present] = np.maximum.reduceat(np.asarray(scores, dtype=np.float64), starts[present])
    return best


def require_sentences(manifest: Manifest, where: str) -> None:
    """Raise IndexMismatch, saying how to rebuild, when the index stores no sentence vectors."""
    if not manifest.sentences:
        raise IndexMismatch(f"index {where} stores no sentence vectors, which the learned ranker reads: "
                            "build it again with `zhengce index PATH --sentences`")
