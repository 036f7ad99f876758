"""Cross-validation by query: folds dealt per set, every query scored by a model that never saw it,
and the held-out rankings ranked as the Searcher ranks them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from eval.learn.dumps import QueryCandidates
from eval.learn.logistic import fit
from eval.metrics import Qrels, per_query

FOLDS = 5


class Scorer(Protocol):
    def score(self, x: np.ndarray) -> np.ndarray: ...


Trainer = Callable[[list[QueryCandidates], list[int]], Scorer]


def ranking_run(queries: list[QueryCandidates], scores: list[np.ndarray]) -> dict[str, dict[str, float]]:
    """Runs as the Searcher ranks: pool units by their best candidate's score, then the tail."""
    run = {}
    for query, score in zip(queries, scores):
        best: dict[str, float] = {}
        for unit, value in zip(query.units, score.tolist()):
            best[unit] = max(best.get(unit, -np.inf), value)
        order = sorted(best, key=lambda u: -best[u]) + [u for u in dict.fromkeys(query.tail) if u not in best]
        run[query.query_id] = {unit: float(len(order) - i) for i, unit in enumerate(order)}
    return run


def folds_of(sets: list[dict[str, Any]], folds: int, seed: int) -> dict[tuple[str, str], int]:
    """(dataset, query id) -> fold; each set is shuffled and dealt out on its own, so every fold
    holds a fifth of each set."""
    rng = np.random.default_rng(seed)
    assignment = {}
    for data in sets:
        ids = [q.query_id for q in data["queries"]]
        for position, i in enumerate(rng.permutation(len(ids))):
            assignment[(data["dataset"], ids[i])] = position % folds
    return assignment


def cross_validate(sets: list[dict[str, Any]], columns: list[int], *, folds: int = FOLDS, seed: int = 0,
                   trainer: Trainer = fit) -> dict[str, dict[str, dict[str, float]]]:
    """Held-out per-query metrics for each set: every query scored by a model that never saw it (the
    folds the dumps carry when they all do, else dealt here)."""
    if all(data.get("folds") for data in sets):
        fold = {(data["dataset"], q): k for data in sets for q, k in data["folds"].items()}
        folds = max(fold.values()) + 1
    else:
        fold = folds_of(sets, folds, seed)
    held_out: dict[str, dict[str, np.ndarray]] = {data["dataset"]: {} for data in sets}
    for k in range(folds):
        train = [q for data in sets for q in data["queries"] if fold[(data["dataset"], q.query_id)] != k]
        model = trainer(train, columns)
        for data in sets:
            for q in data["queries"]:
                if fold[(data["dataset"], q.query_id)] == k:
                    held_out[data["dataset"]][q.query_id] = model.score(q.x)
    return {data["dataset"]: set_scores(data, held_out[data["dataset"]]) for data in sets}


def fixed_scores(data: dict[str, Any], score: Callable[[np.ndarray], np.ndarray]) -> dict[str, dict[str, float]]:
    """Per-query metrics of an untrained scoring rule over the same pools (e.g. linear 0.7)."""
    return set_scores(data, {q.query_id: score(q.x) for q in data["queries"]})


def set_scores(data: dict[str, Any], scores: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Per-query metrics of one set's queries ranked by ``scores`` (query id -> pool scores)."""
    queries = data["queries"]
    qrels: Qrels = data["qrels"]
    return per_query(ranking_run(queries, [scores[q.query_id] for q in queries]), qrels)
