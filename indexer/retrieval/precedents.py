"""Precedent search: which indexed documents resemble a whole new proposal, draft or document.

A proposal covers several topics (托育, 职业培训, 维权 ...). Embedding it whole would blur them into
one vector, and the model reads only 512 tokens anyway. So the input is cut into parts (its asks,
as indexer.gongwen.asks finds them, else the index's own chunking), every part is compared with every passage, and a document scores the mean,
over all parts, of its best passage similarity to that part: a document that answers most of the
proposal ranks above one that matches a single paragraph very well. Each returned passage names
the part of the input (offsets into the input text) it matched, so a drafter sees why.

A passage's score for a part fuses its cosine with the part (meaning) and its BM25 score with the
part as query (shared policy vocabulary: 托育, 普惠, 托位), each min-max scaled over the candidate
passages. Measured on the seed corpus with an invented 托育 proposal: cosine alone put all five
documents within 0.03 of each other and the 托育 action plan (004) last; fused, the 妇女权益 report
(001) comes last and the 托育 documents lead. An indexed document's parts are its chunks, whose
vectors the index already holds, so asking for a long document's precedents embeds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from indexer.gongwen.asks import find_asks
from indexer.gongwen.chunk import chunk_text
from indexer.index.base import ChunkIndex
from indexer.index.lexical import tokenize
from indexer.index.top_k import top_indices
from indexer.models import Chunk, Document
from indexer.retrieval.confidence import Calibration, term_cover
from indexer.retrieval.filters import SearchFilters
from indexer.retrieval.fusion import min_max
from indexer.retrieval.questions import content_terms
from indexer.retrieval.search import Hit

HITS_PER_PART = 50  # passages considered per part; documents beyond them score 0 for that part
DENSE_WEIGHT = 0.5  # share of cosine similarity next to BM25 in a passage's score for a part
MATCHES_PER_DOCUMENT = 3


@dataclass(frozen=True)
class Part:
    index: int
    char_start: int  # offsets in the input text (or the document's text)
    char_end: int
    section: str


@dataclass
class Match:
    part: Part
    score: float
    hit: Hit


@dataclass
class Precedent:
    document: Document
    score: float
    matches: list[Match] = field(default_factory=list)
    signals: dict[str, float] = field(default_factory=dict)  # what its confidence is read from
    confidence: float | None = None  # calibrated probability that it handled the same matter


# what a precedent's confidence can be read from (the "similar" model of indexer.retrieval.confidence
# reads some): its score, how close in meaning its best passage is to each part (mean and best over the
# parts; the cosine is absolute, where the fused score is scaled within the candidates), how far its
# mean cosine trails the best document's, the share of parts it matched at all, and the mean share of
# each part's content terms its best passage for that part holds
SIGNALS = ("score", "cos_mean", "cos_max", "cos_gap_top", "matched_share", "cover_mean")


def input_parts(text: str, index: ChunkIndex) -> list[Part]:
    """The input cut like the index's documents, so parts and passages compare like for like; where it
    states several asks (一是…二是…, 1. 2. …), each ask is a part of its own (a reply answers them one
    by one) after the text that comes before them (title, background)."""
    asks = find_asks(text)
    if len(asks) < 2:
        return [_part(c) for c in chunk_text(text, index.manifest.chunk)]
    framing = text[: asks[0].char_start]
    spans = [(c.char_start, c.char_end) for c in chunk_text(framing, index.manifest.chunk)] if framing.strip() else []
    spans += [(ask.char_start, ask.char_end) for ask in asks]
    return [Part(i, start, end, "") for i, (start, end) in enumerate(spans)]


def document_parts(index: ChunkIndex, doc_id: str) -> tuple[list[Part], np.ndarray]:
    """An indexed document's chunks as parts, with the vectors the index holds for them."""
    rows = index.rows_of(doc_id)
    parts = [_part(index.chunks[row]) for row in rows]
    return parts, index.vectors(rows)


def _part(chunk: Chunk) -> Part:
    return Part(chunk.index, chunk.char_start, chunk.char_end, chunk.section)


def find_precedents(
    index: ChunkIndex,
    parts: list[Part],
    texts: list[str],
    vectors: np.ndarray,
    *,
    top_k: int,
    filters: SearchFilters | None = None,
    exclude_doc_id: str | None = None,
) -> list[Precedent]:
    """Documents ranked by the mean over ``parts`` of their best passage score for each part.

    ``texts`` and ``vectors`` are the parts' texts and dense vectors. A passage's score for a part
    fuses its cosine and its BM25 score, each min-max scaled over the candidate passages.
    """
    rows = _allowed_rows(index, filters, exclude_doc_id)
    if not parts or not len(rows):
        return []
    dense = index.dense_scores(vectors, rows)  # (rows, parts)
    best: dict[str, dict[int, tuple[float, int, float, float]]] = {}  # doc -> part -> (score, row, cos, bm25)
    for p, (part, text) in enumerate(zip(parts, texts)):
        lexical = np.asarray(index.lexical(tokenize(text)).scores(rows), dtype=np.float32)
        fused = (DENSE_WEIGHT * min_max(dense[:, p], constant_positive=0.0)
                 + (1 - DENSE_WEIGHT) * min_max(lexical, constant_positive=0.0))
        for position in top_indices(fused, HITS_PER_PART).tolist():
            row = int(rows[position])
            doc_best = best.setdefault(index.chunks[row].doc_id, {})
            score = float(fused[position])
            if part.index not in doc_best or score > doc_best[part.index][0]:
                doc_best[part.index] = (score, row, float(dense[position, p]), float(lexical[position]))
    by_index = {part.index: part for part in parts}
    cosines = _document_cosines(index, rows, dense)
    terms = {part.index: tuple(content_terms(text)) for part, text in zip(parts, texts)}
    precedents = []
    for doc_id, per_part in best.items():
        document = index.documents[doc_id]
        ranked = sorted(per_part.items(), key=lambda item: item[1][0], reverse=True)[:MATCHES_PER_DOCUMENT]
        matches = [
            Match(by_index[p], score, Hit(i, score, index.chunks[row], document, [],
                                          {"dense": cos, "lexical": bm25, "fused": score}))
            for i, (p, (score, row, cos, bm25)) in enumerate(ranked, start=1)
        ]
        total = sum(item[0] for item in per_part.values())
        cover = sum(term_cover(terms[p], f"{document.meta.title or ''} {index.chunks[row].text}")
                    for p, (_, row, _, _) in per_part.items()) / len(parts)
        signals = {"cos_mean": float(cosines[doc_id].mean()), "cos_max": float(cosines[doc_id].max()),
                   "matched_share": len(per_part) / len(parts), "cover_mean": cover}
        precedents.append(Precedent(document, total / len(parts), matches, signals))
    best_cos = max((p.signals["cos_mean"] for p in precedents), default=0.0)
    for precedent in precedents:
        precedent.signals.update(score=precedent.score, cos_gap_top=best_cos - precedent.signals["cos_mean"])
    precedents.sort(key=lambda p: (-p.score, p.document.doc_id))
    return precedents[:top_k]


def calibrate(found: list[Precedent], calibration: Calibration | None) -> None:
    """Set each precedent's confidence (left None without a calibration)."""
    if calibration is None or not found:
        return
    model = calibration.model("similar")
    for precedent, p in zip(found, model.predict(similar_features(found, model.features)).tolist()):
        precedent.confidence = p


def similar_features(found: list[Precedent], names: tuple[str, ...] = SIGNALS) -> np.ndarray:
    """The (len(found), len(names)) matrix of the precedents' ``names`` signals."""
    return np.array([[p.signals[name] for name in names] for p in found], dtype=np.float64).reshape(
        len(found), len(names))


def _document_cosines(index: ChunkIndex, rows: np.ndarray, dense: np.ndarray) -> dict[str, np.ndarray]:
    """Each document's best cosine with each part, over its allowed rows (rows are in row order, so
    each document's rows are contiguous)."""
    doc_ids = [index.chunks[row].doc_id for row in rows.tolist()]
    starts = [i for i in range(len(doc_ids)) if i == 0 or doc_ids[i] != doc_ids[i - 1]]
    best = np.maximum.reduceat(dense, starts, axis=0)
    return {doc_ids[start]: best[k] for k, start in enumerate(starts)}


def _allowed_rows(index: ChunkIndex, filters: SearchFilters | None, exclude_doc_id: str | None) -> np.ndarray:
    """Rows of the documents that may be returned, in row order."""
    selection = index.select(filters)
    rows = np.arange(len(index.chunks)) if selection is None else selection.rows
    if exclude_doc_id is not None:
        excluded = index.rows_of(exclude_doc_id)
        rows = rows[(rows < excluded.start) | (rows >= excluded.stop)]
    return rows
