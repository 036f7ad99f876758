"""A query-side linear adapter: q' = normalise(q + q W), passages left as they are.

Questions and the passages that answer them are worded differently; the adapter learns, from
judged dev queries, a small move of the query vector towards the answers it needs. Only queries
change, so an index built without the adapter serves with it (local and Milvus alike), and
switching it off needs no re-indexing. At query time it is one 384 x 384 product in numpy.

It is opt-in (``ZHENGCE_QUERY_ADAPTER``=file) and belongs to the collection it was trained on: on
the dev sets it lifts hybrid on the set it learnt from and loses on the other (eval/results.md,
section 19), so an office trains it on its own judged questions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from indexer.config import indexing_settings
from indexer.embed import Embedder
from indexer.errors import BadInput


@dataclass(frozen=True)
class QueryAdapter:
    """The matrix W, the model it belongs to, and how it was trained (kept in the same file)."""

    model_id: str
    matrix: np.ndarray  # (dim, dim), float32
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[0])

    def apply(self, vectors: np.ndarray) -> np.ndarray:
        """Unit-length rows of q + q W, float32."""
        vectors = np.asarray(vectors, dtype=np.float32)
        moved = vectors + vectors @ self.matrix
        norms = np.linalg.norm(moved, axis=1, keepdims=True)
        return (moved / np.maximum(norms, 1e-12)).astype(np.float32)

    def save(self, path: Path | str) -> None:
        meta = json.dumps({"model_id": self.model_id, "record": self.record}, ensure_ascii=False)
        with Path(path).open("wb") as out:
            np.savez_compressed(out, matrix=self.matrix.astype(np.float32), meta=np.array(meta))

    @classmethod
    def load(cls, path: Path | str) -> QueryAdapter:
        try:
            with np.load(Path(path), allow_pickle=False) as data:
                matrix = np.asarray(data["matrix"], dtype=np.float32)
                meta = json.loads(str(data["meta"]))
        except (OSError, KeyError, ValueError) as error:
            raise BadInput(f"query adapter {path}: unreadable ({error})") from None
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise BadInput(f"query adapter {path}: matrix of shape {matrix.shape}, not square")
        return cls(str(meta["model_id"]), matrix, dict(meta.get("record", {})))


class AdaptedEmbedder:
    """An embedder whose query vectors pass through a :class:`QueryAdapter`; passages unchanged.

    It keeps the inner model's identity, because the passages it embeds are exactly the inner
    model's, so it reads and writes the same indexes and the same vector cache.
    """

    def __init__(self, inner: Embedder, adapter: QueryAdapter) -> None:
        if adapter.model_id != inner.model_id or adapter.dim != inner.dim:
            raise BadInput(f"query adapter for {adapter.model_id} ({adapter.dim} dimensions) "
                           f"cannot adapt {inner.model_id} ({inner.dim} dimensions)")
        self.inner = inner
        self.adapter = adapter
        self.model_id = inner.model_id
        self.dim = inner.dim

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.adapter.apply(self.inner.encode_queries(texts))

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self.inner.encode_passages(texts)


def with_query_adapter(embedder: Embedder, *, enabled: bool = True) -> Embedder:
    """``embedder`` behind the adapter file ``ZHENGCE_QUERY_ADAPTER`` names, if it names one and
    ``enabled``; an adapter trained for another model is refused, not ignored."""
    path = indexing_settings().query_adapter
    if not enabled or not path or isinstance(embedder, AdaptedEmbedder):
        return embedder
    return AdaptedEmbedder(embedder, QueryAdapter.load(Path(path).expanduser()))
