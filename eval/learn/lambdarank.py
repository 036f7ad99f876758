"""LightGBM LambdaRank rankers: on the chosen columns, on each relevant unit's best chunk, and with
the three-score blend as one more column."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from eval.learn.dumps import QueryCandidates
from indexer.retrieval.rerank import BLENDED, FEATURES, with_blend

# fixed before any run (small trees, strong leaves: ~1,800 training queries)
LAMBDARANK: dict[str, Any] = {"objective": "lambdarank", "n_estimators": 200, "learning_rate": 0.05, "num_leaves": 15,
              "min_child_samples": 50, "colsample_bytree": 0.8, "reg_lambda": 1.0,
              "lambdarank_truncation_level": 30, "label_gain": [0.0, 1.0],
              "n_jobs": 1, "random_state": 0, "deterministic": True, "verbose": -1}


@dataclass(frozen=True)
class TreeScorer:
    """A LightGBM model trained on some columns of the feature matrix, scoring the whole matrix."""

    model: Any  # lightgbm.LGBMRanker (an optional dependency, imported only to train)
    columns: list[int]

    def score(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict(x[:, self.columns]), dtype=np.float64)


def fit_lambdarank(queries: list[QueryCandidates], columns: list[int]) -> TreeScorer:
    """LightGBM LambdaRank on the chosen columns: trees can weigh dense against BM25 differently for
    different kinds of query, which one linear score cannot."""
    import lightgbm

    kept = [q for q in queries if q.labels.any() and not q.labels.all()]  # no pair, no gradient
    model = lightgbm.LGBMRanker(**LAMBDARANK)
    model.fit(np.vstack([q.x[:, columns] for q in kept]), np.concatenate([q.labels for q in kept]),
              group=[len(q.labels) for q in kept])
    return TreeScorer(model, columns)


def best_chunk_labels(queries: list[QueryCandidates]) -> list[QueryCandidates]:
    """Training pools where only each relevant unit's best chunk by today's fusion is relevant and its
    other chunks are left out: a unit is ranked by its best chunk, so a weak passage of a relevant
    document is no example of what should rise."""
    hybrid = FEATURES.index("hybrid")
    kept = []
    for q in queries:
        best: dict[str, int] = {}
        for i in np.flatnonzero(q.labels == 1).tolist():
            if q.units[i] not in best or q.x[i, hybrid] > q.x[best[q.units[i]], hybrid]:
                best[q.units[i]] = i
        rows = [i for i in range(len(q.units)) if q.labels[i] == 0 or best.get(q.units[i]) == i]
        kept.append(QueryCandidates(q.query_id, [q.units[i] for i in rows], q.x[rows], q.labels[rows], q.tail))
    return kept


def fit_lambdarank_best(queries: list[QueryCandidates], columns: list[int]) -> TreeScorer:
    """LambdaRank trained on the best chunk of each relevant unit (``best_chunk_labels``)."""
    return fit_lambdarank(best_chunk_labels(queries), columns)


def choose_blend(queries: list[QueryCandidates]) -> tuple[float, float, float]:
    """The eval.sentences grid point whose blend ranks these (training) queries best: mean nDCG@10 over
    their pools, each unit by its best candidate, judged by the pool's labels."""
    from eval.sentences import GRID

    scaled = [q.x[:, [FEATURES.index(name) for name in BLENDED]] @ np.asarray(GRID).T for q in queries]
    discount = 1.0 / np.log2(np.arange(2, 12))
    totals = np.zeros(len(GRID))
    for query, scores in zip(queries, scaled):
        units, unit_of = np.unique(query.units, return_inverse=True)
        relevant = np.zeros(len(units))
        np.maximum.at(relevant, unit_of, query.labels)
        if not relevant.any():
            continue
        ideal = discount[: int(min(10, relevant.sum()))].sum()
        best = np.full((len(units), len(GRID)), -np.inf)
        np.maximum.at(best, unit_of, scores)
        top = np.argsort(-best, axis=0, kind="stable")[:10]
        totals += (relevant[top] * discount[: len(top), None]).sum(axis=0) / ideal
    return GRID[int(np.argmax(totals))]


@dataclass(frozen=True)
class BlendedScorer:
    """A tree model trained with the blend column its training queries chose (``fit_lambdarank_blend``)."""

    scorer: TreeScorer
    weights: tuple[float, float, float]

    def score(self, x: np.ndarray) -> np.ndarray:
        return self.scorer.score(with_blend(x, self.weights))


def fit_lambdarank_blend(queries: list[QueryCandidates], columns: list[int]) -> BlendedScorer:
    """LambdaRank with one more column, eval.sentences' three-score blend, its weights chosen on the
    training queries alone (so a held-out query never informs its own blend)."""
    weights = choose_blend(queries)
    print(f"blend chosen on {len(queries)} training queries (dense, BM25, sentence): {weights}", flush=True)
    widened = [QueryCandidates(q.query_id, q.units, with_blend(q.x, weights), q.labels, q.tail) for q in queries]
    return BlendedScorer(fit_lambdarank(widened, [*columns, len(FEATURES)]), weights)
