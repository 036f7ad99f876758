"""What an update embeds with, and the embedding itself: settings and a model that match the
index (or a new index), then chunks, tokens and vectors for every document of a working copy that
has none yet (and its sentence vectors, when the index keeps them)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from indexer.embed import CachedEmbedder, Embedder, load_embedder
from indexer.errors import IndexMismatch
from indexer.gongwen.documents import chunk_document, passage_text
from indexer.index.lexical import tokenize
from indexer.index.manifest import check_model, same_model
from indexer.index.report import UpdateReport
from indexer.index.sentences import DocumentSentences, sentence_texts
from indexer.index.settings import IndexSettings
from indexer.index.working_copy import WorkingCopy

EMBED_BATCH = 64  # passages per embedder call: also how often computed vectors reach the cache


def prepare(
    state: WorkingCopy, index_dir: Path | str, settings: IndexSettings | None, embedder: Embedder | None
) -> tuple[IndexSettings, Embedder]:
    """Settings for this run (the index's own unless given) and an embedder matching the index."""
    if state.manifest and embedder is not None:
        check_model(state.manifest, embedder.model_id, dim=embedder.dim, index_dir=index_dir)
    if settings is None:
        if state.manifest:
            settings = IndexSettings.of(state.manifest)
        else:
            settings = IndexSettings(model=embedder.model_id) if embedder is not None else IndexSettings()
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
                for table in (state.chunks, state.vectors, state.tokens, state.sentences):
                    table.pop(doc_id, None)
            state.dirty = True
        if not settings.sentences:
            state.sentences.clear()
        if (
            state.manifest.sentences != settings.sentences
            or state.manifest.factory != settings.factory
            or state.manifest.search_params_requested != settings.search_params
            or state.manifest.query_prefix != settings.query_prefix
        ):
            state.dirty = True
    return settings, embedder


def progress_bar(progress: bool, **kwargs: Any):
    """A progress bar when ``progress``: tqdm on a terminal, periodic lines otherwise (indexer.progress)."""
    from indexer.progress import progress as bar

    return bar(progress, **kwargs)


def embed_pending(
    state: WorkingCopy, settings: IndexSettings, embedder: Embedder, report: UpdateReport, progress: bool,
) -> None:
    """Chunk, tokenize and embed every document that has no vectors yet, ``EMBED_BATCH`` passages a call."""
    batch = EMBED_BATCH  # read now: a test makes it smaller
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
    vectors = _encode_passages(embedder, texts, batch, progress, "chunk")
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
    if settings.sentences:
        _embed_sentences(state, embedder, report, progress, batch)


def _embed_sentences(state: WorkingCopy, embedder: Embedder, report: UpdateReport, progress: bool, batch: int) -> None:
    """Embed the sentences of every document that has chunk vectors but no sentence vectors."""
    started = time.perf_counter()
    pending = [doc_id for doc_id in state.documents if doc_id not in state.sentences]
    per_doc = [sentence_texts(state.chunks[doc_id]) for doc_id in pending]
    texts = [text for doc_texts, _ in per_doc for text in doc_texts]
    vectors = _encode_passages(embedder, texts, batch, progress, "sentence")
    row = 0
    for doc_id, (doc_texts, counts) in zip(pending, per_doc):
        state.sentences[doc_id] = DocumentSentences(counts, vectors[row : row + len(doc_texts)])
        row += len(doc_texts)
    report.sentences_embedded = len(texts)
    report.timings["embed_sentences"] = time.perf_counter() - started


def _encode_passages(embedder: Embedder, texts: list[str], batch: int, progress: bool, unit: str) -> np.ndarray:
    """Passage vectors of ``texts``, ``batch`` at a time (each batch reaches the cache as it is done)."""
    vectors = np.empty((len(texts), embedder.dim), dtype=np.float32)
    with progress_bar(progress, total=len(texts), desc=f"embedding {unit}s", unit=unit) as bar:
        for start in range(0, len(texts), batch):
            passages = texts[start : start + batch]
            vectors[start : start + len(passages)] = embedder.encode_passages(passages)
            bar.update(len(passages))
    return vectors

