"""Learned ranking of hybrid candidates: a small tree ensemble over signals the engine already has.

A fixed blend weighs dense and BM25 the same for every query, but a question in citizens' words
wants meaning while a string of place names and policy terms wants exact words, and a short answer
is matched differently from one passage of a long notice. The candidates are the union of the dense
and BM25 top ``POOL`` passages; each is described by the features below (both retrievers' scores
and ranks, today's min-max blend, query-term coverage of the passage and of its title and heading
path, the longest stretch of the query found verbatim, identifier matches, its document's other
candidates and length, and how the query sits in the collection: how far the retrievers agree, how
confident each is, how long the query is and whether it is a question; and its best sentence, read
from the index's sentence vectors, so the learned ranker needs an index built with them) and scored
by LightGBM LambdaRank trees trained on the dev splits (``python -m eval.learn``, folds by query). The trees are
stored as plain arrays and evaluated with numpy, so serving needs no LightGBM. The features of a
passage never depend on how many results were asked for, so what was trained is what runs.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from indexer.errors import ZhengceError
from indexer.index.base import ChunkIndex, LexicalQuery
from indexer.index.lexical import identifier_tokens, normalize, query_terms
from indexer.index.sentences import best_sentence_scores
from indexer.retrieval.fusion import linear, min_max
from indexer.retrieval.rerank_text import NON_WORD, coverage, identifier_share, longest_runs, row_texts
from indexer.retrieval.trees import PackedTrees

MODEL_FILE = Path(__file__).resolve().parent / "rerank_model.json"
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
    """What hybrid search has computed for one query before fusing: each retriever's ranked rows and
    the raw scores of their union (``union`` sorted by row)."""

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


@dataclass(frozen=True)
class TreeRanker:
    """A sum of regression trees over ``FEATURES``. Each tree is stored as arrays over its split
    nodes (feature, threshold, left, right; a child ``c < 0`` is leaf ``~c``) and its leaf values;
    a row goes left when its feature is <= the threshold, as in LightGBM."""

    features: tuple[str, ...]
    trees: tuple[dict[str, np.ndarray], ...]
    training: dict[str, Any]
    blend: tuple[float, float, float] | None = None  # the weights of the BLEND column, when the model has one
    _packed: PackedTrees = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_packed", PackedTrees.of(self.trees))

    def score(self, x: np.ndarray) -> np.ndarray:
        """Scores of rows of ``FEATURES`` (the blend column is added here)."""
        return self._packed.score(with_blend(x, self.blend) if self.blend else x)

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "blend": list(self.blend) if self.blend else None,
                "training": self.training,
                "trees": [{key: values.tolist() for key, values in tree.items()} for tree in self.trees]}

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> TreeRanker:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        blend = tuple(data["blend"]) if data.get("blend") else None
        if tuple(data.get("features", ())) != FEATURES + ((BLEND,) if blend else ()):
            raise ZhengceError(f"{path} was trained on other features; rebuild it with python -m eval.learn")
        kinds = {"feature": np.int64, "threshold": np.float64, "left": np.int64, "right": np.int64,
                 "value": np.float64}
        trees = tuple({key: np.asarray(tree[key], dtype=kind) for key, kind in kinds.items()} for tree in data["trees"])
        return cls(tuple(data["features"]), trees, data.get("training", {}), blend)


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
    core = NON_WORD.sub("", normalized)[:LONGEST_MATCH_CHARS]
    texts = row_texts(index).of(rows.tolist())
    text_cover = coverage(terms, [t.text for t in texts])
    context_cover = coverage(terms, [t.context for t in texts])
    longest = longest_runs(core, [t.letters for t in texts]) / max(1, len(core))
    ident = identifier_share(set(identifier_tokens(normalized)), [t.identifiers for t in texts])
    doc_chunks = np.array([t.doc_chunks for t in texts], dtype=np.float64)
    chunk_chars = np.array([t.chars for t in texts], dtype=np.float64)

    doc_best, doc_top3, doc_count, is_best = _document_aggregates([t.doc_id for t in texts], fused)
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
    columns += [wide[at], np.log1p(places_of(candidates.union, wide, at)),
                sentence[at], min_max(sentence)[at], np.log1p(places_of(candidates.union, sentence, at))]
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
