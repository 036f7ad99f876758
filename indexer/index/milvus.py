"""The Milvus index: one generation is a pair of collections, read here, written by ``milvus_writer``.

Milvus Lite runs in-process for a ``.db`` path; a URI reaches ``milvus-lite server``, a Milvus
standalone or a cluster, with the same calls. A generation ``N`` of collection ``base`` is::

    base_gNNNNNN_chunks  row (the interface's row number, primary key), doc_id, vector (IP),
                         sparse (BM25 weights of the project's own tokens, hashed), chunk and
                         tokens (JSON), and the filter fields issuer, region, doc_type, date,
                         doc_number (normalised), proposal_number
    base_gNNNNNN_sentences  when kept: sentence (its number, primary key), row and vector of each
                         chunk's sentences (indexer.index.sentences), numbered in row order
    base_gNNNNNN_docs    the manifest (JSON in pieces) and each document (part 0: its record without
                         text, with its rows and filter fields; parts 1..: its text), pieces of at
                         most PIECE_CHARS
    alias base        -> base_gNNNNNN_chunks: the engine's counterpart of CURRENT

A reader resolves the alias once and then reads only those physical collections, so a writer
switching the alias never shows it a half-applied update. Lexical scores are BM25 exactly as the
local index computes them (bm25s, lucene variant), precomputed per chunk: on MSGA dev this beat
Milvus's own BM25 function with its jieba analyzer (docs/milvus.md, eval/bench/milvus.py).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from hashlib import blake2b
from typing import Any

import numpy as np

from indexer.errors import BadInput, NotFound, ZhengceError
from indexer.gongwen.numbers import normalize_doc_number
from indexer.index.manifest import Manifest, check_format, check_model
from indexer.index.sentences import require_sentences
from indexer.models import Chunk, DocMeta, Document
from indexer.retrieval.filters import SearchFilters

MAX_LIMIT = 16_384  # Milvus's largest topk / query window
PIECE_CHARS = 16_000  # VARCHAR holds 65,535 bytes: 16k characters of up to 4 UTF-8 bytes
SPARSE_DIMS = 2**32 - 2  # hashed token ids; the last id is reserved for token-less chunks
NO_TOKENS = {SPARSE_DIMS: 1e-9}  # Milvus refuses an empty sparse vector; no query ever has this id
GET_BATCH = 2_048  # rows fetched by primary key per call
ROW_CACHE = 8_192  # rows whose vector, BM25 weights and record an index keeps (about 5 kB each)
SENTENCE_CACHE = 8_192  # rows whose sentence vectors an index keeps (about 8 kB each: 64 MB at most)
ROW_FIELDS = ["row", "vector", "sparse", "chunk"]
SCORE_FIELDS = ["row", "vector", "sparse"]
PREFETCH_RECORDS = 512  # fetches up to this many rows bring the chunk records along
MAX_RUNS = 16  # a filter lists runs of rows up to this many runs, single rows beyond
MANIFEST_KEY = "manifest"


def token_id(token: str) -> int:
    """Stable 32-bit id of a token (the same hashing idea as Milvus's own BM25 function)."""
    return int.from_bytes(blake2b(token.encode("utf-8"), digest_size=4).digest(), "little") % SPARSE_DIMS


def query_vector(tokens: list[str]) -> dict[int, float]:
    """A query's sparse vector: each token id weighted by its count, as bm25s sums repeated tokens."""
    counts: dict[int, float] = {}
    for token in tokens:
        tid = token_id(token)
        counts[tid] = counts.get(tid, 0.0) + 1.0
    return counts


def chunks_collection(base: str, generation: str) -> str:
    return f"{base}_{generation}_chunks"


def docs_collection(base: str, generation: str) -> str:
    return f"{base}_{generation}_docs"


def sentences_collection(base: str, generation: str) -> str:
    return f"{base}_{generation}_sentences"


def generation_of(base: str, chunks_name: str) -> str:
    return chunks_name[len(base) + 1 : -len("_chunks")]


_clients: dict[tuple[str, str | None], Any] = {}
_clients_lock = threading.Lock()


def connect(uri: str, token: str | None = None) -> Any:
    """One MilvusClient per URI and token in this process (Milvus Lite allows one owner per path)."""
    from pymilvus import MilvusClient, MilvusException

    # On Milvus Lite, query iterators ask for a server timestamp Lite does not implement, then use
    # the client's (correct: Lite is one process); pymilvus warns and Lite's gRPC server logs a
    # traceback each time. Failures reach callers as exceptions either way.
    logging.getLogger("pymilvus").setLevel(logging.ERROR)
    if uri.endswith(".db"):
        logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
    if "://" not in uri and not uri.endswith(".db"):
        raise BadInput(f"milvus URI {uri!r}: use a path ending in .db (Milvus Lite) or http://host:port")
    with _clients_lock:
        client = _clients.get((uri, token))
        if client is None:
            try:
                client = MilvusClient(uri=uri, token=token or "", timeout=30)
            except MilvusException as error:
                raise ZhengceError(f"cannot reach Milvus at {uri}: {error.message}") from None
            _clients[(uri, token)] = client
        return client


def live_collection(client: Any, base: str) -> str | None:
    """The chunks collection the alias ``base`` points at; None when there is no index."""
    if base not in client.list_aliases().get("aliases", []):
        return None
    return client.describe_alias(base)["collection_name"]


def read_pieces(client: Any, collection: str, doc_id: str) -> list[str]:
    """The bodies of one record's pieces, in order."""
    rows = client.query(collection, filter=f"doc_id == {literal(doc_id)}", output_fields=["part", "body"],
                        limit=MAX_LIMIT)
    return [r["body"] for r in sorted(rows, key=lambda r: r["part"])]


def read_manifest(client: Any, base: str, collection: str) -> Manifest:
    docs = docs_collection(base, generation_of(base, collection))
    # written by another process (zhengce index), a collection is released here until loaded:
    # Milvus refuses to query it ("in state 'released'; call load()"); loading a loaded one is a no-op
    client.load_collection(docs)
    return Manifest.from_dict(json.loads("".join(read_pieces(client, docs, MANIFEST_KEY))))


def literal(value: str) -> str:
    """A string literal of a Milvus filter expression."""
    return json.dumps(value, ensure_ascii=False)


def query_all(client: Any, collection: str, expr: str, fields: list[str], batch: int = 4_096) -> Iterator[dict]:
    iterator = client.query_iterator(collection, batch_size=batch, filter=expr, output_fields=fields)
    try:
        while rows := iterator.next():
            yield from rows
    finally:
        iterator.close()


def filter_expr(filters: SearchFilters) -> tuple[str, bool]:
    """A Milvus expression over the filter fields, and whether it means exactly what ``filters`` means
    (a LIKE pattern cannot say a literal % or _; such a clause is checked on the documents instead)."""
    clauses, exact = [], True
    for name in ("issuer", "region"):
        value = getattr(filters, name)
        if value and any(ch in value for ch in "%_\\"):
            exact = False
        elif value:
            clauses.append(f"{name} like {literal('%' + value + '%')}")
    if filters.doc_type:
        clauses.append(f"doc_type == {literal(filters.doc_type)}")
    if filters.doc_number:
        clauses.append(f"doc_number == {literal(normalize_doc_number(filters.doc_number))}")
    if filters.date_from:
        clauses.append(f'date != "" and date >= {literal(filters.date_from)}')
    if filters.date_to:
        clauses.append(f'date != "" and date <= {literal(filters.date_to)}')
    return " and ".join(f"({c})" for c in clauses) or "row >= 0", exact


def filter_fields(meta: DocMeta) -> dict[str, str]:
    """The filter fields of a document, stored on its chunks and on its record."""
    return {
        "issuer": meta.issuer or "", "region": meta.region or "", "doc_type": meta.doc_type or "",
        "date": meta.date or "", "doc_number": normalize_doc_number(meta.doc_number or ""),
        "proposal_number": meta.proposal_number or "",
    }


def rows_expr(rows: np.ndarray) -> str:
    """A filter for arbitrary rows: runs of consecutive rows (a document's chunks are one run)."""
    if len(rows) == 0:
        return "row < 0"
    rows = np.sort(np.asarray(rows, dtype=np.int64))
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    starts, ends = rows[np.r_[0, breaks]], rows[np.r_[breaks - 1, len(rows) - 1]]
    if len(starts) > MAX_RUNS:
        return f"row in {rows.tolist()}"
    return " or ".join(f"(row >= {a} and row <= {b})" for a, b in zip(starts.tolist(), ends.tolist()))


class Selection(np.ndarray):
    """Rows chosen by ``MilvusIndex.select``, carrying the filter that chose them; any array derived
    from one (a slice, a mask) drops it and is filtered by its rows."""

    expr: str | None = None

    def __array_finalize__(self, obj: Any) -> None:
        self.expr = None


@dataclass
class MilvusLexicalQuery:
    """BM25 of one query: Milvus ranks the chunks' sparse vectors by inner product with it."""

    index: MilvusIndex
    vector: dict[int, float]

    def top_k(self, k: int, rows: np.ndarray | None = None) -> np.ndarray:
        if not self.vector:
            return np.empty(0, dtype=np.int64)
        found = self.index.search("sparse", self.vector, k, rows)
        return np.asarray([row for row, score in found if score > 0], dtype=np.int64)

    def scores(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros(len(rows), dtype=np.float32)
        if not self.vector or not len(rows):
            return out
        if len(rows) <= ROW_CACHE:  # the candidates of one search: their weights are usually fetched already
            for i, weights in enumerate(self.index.fetch(rows, "sparse")):
                out[i] = sum(count * weights.get(tid, 0.0) for tid, count in self.vector.items())
            return out
        position = {row: i for i, row in enumerate(rows.tolist())}
        for start in range(0, len(rows), MAX_LIMIT):
            batch = rows[start : start + MAX_LIMIT]
            for row, score in self.index.search("sparse", self.vector, len(batch), batch):
                out[position[row]] = score
        return out


class ChunkView(Sequence):
    """The chunks of one generation by row, fetched on demand and kept in a bounded cache."""

    def __init__(self, index: MilvusIndex, size: int) -> None:
        self._index, self._size = index, size

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, row):
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(self._size))]
        row = int(row)
        if not 0 <= row < self._size:
            raise IndexError(row)
        return Chunk.from_dict(self._index.fetch(np.asarray([row]), "chunk")[0])

    def __iter__(self) -> Iterator[Chunk]:
        for start in range(0, self._size, GET_BATCH):
            rows = list(range(start, min(start + GET_BATCH, self._size)))
            yield from (Chunk.from_dict(record["chunk"]) for record in self._index.records(rows, ["row", "chunk"]))


class DocumentView(Mapping):
    """The documents of one generation by id, with their text, fetched on demand."""

    def __init__(self, index: MilvusIndex, ids: list[str]) -> None:
        self._index, self._ids = index, ids
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
        first, *text = read_pieces(self._index.client, self._index.docs, doc_id)
        return Document.from_dict({**json.loads(first), "text": "".join(text)})


@dataclass
class MilvusIndex:
    """One generation of a Milvus index; immutable, so concurrent searches share it."""

    client: Any
    base: str
    collection: str  # the physical chunks collection, not the alias
    manifest: Manifest
    doc_rows: dict[str, range]
    search_params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._rows: OrderedDict[int, dict] = OrderedDict()  # row cache, least recently used first
        self._sentences: OrderedDict[int, np.ndarray] = OrderedDict()  # each row's sentence vectors, likewise
        self._rows_lock = threading.Lock()
        self.generation = generation_of(self.base, self.collection)
        self.docs = docs_collection(self.base, self.generation)
        self.documents = DocumentView(self, list(self.doc_rows))
        self.chunks = ChunkView(self, int(self.manifest.chunks))

    @classmethod
    def load(cls, client: Any, base: str, *, expect_model: str | None = None, where: str = "") -> MilvusIndex:
        collection = live_collection(client, base)
        if collection is None:
            raise NotFound(f"no index in {where}: build one with `zhengce index PATH --backend milvus`")
        client.load_collection(collection)
        client.load_collection(docs_collection(base, generation_of(base, collection)))
        manifest = read_manifest(client, base, collection)
        check_format(manifest, where)
        if manifest.sentences:
            client.load_collection(sentences_collection(base, generation_of(base, collection)))
        if expect_model is not None:
            check_model(manifest, expect_model, index_dir=where)
        docs = docs_collection(base, generation_of(base, collection))
        spans = sorted(
            (r["row_start"], r["row_end"], r["doc_id"])
            for r in query_all(client, docs, "part == 0 and doc_id != " + literal(MANIFEST_KEY),
                               ["doc_id", "row_start", "row_end"])
        )
        doc_rows = {doc_id: range(start, end) for start, end, doc_id in spans}
        params = {"nprobe": manifest.search_params["nprobe"]} if "nprobe" in manifest.search_params else {}
        return cls(client, base, collection, manifest, doc_rows, params)

    def rows_of(self, doc_id: str) -> range:
        return self.doc_rows.get(doc_id, range(0))

    def select(self, filters: SearchFilters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        expr, exact = filter_expr(filters)
        candidates = query_all(self.client, self.docs, f"part == 0 and doc_id != {literal(MANIFEST_KEY)} and ({expr})",
                               ["doc_id", "body"])
        ranges = []
        for record in candidates:
            meta = DocMeta.from_dict(json.loads(record["body"])["meta"])
            if exact or filters.matches(Document(record["doc_id"], "", "", meta, "", "")):
                ranges.append(self.rows_of(record["doc_id"]))
        rows = np.sort(np.concatenate([np.arange(r.start, r.stop) for r in ranges] or [np.empty(0, np.int64)]))
        selection = rows.astype(np.int64).view(Selection)
        selection.expr = expr if exact else None
        return selection

    def dense_top_k(self, query_vector: np.ndarray, k: int, rows: np.ndarray | None = None) -> np.ndarray:
        found = self.search("vector", np.asarray(query_vector, dtype=np.float32).tolist(), k, rows)
        return np.asarray([row for row, _ in found], dtype=np.int64)

    def dense_scores(self, vectors: np.ndarray, rows: np.ndarray) -> np.ndarray:
        stored = self.stored_vectors(np.asarray(rows, dtype=np.int64))
        return stored @ (vectors.T if vectors.ndim == 2 else vectors)

    def vectors(self, rows: range) -> np.ndarray:
        return self.stored_vectors(np.arange(rows.start, rows.stop, dtype=np.int64))

    def sentence_vectors(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        require_sentences(self.manifest, f"{self.base} ({self.generation})")
        wanted = np.asarray(rows, dtype=np.int64).tolist()
        with self._rows_lock:
            found = {row: self._sentences[row] for row in wanted if row in self._sentences}
            for row in found:
                self._sentences.move_to_end(row)
        missing = sorted(set(wanted) - found.keys())
        if missing:  # Milvus hands vectors over slowly (about 2 s for 12,000 on Lite): each row is read once
            fetched: dict[int, list[tuple[int, list[float]]]] = {row: [] for row in missing}
            name = sentences_collection(self.base, self.generation)
            for record in query_all(self.client, name, rows_expr(np.asarray(missing)), ["sentence", "row", "vector"]):
                fetched[int(record["row"])].append((int(record["sentence"]), record["vector"]))
            dim = int(self.manifest.dim)
            with self._rows_lock:
                for row, sentences in fetched.items():
                    found[row] = np.asarray([v for _, v in sorted(sentences)], dtype=np.float32).reshape(-1, dim)
                    self._sentences[row] = found[row]
                while len(self._sentences) > SENTENCE_CACHE:
                    self._sentences.popitem(last=False)
        vectors = [found[row] for row in wanted]
        joined = np.concatenate(vectors) if vectors else np.empty((0, self.manifest.dim), dtype=np.float32)
        return joined, np.array([len(v) for v in vectors], dtype=np.int64)

    def lexical(self, tokens: list[str]) -> MilvusLexicalQuery:
        return MilvusLexicalQuery(self, query_vector(tokens))

    # ------------------------------------------------------------------ engine calls

    def search(self, field_name: str, query: Any, k: int, rows: np.ndarray | None) -> list[tuple[int, float]]:
        """(row, score) best first, among ``rows`` when given; at most MAX_LIMIT."""
        k = min(int(k), MAX_LIMIT, len(self.chunks) if rows is None else len(rows))
        if k <= 0:
            return []
        expr = ""
        if rows is not None:
            expr = rows.expr if isinstance(rows, Selection) and rows.expr else rows_expr(rows)
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
        with self._rows_lock:
            found = {row: self._rows[row] for row in wanted if field_name in self._rows.get(row, ())}
            for row in found:
                self._rows.move_to_end(row)
        missing = [row for row in wanted if row not in found]
        if missing:
            fields = ROW_FIELDS if len(missing) <= PREFETCH_RECORDS or field_name == "chunk" else SCORE_FIELDS
            fetched = self.records(missing, fields)
            with self._rows_lock:
                for record in fetched:
                    row = int(record["row"])
                    found[row] = {**self._rows.pop(row, {}), **record}
                    self._rows[row] = found[row]
                while len(self._rows) > ROW_CACHE:
                    self._rows.popitem(last=False)
        return [found[row][field_name] for row in wanted]

    def records(self, rows: list[int], fields: list[str]) -> list[dict]:
        """Records of ``rows`` in that order."""
        by_row: dict[int, dict] = {}
        for start in range(0, len(rows), GET_BATCH):
            for record in self.client.get(self.collection, ids=rows[start : start + GET_BATCH], output_fields=fields):
                by_row[int(record["row"])] = record
        return [by_row[row] for row in rows]

    def stored_vectors(self, rows: np.ndarray) -> np.ndarray:
        if not len(rows):
            return np.empty((0, self.manifest.dim), dtype=np.float32)
        return np.asarray(self.fetch(rows, "vector"), dtype=np.float32)
