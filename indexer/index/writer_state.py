"""The writer's side of the local index folder: the lock that makes one run (CLI or server, any
process) the only writer, the working copy it loads from the live generation, and the tombstones.

``writing`` takes the lock, naming the holder when it fails, and loads the copy; ``generation``
commits it.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from indexer.errors import IndexBusy
from indexer.gongwen.corrections import Corrections
from indexer.index.local import LocalSentences, current_generation, doc_rows, read_jsonl
from indexer.index.manifest import Manifest
from indexer.index.working_copy import WorkingCopy
from indexer.models import Chunk, Document

DELETED = "deleted.json"  # the tombstones, inside each generation


def load_copy(index_dir: Path) -> WorkingCopy:
    """The live generation as a working copy (an empty one when there is no index)."""
    generation = current_generation(index_dir)
    if generation is None:
        return WorkingCopy(manifest=None)
    gen_dir = index_dir / generation
    manifest = Manifest.read(gen_dir / "manifest.json")
    copy = WorkingCopy(manifest=manifest, sources=dict(manifest.sources))
    if (gen_dir / DELETED).exists():
        copy.deleted = json.loads((gen_dir / DELETED).read_text(encoding="utf-8"))
    copy.documents = {d["doc_id"]: Document.from_dict(d) for d in read_jsonl(gen_dir / "documents.jsonl")}
    embeddings = np.load(gen_dir / "embeddings.npy")
    chunk_list = [Chunk.from_dict(c) for c in read_jsonl(gen_dir / "chunks.jsonl")]
    token_list: list[list[str]] = list(read_jsonl(gen_dir / "tokens.jsonl"))
    spans = doc_rows(chunk_list)
    for doc_id, rows in spans.items():
        copy.chunks[doc_id] = chunk_list[rows.start : rows.stop]
        copy.vectors[doc_id] = embeddings[rows.start : rows.stop]
        copy.tokens[doc_id] = token_list[rows.start : rows.stop]
    for doc_id in copy.documents:  # documents that yielded no chunk
        copy.chunks.setdefault(doc_id, [])
        copy.vectors.setdefault(doc_id, np.empty((0, manifest.dim), dtype=np.float32))
        copy.tokens.setdefault(doc_id, [])
    if manifest.sentences:
        sentences = LocalSentences.load(gen_dir)
        copy.keep_sentences(spans, sentences.all_vectors(), sentences.bounds)
    return copy


@contextmanager
def writing(index_dir: Path) -> Iterator[WorkingCopy]:
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
        copy = load_copy(index_dir)
        copy.corrections = Corrections.of_index(index_dir)
        yield copy
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
