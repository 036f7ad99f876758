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

import functools
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

MODEL_FILE = Path(__file__).resolve().parent / "rerank_model.json"
POOL = 100  # candidates per retriever that the model re-scores
PRF_DOCS = 3  # dense pseudo-relevance feedback: the query vector moved towards the top passages
AGREEMENT_DEPTH = 10  # the retrievers' agreement: shared documents among each one's top 10
_QUESTION = re.compile(r"[?？吗呢]|什么|怎么|怎样|如何|哪些|哪里|哪个|多少|几|是否|能否|可否|为何|为什么|何时")
_NON_WORD = re.compile(r"\W+")  # verbatim matching ignores spaces, punctuation and bracket styles
PASTED_CHARS = 120  # longer queries are pasted proposals or passages, not typed questions
LONGEST_MATCH_CHARS = 200  # the verbatim-match feature reads this much of a (pasted) query
NORMALIZED_CACHE = 8192  # passages whose normalised text is kept (about 20 MB at 600 characters)

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
    _packed: _PackedTrees = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_packed", _PackedTrees.of(self.trees))

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


@dataclass(frozen=True)
class _PackedTrees:
    """Every tree's split and leaf nodes in one set of arrays, so all trees walk one level per step
    for all rows at once. A leaf loops to itself (it always "goes left" to itself), so walking as
    many steps as the deepest tree leaves every (row, tree) on its leaf."""

    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    depth: int

    @classmethod
    def of(cls, trees: tuple[dict[str, np.ndarray], ...]) -> _PackedTrees:
        roots: list[int] = []
        feature: list[np.ndarray] = []
        threshold: list[np.ndarray] = []
        left: list[np.ndarray] = []
        right: list[np.ndarray] = []
        value: list[np.ndarray] = []
        start, depth = 0, 0
        for tree in trees:
            splits, leaves = len(tree["feature"]), len(tree["value"])
            leaf_start = start + splits
            leaf_ids = np.arange(leaf_start, leaf_start + leaves)
            roots.append(start if splits else leaf_start)
            feature += [tree["feature"], np.zeros(leaves, dtype=np.int64)]
            threshold += [tree["threshold"], np.full(leaves, np.inf)]
            for children, side in ((tree["left"], left), (tree["right"], right)):
                side += [np.where(children >= 0, start + children, leaf_start + ~children), leaf_ids]
            value += [np.zeros(splits), tree["value"]]
            depth = max(depth, _depth(tree))
            start = leaf_start + leaves
        packed = [np.concatenate(arrays) if arrays else np.empty(0) for arrays in (feature, threshold, left, right, value)]
        return cls(np.asarray(roots, dtype=np.int64), packed[0].astype(np.int64), packed[1], packed[2].astype(np.int64),
                   packed[3].astype(np.int64), packed[4], depth)

    def score(self, x: np.ndarray) -> np.ndarray:
        if not len(self.roots):
            return np.zeros(len(x))
        node = np.broadcast_to(self.roots, (len(x), len(self.roots)))
        rows = np.arange(len(x))[:, None]
        for _ in range(self.depth):
            go_left = x[rows, self.feature[node]] <= self.threshold[node]
            node = np.where(go_left, self.left[node], self.right[node])
        return self.value[node].sum(axis=1)


def _depth(tree: dict[str, np.ndarray]) -> int:
    """Number of splits on the longest path from the root to a leaf."""
    if not len(tree["feature"]):
        return 0
    longest, level = 0, [0]
    while level:
        longest += 1
        level = [int(c) for n in level for c in (tree["left"][n], tree["right"][n]) if c >= 0]
    return longest


def pool_rows(dense_rows: np.ndarray, lexical_rows: np.ndarray) -> np.ndarray:
    """The union of both retrievers' top ``POOL`` rows, in row order."""
    return np.unique(np.concatenate([dense_rows[:POOL], lexical_rows[:POOL]])).astype(np.int64)


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
