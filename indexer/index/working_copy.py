"""A writer's working copy of the live generation: what the update operations change and a store
commits as the next generation.

It holds each document's chunks, vectors, tokens and (when kept) sentence vectors, so an update
re-embeds only what changed, plus the file sources and the tombstones of documents deleted by id.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from indexer.gongwen.corrections import Corrections
from indexer.index.manifest import Manifest
from indexer.index.sentences import DocumentSentences
from indexer.models import Chunk, Document


@dataclass
class WorkingCopy:
    """Per-document chunks, vectors and tokens, plus file sources and tombstones."""

    manifest: Manifest | None  # the live generation's; None for a new index
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

    def rows(self, dim: int) -> tuple[list[str], list[Chunk], np.ndarray, list[list[str]]]:
        """The next generation in row order: its document ids, chunks, vectors and tokens."""
        order = list(self.documents)
        chunks = [c for doc_id in order for c in self.chunks[doc_id]]
        vectors = np.concatenate([self.vectors[d] for d in order] or [np.empty((0, dim), np.float32)])
        tokens = [t for doc_id in order for t in self.tokens[doc_id]]
        return order, chunks, vectors, tokens
