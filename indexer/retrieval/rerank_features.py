"""The learned ranker's features of hybrid candidates, each column computed under its name.

``FEATURES`` is the model's column order (a model file lists it and is refused on any other);
``features`` computes every column into a dict keyed by those names and stacks them in that order,
so a column computed under a wrong or missing name is an error, never a silent shift.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from indexer.index.base import ChunkIndex, LexicalQuery
from indexer.index.lexical import identifier_tokens, normalize, terms_of
from indexer.index.sentences import best_sentence_scores
from indexer.retrieval.fusion import linear, min_max
from indexer.retrieval.rerank_text import NON_WORD, coverage, identifier_share, longest_runs, row_texts

POOL = 100  # candidates per retriever that the model re-scores
PRF_DOCS = 3  # dense pseudo-relevance feedback: the query vector moved towards the top passages
AGREEMENT_DEPTH = 10  # the retrievers' agreement: shared documents among each one's top 10
_QUESTION = re.compile(r"[?？吗呢]|什么|怎么|怎样|如何|哪些|哪里|哪个|多少|几|是否|能否|可否|为何|为什么|何时")
PASTED_CHARS = 120  # longer queries are pasted proposals or passages, not typed questions
LONGEST_MATCH_CHARS = 200  # the verbatim-match feature reads this much of a (pasted) query

CANDIDATE_FEATURES = (
    "dense", "dense_mm", "lexical_mm", "lexical_log", "linear_0.7", "dense_rank_log", "lexical_rank_log",
    "prf_dense", "cover_text", "cover_context", "longest_match", "identifier_match",
    "doc_best_linear", "doc_top3_linear", "doc_candidates_log", "is_doc_best",
    "question_x_dense", "question_x_lexical", "length_x_dense", "length_x_lexical", "pasted_x_lexical",
    # over both retrievers' whole candidate lists (what today's fusion scales by), and the collection
    "dense_wide_mm", "lexical_wide_mm", "doc_chunks_log", "chunk_chars_log",
    "query_agreement", "query_dense_top", "query_dense_gap", "query_lexical_top_log", "query_lexical_ratio",
    "query_tokens_log",
)
# today's fusion score of each candidate (min-max over both retrievers' whole lists) and its rank there
WIDE = ("hybrid", "hybrid_rank_log")
# each candidate's best sentence (indexer.index.sentences): its cosine with the query, that cosine
# min-max scaled over the same lists, and its rank there (eval/results.md, section 22)
SENTENCES = ("sentence_best", "sentence_wide_mm", "sentence_rank_log")
FEATURES = CANDIDATE_FEATURES + WIDE + SENTENCES
# a model may add one column: w1 x dense + w2 x BM25 + w3 x best sentence (each min-max scaled over the
# Searcher's candidates, as eval.sentences blends them), its weights chosen in training and kept in the file
BLENDED = ("dense_wide_mm", "lexical_wide_mm", "sentence_wide_mm")
BLEND = "blend"


@dataclass(frozen=True)
class Candidates:
    """What hybrid search has computed for one query before fusing: its ``tokenize`` tokens, each
    retriever's ranked rows and the raw scores of their union (``union`` sorted by row)."""

    tokens: list[str]
    dense_rows: np.ndarray
    lexical_rows: np.ndarray
    union: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray

    @classmethod
    def of(cls, index: ChunkIndex, tokens: list[str], query_vector: np.ndarray, lexical: LexicalQuery,
           dense_rows: np.ndarray, lexical_rows: np.ndarray) -> Candidates:
        union = np.unique(np.concatenate([dense_rows, lexical_rows])).astype(np.int64)
        return cls(tokens, dense_rows, lexical_rows, union, index.dense_scores(query_vector, union),
                   lexical.scores(union))

    def pool(self) -> np.ndarray:
        """The rows the model re-scores: both retrievers' top ``POOL``, in row order."""
        return pool_rows(self.dense_rows, self.lexical_rows)


def with_blend(x: np.ndarray, weights: tuple[float, float, float]) -> np.ndarray:
    """Rows of ``FEATURES`` with the BLEND column added."""
    return np.column_stack([x, x[:, [FEATURES.index(name) for name in BLENDED]] @ np.asarray(weights)])


def pool_rows(dense_rows: np.ndarray, lexical_rows: np.ndarray) -> np.ndarray:
    """The union of both retrievers' top ``POOL`` rows, in row order."""
    return np.unique(np.concatenate([dense_rows[:POOL], lexical_rows[:POOL]])).astype(np.int64)


def features(
    index: ChunkIndex, query: str, query_vector: np.ndarray, lexical: LexicalQuery, candidates: Candidates
) -> tuple[np.ndarray, np.ndarray]:
    """The pool rows of ``candidates`` and their (len(rows), len(FEATURES)) feature matrix.

    Vectorised over the pool; what a passage's text gives is derived once per index generation
    (``rerank_text.RowTexts``). The values are those of the loop it replaced, to the last bit or one
    unit in it (tests/test_rerank_speed.py compares both on a real index).
    """
    rows = candidates.pool()
    at = np.searchsorted(candidates.union, rows)  # the pool is part of the union, whose BM25 is known
    column: dict[str, np.ndarray | float] = {}
    # dense is scored over the pool alone, as the model was trained: the union's float32 products
    # round differently in the last bit, which reorders near-ties
    column["dense"] = dense = np.asarray(index.dense_scores(query_vector, rows), dtype=np.float64)
    bm25 = np.asarray(candidates.lexical[at], dtype=np.float64)
    column["linear_0.7"] = fused = linear(dense, bm25, 0.7)
    column["dense_mm"] = dense_mm = min_max(dense)
    column["lexical_mm"] = lexical_mm = min_max(bm25)
    column["lexical_log"] = np.log1p(bm25)
    column["dense_rank_log"] = np.log1p(_ranks(dense))
    column["lexical_rank_log"] = np.log1p(np.where(bm25 > 0, _ranks(bm25), len(rows)))

    top = rows[np.argsort(-dense, kind="stable")[:PRF_DOCS]]
    feedback = query_vector + np.mean([index.vectors(range(r, r + 1))[0] for r in top.tolist()], axis=0)
    column["prf_dense"] = np.asarray(index.dense_scores(feedback / np.linalg.norm(feedback), rows), dtype=np.float64)

    terms = terms_of(candidates.tokens)  # query_terms(query): the candidates' tokens are tokenize(query)
    normalized = normalize(query)
    core = NON_WORD.sub("", normalized)[:LONGEST_MATCH_CHARS]
    texts = row_texts(index).of(rows.tolist())
    column["cover_text"], column["cover_context"] = np.split(
        coverage(terms, [t.text for t in texts] + [t.context for t in texts]), [len(texts)])
    column["longest_match"] = longest_runs(core, [t.letters for t in texts]) / max(1, len(core))
    column["identifier_match"] = identifier_share(set(identifier_tokens(normalized)), texts)
    column["doc_chunks_log"] = np.log1p(np.array([t.doc_chunks for t in texts], dtype=np.float64))
    column["chunk_chars_log"] = np.log1p(np.array([t.chars for t in texts], dtype=np.float64))
    column.update(_document_aggregates(np.fromiter((t.doc_first_row for t in texts), np.int64, len(texts)), fused))

    question = 1.0 if _QUESTION.search(query) else 0.0
    length = math.log1p(len(core))
    pasted = 1.0 if len(core) > PASTED_CHARS else 0.0
    column["question_x_dense"] = question * dense_mm
    column["question_x_lexical"] = question * lexical_mm
    column["length_x_dense"] = length * dense_mm
    column["length_x_lexical"] = length * lexical_mm
    column["pasted_x_lexical"] = pasted * lexical_mm
    column["dense_wide_mm"] = min_max(candidates.dense)[at]
    column["lexical_wide_mm"] = min_max(candidates.lexical)[at]
    column.update(_query_signals(index, candidates))

    wide = linear(candidates.dense, candidates.lexical, 0.7)
    column["hybrid"] = wide[at]
    column["hybrid_rank_log"] = np.log1p(places_of(candidates.union, wide, at))
    sentence = best_sentence_scores(index, query_vector, candidates.union, candidates.dense)
    column["sentence_best"] = sentence[at]
    column["sentence_wide_mm"] = min_max(sentence)[at]
    column["sentence_rank_log"] = np.log1p(places_of(candidates.union, sentence, at))
    return rows, _matrix(column, len(rows))


def _matrix(column: dict[str, np.ndarray | float], rows: int) -> np.ndarray:
    """The named columns stacked in ``FEATURES`` order (a query-wide value repeated on every row)."""
    if column.keys() != set(FEATURES):
        raise ValueError(f"columns computed apart from FEATURES: {sorted(column.keys() ^ set(FEATURES))}")
    return np.column_stack([np.full(rows, value) if np.ndim(value) == 0 else value
                            for value in (column[name] for name in FEATURES)])


def _query_signals(index: ChunkIndex, candidates: Candidates) -> dict[str, float]:
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
    return {"query_agreement": agreement, "query_dense_top": dense_top, "query_dense_gap": dense_gap,
            "query_lexical_top_log": math.log1p(lexical_top), "query_lexical_ratio": lexical_ratio,
            "query_tokens_log": math.log1p(len(candidates.tokens))}


def places_of(rows: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The 0-based place, among ``rows`` ordered by ``values`` (best first, ties by row: the Searcher's
    order), of the rows at positions ``at``: one sort of the values, not of (value, row) pairs."""
    descending = np.sort(-values)
    wanted = -values[at]
    ahead = np.searchsorted(descending, wanted, "left").astype(np.float64)  # strictly better values
    tied = np.searchsorted(descending, wanted, "right") - ahead > 1
    for i in np.flatnonzero(tied).tolist():  # equal values: the lower row comes first
        ahead[i] += np.count_nonzero((values == values[at[i]]) & (rows < rows[at[i]]))
    return ahead


def _ranks(values: np.ndarray) -> np.ndarray:
    """0-based rank of each value, best (largest) first."""
    ranks = np.empty(len(values))
    ranks[np.argsort(-values, kind="stable")] = np.arange(len(values))
    return ranks


def _document_aggregates(documents: np.ndarray, fused: np.ndarray) -> dict[str, np.ndarray]:
    """Per candidate: its document's best and top-3 summed fused score, candidate count (log), and
    whether it is that document's best candidate (``documents``: a number per candidate's document).
    Sorted once by document, then score: the top three are added best first, as a loop would."""
    order = np.lexsort((-fused, documents))
    scores, grouped = fused[order], documents[order]
    starts = np.ones(len(order), dtype=bool)  # where each document's candidates begin
    starts[1:] = grouped[1:] != grouped[:-1]
    first = np.flatnonzero(starts)
    count = np.diff(np.append(first, len(order)))
    padded = np.append(scores, [0.0, 0.0])  # a document's missing second and third add 0
    top3 = (scores[first] + np.where(count > 1, padded[first + 1], 0.0)) + np.where(count > 2, padded[first + 2], 0.0)
    group = np.empty(len(order), dtype=np.int64)
    group[order] = np.cumsum(starts) - 1
    best = scores[first][group]
    return {"doc_best_linear": best, "doc_top3_linear": top3[group],
            "doc_candidates_log": np.log1p(count[group].astype(np.float64)),
            "is_doc_best": (fused >= best - 1e-12).astype(np.float64)}
