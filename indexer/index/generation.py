"""Committing a generation of the local index folder: write it complete beside the live one, fsync
it, switch CURRENT to it atomically, drop the ones older than the previous; a failed write removes
its partial folder.

Layout of ``DIR``::

    CURRENT            name of the live generation (replaced with os.replace: the atomic switch)
    .lock, writer.json the writer lock and who holds it (``writer_state``)
    gen-000007/        one complete, immutable build
        manifest.json  model, dim, factory, chunk settings, versions, counts, sources
        documents.jsonl, chunks.jsonl (row i = FAISS id i = BM25 row i), tokens.jsonl
        embeddings.npy (float32: updates never re-embed, FAISS can be rebuilt), dense.faiss, lexical/
        sentence_codes.npy, sentence_scales.npy, sentence_bounds.npy
                            each chunk's sentence vectors as 16-bit codes, when kept (index.sentences)
        deleted.json   the tombstones of documents deleted by id

A reader - or a writer killed at any instant - only ever sees complete generations. The previous
generation is kept until the next build, so a reader that read CURRENT just before a switch can
still finish loading.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from indexer.index.faiss_index import build_faiss
from indexer.index.lexical import LexicalIndex
from indexer.index.local import CURRENT, GENERATION_PREFIX, SENTENCE_BOUNDS, current_generation
from indexer.index.manifest import Manifest, ModelIdentity
from indexer.index.report import UpdateReport
from indexer.index.sentence_codes import SentenceCodes
from indexer.index.sentences import stacked
from indexer.index.settings import IndexSettings
from indexer.index.working_copy import WorkingCopy
from indexer.index.writer_state import DELETED
from indexer.models import Chunk


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


def commit(copy: WorkingCopy, index_dir: Path, settings: IndexSettings, model: ModelIdentity,
           report: UpdateReport) -> None:
    """Write a complete new generation, switch CURRENT to it atomically, drop older ones."""
    order, chunks, vectors, tokens = copy.rows(model.dim)
    vectors = vectors.astype(np.float32, copy=False)

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
        _write_generation(copy, gen_dir, generation, order, chunks, vectors, tokens, dense, effective, lexical,
                          settings, model)
        _switch(index_dir, generation, previous)
    except BaseException:  # disk full, read-only: the partial folder must not eat the space left
        if current_generation(index_dir) != generation:
            shutil.rmtree(gen_dir, ignore_errors=True)
        raise
    report.timings["write"] = time.perf_counter() - started
    report.generation = generation
    report.rebuilt = True


def _write_generation(
    copy: WorkingCopy, gen_dir: Path, generation: str, order: list[str], chunks: list[Chunk], vectors: np.ndarray,
    tokens: list[list[str]], dense: Any, effective: str, lexical: LexicalIndex, settings: IndexSettings,
    model: ModelIdentity,
) -> None:
    import faiss

    with (gen_dir / "documents.jsonl").open("w", encoding="utf-8") as handle:
        for doc_id in order:
            handle.write(json.dumps(copy.documents[doc_id].to_dict(), ensure_ascii=False) + "\n")
    with (gen_dir / "chunks.jsonl").open("w", encoding="utf-8") as handle:
        for chunk in chunks:
            handle.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
    with (gen_dir / "tokens.jsonl").open("w", encoding="utf-8") as handle:
        for token_list in tokens:
            handle.write(json.dumps(token_list, ensure_ascii=False) + "\n")
    np.save(gen_dir / "embeddings.npy", vectors)
    faiss.write_index(dense, str(gen_dir / "dense.faiss"))
    lexical.save(gen_dir / "lexical")
    if settings.sentences:
        sentences, bounds = stacked([copy.sentences[d] for d in order], model.dim)
        SentenceCodes.of(sentences).save(gen_dir)
        np.save(gen_dir / SENTENCE_BOUNDS, bounds)
    manifest = Manifest.of_build(settings, model, factory_effective=effective, bm25=lexical.params, documents=len(order),
                                 chunks=len(chunks), generation=generation, sources=copy.sources)
    manifest.write(gen_dir / "manifest.json")
    (gen_dir / DELETED).write_text(json.dumps(copy.deleted, ensure_ascii=False), encoding="utf-8")
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
