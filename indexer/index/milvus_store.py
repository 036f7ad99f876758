"""The Milvus store: opens the live generation, and commits a working copy as new collections.

Files and documents are compared by content hash exactly as for the local folder (the update
operations are the same, ``indexer.update``); only what changed is embedded. A commit builds the
next generation's collections completely, then moves the alias to it in one call, then drops
generations older than the previous one: a reader (or a writer killed at any instant) only ever
sees a complete generation. Vectors and tokens of unchanged documents are read back from the live
generation, never recomputed.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from indexer.errors import BadInput, IndexBusy
from indexer.index import milvus_schema as schema
from indexer.index.faiss_index import resolve_factory
from indexer.index.lexical import LexicalIndex
from indexer.index.local import doc_rows
from indexer.index.manifest import Manifest, ModelIdentity
from indexer.index.milvus import MilvusIndex
from indexer.index.milvus_client import connect, live_collection, query_all, read_manifest
from indexer.index.report import UpdateReport
from indexer.index.sentences import DocumentSentences, bounds_of, stacked
from indexer.index.settings import IndexSettings
from indexer.index.working_copy import WorkingCopy
from indexer.models import Chunk, Document

INSERT_BATCH = 512
_locks: dict[tuple[str, str], threading.Lock] = {}
_locks_guard = threading.Lock()


@dataclass
class MilvusStore:
    """A Milvus collection (alias) on Milvus Lite, a Milvus server or a cluster."""

    uri: str
    collection: str = "zhengce"
    token: str | None = None
    name: str = "milvus"

    @property
    def client(self) -> Any:
        return connect(self.uri, self.token)

    def describe(self) -> str:
        return f"{self.uri} collection {self.collection}"

    def current_manifest(self) -> Manifest | None:
        live = live_collection(self.client, self.collection)
        return None if live is None else read_manifest(self.client, self.collection, live)

    def live_generation(self) -> str | None:
        live = live_collection(self.client, self.collection)
        return None if live is None else schema.generation_of(self.collection, live)

    def open(self, *, expect_model: str | None = None) -> MilvusIndex:
        return MilvusIndex.load(self.client, self.collection, expect_model=expect_model, where=self.describe())

    def deleted_ids(self) -> set[str]:
        """None: a Milvus generation keeps no tombstones (a deleted document's rows are simply gone)."""
        return set()

    @contextmanager
    def writing(self) -> Iterator[WorkingCopy]:
        """One writer per collection in this process; a second is told the index is busy.
        (Milvus has no lock a second process could see: run one indexing process per collection.)"""
        with _locks_guard:
            lock = _locks.setdefault((self.uri, self.collection), threading.Lock())
        if not lock.acquire(blocking=False):
            raise IndexBusy(f"index {self.describe()} is being written by another run in this process")
        try:
            yield self._load_copy()
        finally:
            lock.release()

    def commit(self, copy: WorkingCopy, settings: IndexSettings, model: ModelIdentity, report: UpdateReport) -> None:
        """Write the copy as the next generation's collections, move the alias to them, drop older ones."""
        client = self.client
        order, chunks, vectors, tokens = copy.rows(model.dim)
        started = time.perf_counter()
        lexical = LexicalIndex.build(tokens)
        sparse = sparse_weights(lexical, tokens)
        report.timings["bm25"] = time.perf_counter() - started

        started = time.perf_counter()
        live = live_collection(client, self.collection)
        previous = schema.generation_of(self.collection, live) if live else None
        number = int(previous[1:]) + 1 if previous else 1
        generation = f"g{number:06d}"
        effective, index_params = dense_index(settings.factory, len(chunks))
        chunks_name = schema.chunks_collection(self.collection, generation)
        docs_name = schema.docs_collection(self.collection, generation)
        sentences_name = schema.sentences_collection(self.collection, generation)
        for name in (chunks_name, docs_name, sentences_name):  # left by a run that died before switching
            if client.has_collection(name):
                client.drop_collection(name)
        schema.create_chunks(client, chunks_name, model.dim, index_params)
        schema.create_docs(client, docs_name)
        if settings.sentences:
            self._write_sentences(sentences_name, [copy.sentences[d] for d in order], model.dim)
        self._write_chunks(chunks_name, copy, chunks, vectors, tokens, sparse)
        manifest = Manifest.of_build(settings, model, factory_effective=effective, bm25=lexical.params,
                                     documents=len(order), chunks=len(chunks), generation=generation,
                                     sources=copy.sources, backend="milvus")
        self._write_docs(docs_name, copy, order, doc_rows(chunks), manifest)
        client.flush(chunks_name)
        client.flush(docs_name)
        if live is None:
            client.create_alias(chunks_name, self.collection)
        else:
            client.alter_alias(chunks_name, self.collection)  # the switch: one call
        for name in client.list_collections():
            old = name.startswith(self.collection + "_g") and name.endswith(("_chunks", "_docs", "_sentences"))
            if old and generation not in name and (previous is None or previous not in name):
                client.drop_collection(name)
        report.timings["write"] = time.perf_counter() - started
        report.generation = generation
        report.rebuilt = True

    def write(
        self, documents: Iterable[Document], chunks: list[Chunk], vectors: np.ndarray, tokens: list[list[str]],
        settings: IndexSettings, manifest: Manifest,
    ) -> UpdateReport:
        """A generation from chunks, vectors and tokens made elsewhere (``zhengce bench``: no model runs)."""
        copy = WorkingCopy(manifest=None, documents={d.doc_id: d for d in documents}, dirty=True)
        for doc_id, span in doc_rows(chunks).items():
            copy.chunks[doc_id] = chunks[span.start : span.stop]
            copy.vectors[doc_id] = vectors[span.start : span.stop]
            copy.tokens[doc_id] = tokens[span.start : span.stop]
        copy.documents = {d: copy.documents[d] for d in copy.chunks}
        report = UpdateReport(index_dir=self.describe())
        with self.writing():
            self.commit(copy, settings, manifest, report)
        return report

    # ------------------------------------------------------------------ reading back, writing out

    def _load_copy(self) -> WorkingCopy:
        client = self.client
        live = live_collection(client, self.collection)
        if live is None:
            return WorkingCopy(manifest=None)
        index = self.open()
        copy = WorkingCopy(manifest=index.manifest, sources=dict(index.manifest.sources))
        copy.documents = {d.doc_id: d for d in _all_documents(client, index.records.docs)}
        rows = {r["row"]: r for r in query_all(client, live, "row >= 0", ["row", "chunk", "vector", "tokens"])}
        ordered = [rows[i] for i in range(len(rows))]
        chunk_list = [Chunk.from_dict(r["chunk"]) for r in ordered]
        for doc_id, span in doc_rows(chunk_list).items():
            part = ordered[span.start : span.stop]
            copy.chunks[doc_id] = chunk_list[span.start : span.stop]
            copy.vectors[doc_id] = np.asarray([r["vector"] for r in part], dtype=np.float32)
            copy.tokens[doc_id] = [list(r["tokens"]) for r in part]
        for doc_id in copy.documents:
            copy.chunks.setdefault(doc_id, [])
            copy.vectors.setdefault(doc_id, np.empty((0, index.manifest.dim), dtype=np.float32))
            copy.tokens.setdefault(doc_id, [])
        if index.manifest.sentences:
            name = schema.sentences_collection(self.collection, index.generation)
            found = sorted((r["sentence"], r["row"], r["vector"])
                           for r in query_all(client, name, "sentence >= 0", ["sentence", "row", "vector"]))
            counts = np.bincount([row for _, row, _ in found], minlength=len(chunk_list)).astype(np.int64)
            vectors = np.asarray([v for *_, v in found], dtype=np.float32).reshape(-1, index.manifest.dim)
            copy.keep_sentences(doc_rows(chunk_list), vectors, bounds_of(counts))
        return copy

    def _write_chunks(self, name: str, copy: WorkingCopy, chunks: list[Chunk], vectors: np.ndarray,
                      tokens: list[list[str]], sparse: list[dict[int, float]]) -> None:
        records = []
        for row, chunk in enumerate(chunks):
            meta = copy.documents[chunk.doc_id].meta
            records.append({
                "row": row, "doc_id": chunk.doc_id, "vector": vectors[row].tolist(), "sparse": sparse[row],
                "chunk": chunk.to_dict(), "tokens": tokens[row], **schema.filter_fields(meta),
            })
            if len(records) == INSERT_BATCH:
                self.client.insert(name, records)
                records = []
        if records:
            self.client.insert(name, records)

    def _write_docs(self, name: str, copy: WorkingCopy, order: list[str], spans: dict[str, range],
                    manifest: Manifest) -> None:
        """The manifest and each document (its record, then its text in pieces)."""
        doc_records = schema.pieces(schema.MANIFEST_KEY, [json.dumps(manifest.to_dict(), ensure_ascii=False)], range(0))
        for doc_id in order:
            doc = copy.documents[doc_id]
            head = doc.to_dict()
            del head["text"]
            text = [doc.text[i : i + schema.PIECE_CHARS] for i in range(0, len(doc.text), schema.PIECE_CHARS)]
            rows = spans.get(doc_id, range(0))
            doc_records += [{**r, **schema.filter_fields(doc.meta)}
                            for r in schema.pieces(doc_id, [json.dumps(head, ensure_ascii=False), *text], rows)]
        for start in range(0, len(doc_records), INSERT_BATCH):
            self.client.insert(name, doc_records[start : start + INSERT_BATCH])

    def _write_sentences(self, name: str, documents: list[DocumentSentences], dim: int) -> None:
        """The generation's sentence vectors, numbered in row order, with the row each belongs to."""
        client = self.client
        joined, bounds = stacked(documents, dim)
        schema.create_sentences(client, name, dim)
        owners = np.repeat(np.arange(len(bounds) - 1, dtype=np.int64), np.diff(bounds))
        for start in range(0, len(joined), INSERT_BATCH):
            stop = min(start + INSERT_BATCH, len(joined))
            client.insert(name, [{"sentence": j, "row": int(owners[j]), "vector": joined[j].tolist()}
                                 for j in range(start, stop)])
        client.flush(name)


def sparse_weights(lexical: LexicalIndex, tokens: list[list[str]]) -> list[dict[int, float]]:
    """Each chunk's BM25 weight per hashed token, from bm25s's own score matrix: the inner product with
    a query's token counts is the score bm25s gives that chunk."""
    weights: list[dict[int, float]] = [{} for _ in tokens]
    for token, rows, values in lexical.postings():
        tid = schema.token_id(token)
        for row, value in zip(rows, values):
            weights[row][tid] = weights[row].get(tid, 0.0) + value
    return [w or dict(schema.NO_TOKENS) for w in weights]


def dense_index(factory: str, n: int) -> tuple[str, dict]:
    """The Milvus index for a FAISS-style factory: exact up to FLAT_MAX_CHUNKS, IVF_FLAT above
    (the local backend's measured choice), HNSW when asked for."""
    effective = resolve_factory(factory, n)
    if effective == "Flat":
        return effective, {"index_type": "FLAT", "params": {}}
    if effective.startswith("IVF") and effective.endswith(",Flat"):
        nlist = int(effective[3:-5])
        nlist = min(nlist, max(1, n // 39))
        return f"IVF{nlist},Flat", {"index_type": "IVF_FLAT", "params": {"nlist": nlist}}
    if effective.startswith("HNSW") and effective[4:].isdigit():
        return effective, {"index_type": "HNSW", "params": {"M": int(effective[4:]), "efConstruction": 200}}
    raise BadInput(f"factory {factory!r} has no Milvus counterpart; use auto, Flat, IVF<n>,Flat or HNSW<m>")


def _all_documents(client: Any, docs_name: str) -> Iterator[Document]:
    """Every document of a generation with its text (the writer rebuilds from them)."""
    pieces: dict[str, list[tuple[int, str]]] = {}
    for record in query_all(client, docs_name, f"doc_id != {schema.literal(schema.MANIFEST_KEY)}",
                            ["doc_id", "part", "body"]):
        pieces.setdefault(record["doc_id"], []).append((record["part"], record["body"]))
    for parts in pieces.values():
        first, *text = [body for _, body in sorted(parts)]
        yield Document.from_dict({**json.loads(first), "text": "".join(text)})
