"""The writer's side of the local index folder: its working copy of the live generation, and the
lock that makes one run (CLI or server, any process) the only writer.

``_State`` holds per-document chunks, vectors, tokens and (when kept) sentence vectors, so an
update re-embeds only what changed; ``_writer`` takes the lock, naming the holder when it fails, and loads the state.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from indexer.errors import IndexBusy
from indexer.gongwen.corrections import Corrections
from indexer.index.local import SENTENCE_BOUNDS, SENTENCE_VECTORS, current_generation, doc_rows, read_jsonl
from indexer.index.manifest import Manifest
from indexer.index.sentences import DocumentSentences
from indexer.models import Chunk, Document

DELETED = "deleted.json"  # the tombstones, inside each generation


@dataclass
class _State:
    """The writer's working copy: per-document chunks, vectors and tokens, plus file sources."""

    manifest: Manifest | None
    documents: dict[str, Document] = field(default_factory=dict)
    chunks: dict[str, list[Chunk]] = field(default_factory=dict)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    tokens: dict[str, list[list[str]]] = field(default_factory=dict)
    sentences: dict[str, DocumentSentences] = field(default_factory=dict)  # its chunks' sentence vectors
    sources: dict[str, dict[str, str]] = field(default_factory=dict)  # file key -> {sha256, doc_id, source}
    # tombstones: doc_id -> {source, sha256, deleted_at} of documents deleted by id; re-indexing
    # a folder that still holds the file does not bring them back, adding them explicitly does
    deleted: dict[str, dict[str, str]] = field(default_factory=dict)
    dirty: bool = False
    corrections: Corrections | None = None  # staff's metadata corrections, applied to every document read

    def corrected(self, doc: Document) -> Document:
        return self.corrections.apply(doc) if self.corrections is not None else doc

    def add(self, doc: Document) -> None:
        self.documents[doc.doc_id] = doc
        for table in (self.chunks, self.vectors, self.tokens, self.sentences):
            table.pop(doc.doc_id, None)
        self.dirty = True

    def discard(self, doc_id: str) -> None:
        """Remove a document unless a file source still refers to it."""
        if any(entry["doc_id"] == doc_id for entry in self.sources.values()):
            return
        for table in (self.documents, self.chunks, self.vectors, self.tokens, self.sentences):
            table.pop(doc_id, None)
        self.dirty = True

    def needs_embedding(self, sentences: bool) -> bool:
        """Whether a document lacks its chunk vectors (or, when ``sentences``, its sentence vectors)."""
        return any(d not in self.vectors or (sentences and d not in self.sentences) for d in self.documents)

    def keep_sentences(self, spans: dict[str, range], vectors: np.ndarray, bounds: np.ndarray) -> None:
        """Each document's sentence vectors, cut from a generation's (``spans``: its chunk rows)."""
        for doc_id in self.documents:
            rows = spans.get(doc_id, range(0))
            kept = np.asarray(vectors[bounds[rows.start] : bounds[rows.stop]], dtype=np.float32)
            self.sentences[doc_id] = DocumentSentences(np.diff(bounds[rows.start : rows.stop + 1]), kept)


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
    token_list: list[list[str]] = list(read_jsonl(gen_dir / "tokens.jsonl"))
    spans = doc_rows(chunk_list)
    for doc_id, rows in spans.items():
        state.chunks[doc_id] = chunk_list[rows.start : rows.stop]
        state.vectors[doc_id] = embeddings[rows.start : rows.stop]
        state.tokens[doc_id] = token_list[rows.start : rows.stop]
    for doc_id in state.documents:  # documents that yielded no chunk
        state.chunks.setdefault(doc_id, [])
        state.vectors.setdefault(doc_id, np.empty((0, manifest.dim), dtype=np.float32))
        state.tokens.setdefault(doc_id, [])
    if manifest.sentences:
        state.keep_sentences(spans, np.load(gen_dir / SENTENCE_VECTORS), np.load(gen_dir / SENTENCE_BOUNDS))
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
        state = _load_state(index_dir)
        state.corrections = Corrections.of_index(index_dir)
        yield state
    finally:
        lock.release()


def _lock_holder(index_dir: Path) -> str:
    try:
        return str(json.loads((index_dir / "writer.json").read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return "unknown"


def deleted_documents(index_dir: Path | str) -> dict[str, dict[str, str]]:
    """The tombstones of the live generation: doc_id -> {source, sha256, deleted_at}."""
    generation = current_generation(Path(index_dir))
    path = Path(index_dir) / str(generation) / DELETED
    return json.loads(path.read_text(encoding="utf-8")) if generation and path.exists() else {}
