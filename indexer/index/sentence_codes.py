"""Sentence vectors kept as 16-bit codes: half the bytes to store, and to read per search.

The learned ranker scores every sentence of some thousands of candidates per search, and reading
their float32 vectors was most of what it cost beside linear fusion. Each vector is kept as
``scale * code``: one signed 16-bit integer per dimension and one float per sentence, so each code
spans its own largest component. A cosine with a query is ``scale * (query . code)``, within a few
millionths of the float32 product. Eight-bit codes, tried too, changed the dev rankings
(docs/performance.md); these do not.

Decoding a code and coding it again gives the same code, so the documents an update leaves alone
keep their vectors from generation to generation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.compiled import REORDERED_SUMS, compiled
from indexer.index.resident import Budget

CODES = "sentence_codes.npy"  # (sentences, dim) int16, row order (indexer.index.sentences)
SCALES = "sentence_scales.npy"  # (sentences,) float32
LEVELS = 32_767  # codes run from -LEVELS to LEVELS
BLOCK = 65_536  # vectors coded at a time: a 1M-chunk index holds millions of sentences


@dataclass(frozen=True, eq=False)
class SentenceCodes:
    """Every sentence vector of an index generation as ``scales[i] * codes[i]``."""

    codes: np.ndarray  # (sentences, dim) int16: in memory, or memory-mapped past the load's budget
    scales: np.ndarray  # (sentences,) float32

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    @classmethod
    def of(cls, vectors: np.ndarray) -> SentenceCodes:
        vectors = np.asarray(vectors, dtype=np.float32)
        codes = np.empty(vectors.shape, dtype=np.int16)
        scales = np.empty(len(vectors), dtype=np.float32)
        for start in range(0, len(vectors), BLOCK):
            stop = min(len(vectors), start + BLOCK)
            codes[start:stop], scales[start:stop] = encode(vectors[start:stop])
        return cls(codes, scales)

    def save(self, folder: Path) -> None:
        np.save(folder / CODES, self.codes)
        np.save(folder / SCALES, self.scales)

    @classmethod
    def load(cls, folder: Path, budget: Budget | None = None) -> SentenceCodes:
        """The codes memory-mapped, or in memory while they fit ``budget``; the product's machine code
        loaded now, not in a search."""
        loaded = cls((budget or Budget(0)).load(folder / CODES), np.load(folder / SCALES))
        loaded.scores(np.zeros(loaded.codes.shape[1], np.float32), np.empty(0, np.int64))
        return loaded

    def vectors(self, numbers: np.ndarray) -> np.ndarray:
        """The decoded vectors of sentences ``numbers``."""
        numbers = np.asarray(numbers, dtype=np.int64)
        codes = np.asarray(self.codes).take(numbers, axis=0)  # a plain view: no memmap indexing
        return codes.astype(np.float32) * self.scales[numbers][:, None]

    def scores(self, query_vector: np.ndarray, numbers: np.ndarray) -> np.ndarray:
        """The cosine of each of sentences ``numbers`` with the (unit) query, read from the codes in place."""
        out = np.empty(len(numbers), dtype=np.float32)
        _code_products(np.asarray(self.codes), self.scales, np.asarray(numbers, dtype=np.int64),
                       np.ascontiguousarray(query_vector, dtype=np.float32), out)
        return out


def encode(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The codes and scales of float32 ``vectors``: each one's largest component is ``LEVELS`` times its scale."""
    vectors = np.asarray(vectors, dtype=np.float32)
    scales = (np.abs(vectors).max(axis=1, initial=0.0) / LEVELS).astype(np.float32)
    steps = np.where(scales > 0, scales, np.float32(1))
    codes = np.clip(np.rint(vectors / steps[:, None]), -LEVELS, LEVELS).astype(np.int16)
    return codes, scales


def _products(codes: np.ndarray, scales: np.ndarray, numbers: np.ndarray, query: np.ndarray, out: np.ndarray) -> None:
    """``out[k] = scales[n] * (codes[n] . query)`` for each sentence ``n = numbers[k]``.

    The list is cut in four stretches scored side by side, a sentence of each per step: four reads
    from memory are under way at once, where one at a time waited for each jump between candidates'
    sentences (docs/performance.md)."""
    count = numbers.shape[0]
    step = (count + 3) // 4
    for k in range(step):
        a, b, c, d = k, k + step, k + 2 * step, k + 3 * step
        ra = numbers[a]
        rb = numbers[b] if b < count else ra
        rc = numbers[c] if c < count else ra
        rd = numbers[d] if d < count else ra
        ta = tb = tc = td = np.float32(0.0)
        for j in range(codes.shape[1]):
            q = query[j]
            ta += np.float32(codes[ra, j]) * q
            tb += np.float32(codes[rb, j]) * q
            tc += np.float32(codes[rc, j]) * q
            td += np.float32(codes[rd, j]) * q
        out[a] = scales[ra] * ta
        if b < count:
            out[b] = scales[rb] * tb
        if c < count:
            out[c] = scales[rc] * tc
        if d < count:
            out[d] = scales[rd] * td


_code_products = compiled(_products, fastmath=REORDERED_SUMS)
