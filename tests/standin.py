"""A deterministic stand-in for the embedding model, for tests that are not about retrieval quality.

Storage, filters, fusion arithmetic, the API contract and reliability need vectors that are
stable, unit length and cheap, not vectors that mean anything. Hashed character n-grams give
exactly that in microseconds: the same text always gets the same vector, and texts that share
words get a positive cosine, so a search for a document's own words still finds it.
"""

from __future__ import annotations

import unicodedata
import zlib

import numpy as np


class HashedNgramEmbedder:
    """Character 1- to 3-grams, each hashed to a signed bucket of a ``dim``-vector, then normalised."""

    def __init__(self, dim: int = 256, model_id: str = "stand-in/hashed-char-ngrams") -> None:
        self.dim = dim
        self.model_id = model_id

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def _encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            text = unicodedata.normalize("NFKC", text).lower()
            grams = [text[i : i + n] for n in (1, 2, 3) for i in range(len(text) - n + 1)]
            codes = np.fromiter((zlib.crc32(g.encode("utf-8")) for g in grams), dtype=np.uint64, count=len(grams))
            signs = np.where(codes & np.uint64(1 << 31), -1.0, 1.0).astype(np.float32)
            np.add.at(out[row], (codes % np.uint64(self.dim)).astype(np.intp), signs)
            norm = float(np.linalg.norm(out[row]))
            if norm > 0:
                out[row] /= norm
            else:
                out[row, 0] = 1.0  # an empty text still gets a unit vector
        return out
