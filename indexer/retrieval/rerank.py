"""Learned ranking of hybrid candidates: a small linear model over signals the engine already has.

A fixed blend weighs dense and BM25 the same for every query, but a question in citizens' words
wants meaning while a string of place names and policy terms wants exact words. The candidates
are the union of the dense and BM25 top ``POOL`` passages; each is described by the features
below (both retrievers' scores and ranks, query-term coverage of the passage and of its title
and heading path, the longest stretch of the query found verbatim, identifier matches, its
document's other candidates, and the query's length and kind crossed with the two scores, which
is what makes the blend query-adaptive) and scored by a linear model trained with a pairwise
logistic loss on the dev splits (``python -m eval.learn``, folds by query). The features of a
passage never depend on how many results were asked for, so what was trained is what runs.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from indexer.errors import ZhengceError
from indexer.index.base import ChunkIndex, LexicalQuery
from indexer.index.lexical import identifier_tokens, normalize, query_terms
from indexer.retrieval.fusion import linear, min_max

MODEL_FILE = Path(__file__).resolve().parent / "rerank_model.json"
POOL = 100  # candidates per retriever that the model re-scores
PRF_DOCS = 3  # dense pseudo-relevance feedback: the query vector moved towards the top passages
_QUESTION = re.compile(r"[?？吗呢]|什么|怎么|怎样|如何|哪些|哪里|哪个|多少|几|是否|能否|可否|为何|为什么|何时")
_NON_WORD = re.compile(r"\W+")  # verbatim matching ignores spaces, punctuation and bracket styles
PASTED_CHARS = 120  # longer queries are pasted proposals or passages, not typed questions
LONGEST_MATCH_CHARS = 200  # the verbatim-match feature reads this much of a (pasted) query

FEATURES = (
    "dense", "dense_mm", "lexical_mm", "lexical_log", "linear_0.7", "dense_rank_log", "lexical_rank_log",
    "prf_dense", "cover_text", "cover_context", "longest_match", "identifier_match",
    "doc_best_linear", "doc_top3_linear", "doc_candidates_log", "is_doc_best",
    "question_x_dense", "question_x_lexical", "length_x_dense", "length_x_lexical", "pasted_x_lexical",
)


@dataclass(frozen=True)
class LinearRanker:
    """score = standardised features . weights; the file also carries how it was trained."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    training: dict[str, Any]

    def score(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.weights

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "weights": self.weights.tolist(), "training": self.training}

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> LinearRanker:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES:
            raise ZhengceError(f"{path} was trained on other features; rebuild it with python -m eval.learn")
        return cls(tuple(data["features"]), np.asarray(data["mean"]), np.asarray(data["scale"]),
                   np.asarray(data["weights"]), data.get("training", {}))


def pool_rows(dense_rows: np.ndarray, lexical_rows: np.ndarray) -> np.ndarray:
    """The union of both retrievers' top ``POOL`` rows, in row order."""
    return np.unique(np.concatenate([dense_rows[:POOL], lexical_rows[:POOL]])).astype(np.int64)


def features(
    index: ChunkIndex, query: str, query_vector: np.ndarray, lexical: LexicalQuery, rows: np.ndarray
) -> np.ndarray:
    """The (len(rows), len(FEATURES)) feature matrix of the candidate ``rows`` for ``query``."""
    dense = np.asarray(index.dense_scores(query_vector, rows), dtype=np.float64)
    bm25 = np.asarray(lexical.scores(rows), dtype=np.float64)
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
    text_cover, context_cover, longest, ident = (np.zeros(len(rows)) for _ in range(4))
    doc_ids = []
    for i, row in enumerate(rows.tolist()):
        chunk = index.chunks[row]
        document = index.documents[chunk.doc_id]
        doc_ids.append(chunk.doc_id)
        text = normalize(chunk.text)
        context = normalize(f"{document.meta.title or ''} {chunk.section}")
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
    ]
    return np.column_stack(columns)


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
