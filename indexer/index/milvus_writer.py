"""Writing a Milvus index: the local writer's incremental rules, committed as new collections.

Files and documents are compared by content hash exactly as for the local folder (the state,
chunking and embedding steps are ``writer``'s own); only what changed is embedded. A commit builds
the next generation's collections completely, then moves the alias to it in one call, then
drops generations older than the previous one: a reader (or a writer killed at any instant) only
ever sees a complete generation. Vectors and tokens of unchanged documents are read back from the
live generation, never recomputed.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np

from indexer.embed import Embedder
from indexer.errors import BadInput, IndexBusy, NotFound
from indexer.gongwen.chunk import ChunkSettings
from indexer.gongwen.documents import load_document
from indexer.index import milvus_schema as schema
from indexer.index.changes import DocumentReader, apply_documents, apply_files, apply_removals
from indexer.index.embedding import _embed_pending, _prepare, _StoredModel
from indexer.index.faiss_index import resolve_factory, search_params
from indexer.index.generation import _versions
from indexer.index.lexical import LexicalIndex
from indexer.index.local import doc_rows
from indexer.index.manifest import Manifest
from indexer.index.milvus import MilvusIndex
from indexer.index.milvus_client import connect, live_collection, query_all, read_manifest
from indexer.index.milvus_schema import MANIFEST_KEY, NO_TOKENS, PIECE_CHARS, literal, token_id
from indexer.index.report import UpdateReport
from indexer.index.sentences import DocumentSentences, bounds_of, stacked
from indexer.index.settings import IndexSettings
from indexer.index.writer_state import _State
from indexer.models import Chunk, Document

INSERT_BATCH = 512
_locks: dict[tuple[str, str], threading.Lock] = {}
_locks_guard = threading.Lock()


@dataclass
class MilvusBackend:
    """A Milvus collection (alias) on Milvus Lite, a Milvus server or a cluster."""

    uri: str
    collection: str = "zhengce"
    token: str | None = None
    name: str = "milvus"

    @property
    def client(self):
        return connect(self.uri, self.token)

    def describe(self) -> str:
        return f"{self.uri} collection {self.collection}"

    def current_manifest(self) -> Manifest | None:
        live = live_collection(self.client, self.collection)
        return None if live is None else read_manifest(self.client, self.collection, live)

    def open(self, *, expect_model: str | None = None) -> MilvusIndex:
        return MilvusIndex.load(self.client, self.collection, expect_model=expect_model, where=self.describe())

    def update(
        self, paths: Iterable[Path | str], settings: IndexSettings | None = None, *, prune: bool = False,
        embedder: Embedder | None = None, progress: bool = True, read: DocumentReader = load_document,
    ) -> UpdateReport:
        """Bring the index in line with the files under ``paths``; embed only new or changed files."""
        started = time.perf_counter()
        report = UpdateReport(index_dir=self.describe())
        with self._writer() as state:
            settings, embedder = _prepare(state, cast(Path, self.describe()), settings, embedder)
            read_started = time.perf_counter()
            apply_files(state, paths, report, prune=prune, progress=progress, read=read)
            report.timings["read"] = time.perf_counter() - read_started
            return self._finish(state, settings, embedder, report, progress, started)

    def add(
        self, documents: Iterable[Document], settings: IndexSettings | None = None, *,
        embedder: Embedder | None = None, progress: bool = True,
    ) -> UpdateReport:
        """Add built documents; one with a known ``source`` replaces that document."""
        started = time.perf_counter()
        report = UpdateReport(index_dir=self.describe())
        with self._writer() as state:
            settings, embedder = _prepare(state, cast(Path, self.describe()), settings, embedder)
            apply_documents(state, documents, report)
            return self._finish(state, settings, embedder, report, progress, started)

    def remove(self, doc_ids: Iterable[str], *, progress: bool = False) -> UpdateReport:
        """Remove documents by id (file sources pointing at them are forgotten too)."""
        started = time.perf_counter()
        report = UpdateReport(index_dir=self.describe())
        with self._writer() as state:
            if state.manifest is None:
                raise NotFound(f"no index in {self.describe()}")
            apply_removals(state, doc_ids, report)
            return self._finish(state, IndexSettings.of(state.manifest), _StoredModel(state.manifest), report,
                                progress, started)

    def write(
        self, documents: Iterable[Document], chunks: list[Chunk], vectors: np.ndarray, tokens: list[list[str]],
        settings: IndexSettings, manifest: Manifest,
    ) -> UpdateReport:
        """A generation from chunks, vectors and tokens made elsewhere (``zhengce bench``: no model runs)."""
        state = _State(manifest=None, documents={d.doc_id: d for d in documents}, dirty=True)
        for doc_id, span in doc_rows(chunks).items():
            state.chunks[doc_id] = chunks[span.start : span.stop]
            state.vectors[doc_id] = vectors[span.start : span.stop]
            state.tokens[doc_id] = tokens[span.start : span.stop]
        state.documents = {d: state.documents[d] for d in state.chunks}
        report = UpdateReport(index_dir=self.describe())
        with self._writer():
            self._commit(state, settings, _StoredModel(manifest), report)
        return report

    # ------------------------------------------------------------------ state and commit

    @contextmanager
    def _writer(self) -> Iterator[_State]:
        """One writer per collection in this process; a second is told the index is busy.
        (Milvus has no lock a second process could see: run one indexing process per collection.)"""
        with _locks_guard:
            lock = _locks.setdefault((self.uri, self.collection), threading.Lock())
        if not lock.acquire(blocking=False):
            raise IndexBusy(f"index {self.describe()} is being written by another run in this process")
        try:
            yield self._load_state()
        finally:
            lock.release()

    def _load_state(self) -> _State:
        client = self.client
        live = live_collection(client, self.collection)
        if live is None:
            return _State(manifest=None)
        index = self.open()
        state = _State(manifest=index.manifest, sources=dict(index.manifest.sources))
        state.documents = {d.doc_id: d for d in _all_documents(client, index.records.docs)}
        rows = {r["row"]: r for r in query_all(client, live, "row >= 0", ["row", "chunk", "vector", "tokens"])}
        ordered = [rows[i] for i in range(len(rows))]
        chunk_list = [Chunk.from_dict(r["chunk"]) for r in ordered]
        for doc_id, span in doc_rows(chunk_list).items():
            part = ordered[span.start : span.stop]
            state.chunks[doc_id] = chunk_list[span.start : span.stop]
            state.vectors[doc_id] = np.asarray([r["vector"] for r in part], dtype=np.float32)
            state.tokens[doc_id] = [list(r["tokens"]) for r in part]
        for doc_id in state.documents:
            state.chunks.setdefault(doc_id, [])
            state.vectors.setdefault(doc_id, np.empty((0, index.manifest.dim), dtype=np.float32))
            state.tokens.setdefault(doc_id, [])
        if index.manifest.sentences:
            name = schema.sentences_collection(self.collection, index.generation)
            found = sorted((r["sentence"], r["row"], r["vector"])
                           for r in query_all(client, name, "sentence >= 0", ["sentence", "row", "vector"]))
            counts = np.bincount([row for _, row, _ in found], minlength=len(chunk_list)).astype(np.int64)
            vectors = np.asarray([v for *_, v in found], dtype=np.float32).reshape(-1, index.manifest.dim)
            state.keep_sentences(doc_rows(chunk_list), vectors, bounds_of(counts))
        return state

    def _finish(
        self, state: _State, settings: IndexSettings, embedder: Embedder | _StoredModel, report: UpdateReport,
        progress: bool, started: float,
    ) -> UpdateReport:
        if state.needs_embedding(settings.sentences):
            _embed_pending(state, settings, cast(Embedder, embedder), report, progress)
        if state.dirty or state.manifest is None:
            self._commit(state, settings, embedder, report)
        else:
            report.generation = state.manifest.generation
        report.documents = len(state.documents)
        report.chunks = sum(len(c) for c in state.chunks.values())
        report.seconds = time.perf_counter() - started
        return report

    def _commit(
        self, state: _State, settings: IndexSettings, embedder: Embedder | _StoredModel, report: UpdateReport
    ) -> None:
        client = self.client
        order = list(state.documents)
        chunks = [c for doc_id in order for c in state.chunks[doc_id]]
        tokens = [t for doc_id in order for t in state.tokens[doc_id]]
        vectors = np.concatenate([state.vectors[d] for d in order] or [np.empty((0, embedder.dim), np.float32)])
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
        schema.create_chunks(client, chunks_name, embedder.dim, index_params)
        schema.create_docs(client, docs_name)
        if settings.sentences:
            self._write_sentences(sentences_name, [state.sentences[d] for d in order], embedder.dim)
        spans = doc_rows(chunks)
        records = []
        for row, chunk in enumerate(chunks):
            meta = state.documents[chunk.doc_id].meta
            records.append({
                "row": row, "doc_id": chunk.doc_id, "vector": vectors[row].tolist(), "sparse": sparse[row],
                "chunk": chunk.to_dict(), "tokens": tokens[row], **schema.filter_fields(meta),
            })
            if len(records) == INSERT_BATCH:
                client.insert(chunks_name, records)
                records = []
        if records:
            client.insert(chunks_name, records)
        manifest = Manifest(
            model=settings.model, model_id=embedder.model_id, dim=embedder.dim, factory=settings.factory,
            factory_effective=effective, chunk=settings.chunk or ChunkSettings(), query_prefix=settings.query_prefix,
            passage_prefix=settings.passage_prefix, search_params_requested=settings.search_params,
            search_params=search_params(effective, settings.search_params), bm25=lexical.params,
            versions=_versions(), documents=len(order), chunks=len(chunks),
            built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"), generation=generation, sources=state.sources,
            sentences=settings.sentences, backend="milvus",
        )
        doc_records = schema.pieces(MANIFEST_KEY, [json.dumps(manifest.to_dict(), ensure_ascii=False)], range(0))
        for doc_id in order:
            doc = state.documents[doc_id]
            head = doc.to_dict()
            del head["text"]
            text = [doc.text[i : i + PIECE_CHARS] for i in range(0, len(doc.text), PIECE_CHARS)]
            rows = spans.get(doc_id, range(0))
            doc_records += [{**r, **schema.filter_fields(doc.meta)}
                            for r in schema.pieces(doc_id, [json.dumps(head, ensure_ascii=False), *text], rows)]
        for start in range(0, len(doc_records), INSERT_BATCH):
            client.insert(docs_name, doc_records[start : start + INSERT_BATCH])
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
    """Each chunk's BM25 weight per token, from bm25s's own score matrix: the inner product with a
    query's token counts is the score bm25s gives that chunk."""
    weights: list[dict[int, float]] = [{} for _ in tokens]
    for token, rows, values in lexical.postings():
        tid = token_id(token)
        for row, value in zip(rows, values):
            weights[row][tid] = weights[row].get(tid, 0.0) + value
    return [w or dict(NO_TOKENS) for w in weights]


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


def _all_documents(client, docs_name: str) -> Iterator[Document]:
    """Every document of a generation with its text (the writer rebuilds from them)."""
    pieces: dict[str, list[tuple[int, str]]] = {}
    for record in query_all(client, docs_name, f"doc_id != {literal(MANIFEST_KEY)}", ["doc_id", "part", "body"]):
        pieces.setdefault(record["doc_id"], []).append((record["part"], record["body"]))
    for parts in pieces.values():
        first, *text = [body for _, body in sorted(parts)]
        yield Document.from_dict({**json.loads(first), "text": "".join(text)})
