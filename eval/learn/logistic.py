"""The pairwise logistic ranker: one linear score over standardised features."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eval.learn.dumps import QueryCandidates
from indexer.retrieval.rerank import FEATURES

NEGATIVES_PER_POSITIVE = 40  # the highest-ranked non-relevant candidates paired with each relevant one
REGULARISATION = 1.0  # sklearn's C on standardised features


@dataclass(frozen=True)
class LinearRanker:
    """score = standardised features . weights (the pairwise logistic variants)."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray

    def score(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.weights


def fit(queries: list[QueryCandidates], columns: list[int], c: float = REGULARISATION) -> LinearRanker:
    """Pairwise logistic regression: relevant minus non-relevant candidate of the same query, each
    query weighing the same however many pairs it has. Weights of columns left out are 0."""
    from sklearn.linear_model import LogisticRegression

    width = queries[0].x.shape[1]
    all_x = np.vstack([q.x[:, columns] for q in queries])
    mean, scale = all_x.mean(axis=0), all_x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    ranked_by = FEATURES.index("linear_0.7")
    diffs, weights = [], []
    for query in queries:
        x = (query.x[:, columns] - mean) / scale
        positive, negative = np.flatnonzero(query.labels == 1), np.flatnonzero(query.labels == 0)
        if not len(positive) or not len(negative):
            continue
        hardest = negative[np.argsort(-query.x[negative, ranked_by])[:NEGATIVES_PER_POSITIVE]]
        pairs = x[positive][:, None, :] - x[hardest][None, :, :]
        pairs = pairs.reshape(-1, len(columns))
        diffs.append(pairs)
        weights.append(np.full(len(pairs), 1.0 / len(pairs)))
    d, w = np.vstack(diffs), np.concatenate(weights)
    model = LogisticRegression(C=c, fit_intercept=False, max_iter=2000)
    model.fit(np.vstack([d, -d]), np.r_[np.ones(len(d)), np.zeros(len(d))], sample_weight=np.r_[w, w])
    weights_full = np.zeros(width)
    weights_full[columns] = model.coef_[0]
    mean_full, scale_full = np.zeros(width), np.ones(width)
    mean_full[columns], scale_full[columns] = mean, scale
    return LinearRanker(FEATURES, mean_full, scale_full, weights_full)
