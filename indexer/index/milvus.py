"""The Milvus index: one generation (``milvus_schema``) opened here as a ``ChunkIndex`` of four stores.

A reader resolves the alias once and then reads only those physical collections, so a writer
(``milvus_store``) switching the alias never shows it a half-applied update. Lexical scores are BM25
exactly as the local index computes them (bm25s, lucene variant), precomputed per chunk; Milvus's
own BM25 function is the alternative ``eval.milvus_lexical`` measures (docs/milvus.md).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from indexer.errors import NotFound
from indexer.index.base import ChunkIndex
from indexer.index.filters import SearchFilters, Selection
from indexer.index.manifest import check_format, check_model
from indexer.index.milvus_client import MAX_LIMIT, live_collection, query_all, read_manifest, read_pieces
from indexer.index.milvus_schema import (
    MANIFEST_KEY,
    docs_collection,
    filter_expr,
    generation_of,
    literal,
    query_vector,
    rows_expr,
    selection_expr,
    sentences_collection,
)
from indexer.models import Chunk, DocMeta, Document

GET_BATCH = 2_048  # rows fetched by primary key per call
ROW_CACHE = 8_192  # rows whose vector, BM25 weights and record an index keeps (about 5 kB each)
SENTENCE_CACHE = 8_192  # rows whose sentence vectors an index keeps (about 8 kB each: 64 MB at most)
ROW_FIELDS = ["row", "vector", "sparse", "chunk"]
SCORE_FIELDS = ["row", "vector", "sparse"]
PREFETCH_RECORDS = 512  # fetches up to this many rows bring the chunk records along


@dataclass(eq=False)
class MilvusRows:
    """The chunks collection of one generation: searched by field, and read by row through one bounded
    cache that the vector, lexical and record stores share (a search fetches its candidates once)."""

    client: Any
    collection: str  # the physical chunks collection, not the alias
    size: int
    search_params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._cache: OrderedDict[int, dict] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()

    def search(self, field_name: str, query: Any, k: int, within: Selection | None) -> list[tuple[int, float]]:
        """(row, score) best first, among ``within``'s rows when given; at most MAX_LIMIT."""
        k = min(int(k), MAX_LIMIT, self.size if within is None else len(within))
        if k <= 0:
            return []
        expr = "" if within is None else selection_expr(within)
        dense = field_name == "vector"
        params = {"metric_type": "IP", "params": self.search_params if dense else {}}
        found = self.client.search(self.collection, data=[query], anns_field=field_name, limit=k, filter=expr,
                                   output_fields=["row"], search_params=params)[0]
        return [(int(hit["row"] if "row" in hit else hit["id"]), float(hit["distance"])) for hit in found]

    def fetch(self, rows: np.ndarray, field_name: str) -> list[Any]:
        """One field of ``rows``, in the order given. A search's candidates are fetched once with the
        fields the Searcher asks for next: vectors and BM25 weights, and for a few hundred rows (the
        ones about to be shown) their chunk records too."""
        wanted = [int(row) for row in rows]
        if len(wanted) > ROW_CACHE:  # a scan (precedents over a whole index): only this field, uncached
            return [record[field_name] for record in self.records(wanted, ["row", field_name])]
        with self._lock:
            found = {row: self._cache[row] for row in wanted if field_name in self._cache.get(row, ())}
            for row in found:
                self._cache.move_to_end(row)
        missing = [row for row in wanted if row not in found]
        if missing:
            fields = ROW_FIELDS if len(missing) <= PREFETCH_RECORDS or field_name == "chunk" else SCORE_FIELDS
            fetched = self.records(missing, fields)
            with self._lock:
                for record in fetched:
                    row = int(record["row"])
                    found[row] = {**self._cache.pop(row, {}), **record}
                    self._cache[row] = found[row]
                while len(self._cache) > ROW_CACHE:
                    self._cache.popitem(last=False)
        return [found[row][field_name] for row in wanted]

    def records(self, rows: list[int], fields: list[str]) -> list[dict]:
        """Records of ``rows`` in that order."""
        by_row: dict[int, dict] = {}
        for start in range(0, len(rows), GET_BATCH):
            for record in self.client.get(self.collection, ids=rows[start : start + GET_BATCH], output_fields=fields):
                by_row[int(record["row"])] = record
        return [by_row[row] for row in rows]


@dataclass(frozen=True, eq=False)
class MilvusVectors:
    """The chunks' ``vector`` field."""

    rows: MilvusRows
    dim: int

    def top_k(self, query_vector: np.ndarray, k: int, within: Selection | None = None) -> np.ndarray:
        found = self.rows.search("vector", np.asarray(query_vector, dtype=np.float32).tolist(), k, within)
        return np.asarray([row for row, _ in found], dtype=np.int64)

    def scores(self, vectors: np.ndarray, rows: np.ndarray) -> np.ndarray:
        stored = self.stored(np.asarray(rows, dtype=np.int64))
        return stored @ (vectors.T if vectors.ndim == 2 else vectors)

    def vectors(self, rows: range) -> np.ndarray:
        return self.stored(np.arange(rows.start, rows.stop, dtype=np.int64))

    def stored(self, rows: np.ndarray) -> np.ndarray:
        if not len(rows):
            return np.empty((0, self.dim), dtype=np.float32)
        return np.asarray(self.rows.fetch(rows, "vector"), dtype=np.float32)


@dataclass(frozen=True, eq=False)
class MilvusLexicalQuery:
    """BM25 of one query: Milvus ranks the chunks' sparse vectors by inner product with it."""

    rows: MilvusRows
    vector: dict[int, float]

    def top_k(self, k: int, within: Selection | None = None) -> np.ndarray:
        if not self.vector:
            return np.empty(0, dtype=np.int64)
        found = self.rows.search("sparse", self.vector, k, within)
        return np.asarray([row for row, score in found if score > 0], dtype=np.int64)

    def scores(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros(len(rows), dtype=np.float32)
        if not self.vector or not len(rows):
            return out
        if len(rows) <= ROW_CACHE:  # the candidates of one search: their weights are usually fetched already
            for i, weights in enumerate(self.rows.fetch(rows, "sparse")):
                out[i] = sum(count * weights.get(tid, 0.0) for tid, count in self.vector.items())
            return out
        position = {row: i for i, row in enumerate(rows.tolist())}
        for start in range(0, len(rows), MAX_LIMIT):
            batch = rows[start : start + MAX_LIMIT]
            for row, score in self.rows.search("sparse", self.vector, len(batch), Selection(batch)):
                out[position[row]] = score
        return out


@dataclass(frozen=True, eq=False)
class MilvusLexical:
    """The chunks' ``sparse`` field: each chunk's BM25 weight per hashed token."""

    rows: MilvusRows

    def query(self, tokens: list[str]) -> MilvusLexicalQuery:
        return MilvusLexicalQuery(self.rows, query_vector(tokens))


class ChunkView(Sequence):
    """The chunks of one generation by row, fetched on demand and kept in the rows' cache."""

    def __init__(self, rows: MilvusRows) -> None:
        self._rows = rows

    def __len__(self) -> int:
        return self._rows.size

    def __getitem__(self, row):
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        row = int(row)
        if not 0 <= row < len(self):
            raise IndexError(row)
        return Chunk.from_dict(self._rows.fetch(np.asarray([row]), "chunk")[0])

    def __iter__(self) -> Iterator[Chunk]:
        for start in range(0, len(self), GET_BATCH):
            rows = list(range(start, min(start + GET_BATCH, len(self))))
            yield from (Chunk.from_dict(record["chunk"]) for record in self._rows.records(rows, ["row", "chunk"]))


class DocumentView(Mapping):
    """The documents of one generation by id, with their text, fetched on demand."""

    def __init__(self, client: Any, docs: str, ids: list[str]) -> None:
        self._client, self._docs, self._ids = client, docs, ids
        self._known = set(ids)
        self._get = lru_cache(maxsize=4_096)(self._fetch)

    def __getitem__(self, doc_id: str) -> Document:
        if doc_id not in self._known:
            raise KeyError(doc_id)
        return self._get(doc_id)

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def _fetch(self, doc_id: str) -> Document:
        first, *text = read_pieces(self._client, self._docs, doc_id)
        return Document.from_dict({**json.loads(first), "text": "".join(text)})


class MilvusRecords:
    """Documents (the docs collection) and chunks (the chunks' ``chunk`` field); filters run in Milvus."""

    def __init__(self, rows: MilvusRows, docs: str, doc_rows: dict[str, range]) -> None:
        self.docs = docs  # the physical docs collection
        self.doc_rows = doc_rows
        self._client = rows.client
        self.documents = DocumentView(rows.client, docs, list(doc_rows))
        self.chunks = ChunkView(rows)

    def rows_of(self, doc_id: str) -> range:
        return self.doc_rows.get(doc_id, range(0))

    def select(self, filters: SearchFilters | None) -> Selection | None:
        if filters is None or filters.is_empty():
            return None
        expr, exact = filter_expr(filters)
        candidates = query_all(self._client, self.docs, f"part == 0 and doc_id != {literal(MANIFEST_KEY)} and ({expr})",
                               ["doc_id", "body"])
        ranges = []
        for record in candidates:
            meta = DocMeta.from_dict(json.loads(record["body"])["meta"])
            if exact or filters.matches(Document(record["doc_id"], "", "", meta, "", "")):
                ranges.append(self.rows_of(record["doc_id"]))
        rows = np.sort(np.concatenate([np.arange(r.start, r.stop) for r in ranges] or [np.empty(0, np.int64)]))
        return Selection(rows.astype(np.int64), filters)


class MilvusSentences:
    """The sentences collection, read by row; each row's vectors are read once and kept in a bounded cache."""

    def __init__(self, client: Any, collection: str, dim: int) -> None:
        self._client, self._collection, self._dim = client, collection, dim
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()

    def vectors(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        wanted = np.asarray(rows, dtype=np.int64).tolist()
        with self._lock:
            found = {row: self._cache[row] for row in wanted if row in self._cache}
            for row in found:
                self._cache.move_to_end(row)
        missing = sorted(set(wanted) - found.keys())
        if missing:  # Milvus hands vectors over slowly (eval/results.md, section 23): each row is read once
            fetched: dict[int, list[tuple[int, list[float]]]] = {row: [] for row in missing}
            for record in query_all(self._client, self._collection, rows_expr(np.asarray(missing)),
                                    ["sentence", "row", "vector"]):
                fetched[int(record["row"])].append((int(record["sentence"]), record["vector"]))
            with self._lock:
                for row, sentences in fetched.items():
                    found[row] = np.asarray([v for _, v in sorted(sentences)], dtype=np.float32).reshape(-1, self._dim)
                    self._cache[row] = found[row]
                while len(self._cache) > SENTENCE_CACHE:
                    self._cache.popitem(last=False)
        vectors = [found[row] for row in wanted]
        joined = np.concatenate(vectors) if vectors else np.empty((0, self._dim), dtype=np.float32)
        return joined, np.array([len(v) for v in vectors], dtype=np.int64)

    def scores(self, query_vector: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        vectors, counts = self.vectors(rows)
        return vectors @ query_vector, counts


@dataclass(frozen=True, eq=False)
class MilvusIndex(ChunkIndex):
    """One generation of a Milvus index; immutable, so concurrent searches share it."""

    records: MilvusRecords
    dense: MilvusVectors
    bm25: MilvusLexical
    sentences: MilvusSentences | None

    @classmethod
    def load(cls, client: Any, base: str, *, expect_model: str | None = None, where: str = "") -> MilvusIndex:
        """The generation the alias ``base`` points at: the Milvus backend's factory."""
        collection = live_collection(client, base)
        if collection is None:
            raise NotFound(f"no index in {where}: build one with `zhengce index PATH --backend milvus`")
        generation = generation_of(base, collection)
        docs = docs_collection(base, generation)
        client.load_collection(collection)
        client.load_collection(docs)
        manifest = read_manifest(client, base, collection)
        check_format(manifest, where)
        if manifest.sentences:
            client.load_collection(sentences_collection(base, generation))
        if expect_model is not None:
            check_model(manifest, expect_model, index_dir=where)
        spans = sorted(
            (r["row_start"], r["row_end"], r["doc_id"])
            for r in query_all(client, docs, "part == 0 and doc_id != " + literal(MANIFEST_KEY),
                               ["doc_id", "row_start", "row_end"])
        )
        params = {"nprobe": manifest.search_params["nprobe"]} if "nprobe" in manifest.search_params else {}
        rows = MilvusRows(client, collection, int(manifest.chunks), params)
        dim = int(manifest.dim)
        sentences = MilvusSentences(client, sentences_collection(base, generation), dim) if manifest.sentences else None
        return cls(manifest, generation, f"{base} ({generation})",
                   MilvusRecords(rows, docs, {doc_id: range(start, end) for start, end, doc_id in spans}),
                   MilvusVectors(rows, dim), MilvusLexical(rows), sentences)
