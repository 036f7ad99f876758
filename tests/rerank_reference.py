"""The learned ranker's feature extraction as it was before issue 35 made it fast: the reference the
fast path is checked against (tests/test_rerank_speed.py). A verbatim copy of
indexer/retrieval/rerank.py's ``features`` at commit ab5493e, with the sentence scoring of
indexer/index/sentences.py it called; nothing here is used by the service. Since sentence vectors
are kept as 8-bit codes (indexer/index/sentence_codes.py), an index's sentence cosines are what its
store computes from the codes, here as in the fast path: what is compared is the features' code.
"""

from __future__ import annotations

import functools
import math
import re

import numpy as np

from indexer.index.base import ChunkIndex, LexicalQuery
from indexer.index.lexical import identifier_tokens, normalize, query_terms
from indexer.retrieval.fusion import linear, min_max
from indexer.retrieval.rerank_features import (
    _QUESTION,
    AGREEMENT_DEPTH,
    LONGEST_MATCH_CHARS,
    PASTED_CHARS,
    PRF_DOCS,
    Candidates,
)

_NON_WORD = re.compile(r"\W+")
NORMALIZED_CACHE = 8192


def best_sentence_scores(index, query_vector, rows, own=None):
    """indexer.index.sentences.best_sentence_scores before the fast path, each sentence's cosine as
    the store computes it (from the rows' float32 vectors gathered, before 8-bit codes)."""
    scores, counts = index.sentence_scores(query_vector, rows)
    own = index.dense_scores(query_vector, rows) if own is None else own
    best = np.array(own, dtype=np.float64)
    present = counts > 0
    if present.any():
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        best[present] = np.maximum.reduceat(np.asarray(scores, dtype=np.float64), starts[present])
    return best


def features(
    index: ChunkIndex, query: str, query_vector: np.ndarray, lexical: LexicalQuery, candidates: Candidates
) -> tuple[np.ndarray, np.ndarray]:
    """The pool rows of ``candidates`` and their (len(rows), len(FEATURES)) feature matrix."""
    rows = candidates.pool()
    at = np.searchsorted(candidates.union, rows)  # the pool is part of the union, whose BM25 is known
    # dense is scored over the pool alone, as the model was trained: the union's float32 products
    # round differently in the last bit, which reorders near-ties
    dense = np.asarray(index.dense_scores(query_vector, rows), dtype=np.float64)
    bm25 = np.asarray(candidates.lexical[at], dtype=np.float64)
    fused = linear(dense, bm25, 0.7)
    dense_mm, lexical_mm = min_max(dense), min_max(bm25)
    dense_rank = _ranks(dense)
    lexical_rank = np.where(bm25 > 0, _ranks(bm25), len(rows))

    top = rows[np.argsort(-dense, kind="stable")[:PRF_DOCS]]
    feedback = query_vector + np.mean([index.vectors(range(r, r + 1))[0] for r in top.tolist()], axis=0)
    prf = np.asarray(index.dense_scores(feedback / np.linalg.norm(feedback), rows), dtype=np.float64)

    terms = query_terms(query)
    normalized = normalize(query)
    identifiers = set(identifier_tokens(normalized))
    core = _NON_WORD.sub("", normalized)[:LONGEST_MATCH_CHARS]
    text_cover, context_cover, longest, ident, doc_chunks, chunk_chars = (np.zeros(len(rows)) for _ in range(6))
    doc_ids = []
    for i, row in enumerate(rows.tolist()):
        chunk = index.chunks[row]
        document = index.documents[chunk.doc_id]
        doc_ids.append(chunk.doc_id)
        doc_chunks[i], chunk_chars[i] = len(index.rows_of(chunk.doc_id)), len(chunk.text)
        text = _normalized(chunk.text)
        context = _normalized(f"{document.meta.title or ''} {chunk.section}")
        if terms:
            text_cover[i] = sum(term in text for term in terms) / len(terms)
            context_cover[i] = sum(term in context for term in terms) / len(terms)
        longest[i] = _longest_common_run(core, _NON_WORD.sub("", text + context)) / max(1, len(core))
        if identifiers:
            found = set(identifier_tokens(text + " " + context))
            ident[i] = len(identifiers & found) / len(identifiers)

    doc_best, doc_top3, doc_count, is_best = _document_aggregates(doc_ids, fused)
    question = 1.0 if _QUESTION.search(query) else 0.0
    length = math.log1p(len(core))
    pasted = 1.0 if len(core) > PASTED_CHARS else 0.0
    columns = [
        dense, dense_mm, lexical_mm, np.log1p(bm25), fused, np.log1p(dense_rank), np.log1p(lexical_rank),
        prf, text_cover, context_cover, longest, ident,
        doc_best, doc_top3, np.log1p(doc_count), is_best,
        question * dense_mm, question * lexical_mm, length * dense_mm, length * lexical_mm, pasted * lexical_mm,
        min_max(candidates.dense)[at], min_max(candidates.lexical)[at], np.log1p(doc_chunks), np.log1p(chunk_chars),
    ]
    query_level = _query_signals(index, candidates)
    wide = linear(candidates.dense, candidates.lexical, 0.7)
    sentence = best_sentence_scores(index, query_vector, candidates.union, candidates.dense)
    columns += [np.full(len(rows), value) for value in query_level]
    columns += [wide[at], np.log1p(_places(candidates.union, wide)[at]),
                sentence[at], min_max(sentence)[at], np.log1p(_places(candidates.union, sentence)[at])]
    return rows, np.column_stack(columns)


def _query_signals(index: ChunkIndex, candidates: Candidates) -> list[float]:
    """How the query sits in this collection: the share of documents the two retrievers' top 10
    share, dense's best cosine and its lead over the 10th, BM25's best score and the 10th's share of
    it, and the number of query tokens."""
    def documents(rows: np.ndarray) -> set[str]:
        return {index.chunks[r].doc_id for r in rows[:AGREEMENT_DEPTH].tolist()}

    agreement = len(documents(candidates.dense_rows) & documents(candidates.lexical_rows)) / AGREEMENT_DEPTH
    dense = np.sort(candidates.dense)[::-1]
    bm25 = np.sort(candidates.lexical)[::-1]
    tenth = AGREEMENT_DEPTH - 1
    dense_top = float(dense[0]) if len(dense) else 0.0
    dense_gap = dense_top - float(dense[min(tenth, len(dense) - 1)]) if len(dense) else 0.0
    lexical_top = float(bm25[0]) if len(bm25) else 0.0
    lexical_ratio = float(bm25[min(tenth, len(bm25) - 1)]) / lexical_top if lexical_top > 0 else 0.0
    return [agreement, dense_top, dense_gap, math.log1p(lexical_top), lexical_ratio,
            math.log1p(len(candidates.tokens))]


@functools.lru_cache(maxsize=NORMALIZED_CACHE)
def _normalized(text: str) -> str:
    """``normalize`` of a candidate's text, kept for the next query that meets the same passage."""
    return normalize(text)


def _places(rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """0-based place of each of ``rows`` ordered by ``values``, best first, ties by row (the Searcher's order)."""
    places = np.empty(len(rows))
    places[np.lexsort((rows, -values))] = np.arange(len(rows))
    return places


def _ranks(values: np.ndarray) -> np.ndarray:
    """0-based rank of each value, best (largest) first."""
    ranks = np.empty(len(values))
    ranks[np.argsort(-values, kind="stable")] = np.arange(len(values))
    return ranks


def _longest_common_run(query: str, text: str) -> int:
    """Length of the longest piece of ``query`` found verbatim in ``text`` (binary search on length)."""
    low, high = 0, len(query)
    while low < high:
        size = (low + high + 1) // 2
        if any(query[i : i + size] in text for i in range(len(query) - size + 1)):
            low = size
        else:
            high = size - 1
    return low


def _document_aggregates(doc_ids: list[str], fused: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per candidate: its document's best and top-3 summed fused score, candidate count, and
    whether it is that document's best candidate."""
    by_doc: dict[str, list[float]] = {}
    for doc_id, score in zip(doc_ids, fused.tolist()):
        by_doc.setdefault(doc_id, []).append(score)
    tops = {d: sorted(s, reverse=True) for d, s in by_doc.items()}
    best = np.array([tops[d][0] for d in doc_ids])
    top3 = np.array([sum(tops[d][:3]) for d in doc_ids])
    count = np.array([len(tops[d]) for d in doc_ids], dtype=np.float64)
    return best, top3, count, (fused >= best - 1e-12).astype(np.float64)
