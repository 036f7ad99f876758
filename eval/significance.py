"""Paired randomisation test on per-query scores: is B's mean really different from A's?

Under the null hypothesis the two systems are exchangeable on each query, so the sign of each
per-query difference is a coin flip. The p-value is the share of sign assignments whose mean
difference is at least as far from zero as the observed one (two-sided). Up to 16 queries every
assignment is enumerated (an exact p); above that ``trials`` seeded random flips estimate it, with
the observed assignment counted once (so p is never 0).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from indexer.errors import BadInput

EXACT_UP_TO = 16  # 2^16 assignments: enumerate instead of sampling
TRIALS = 10_000


@dataclass(frozen=True)
class Comparison:
    name_a: str
    name_b: str
    metric: str
    queries: int
    mean_a: float
    mean_b: float
    p_value: float
    exact: bool

    @property
    def difference(self) -> float:
        return self.mean_b - self.mean_a

    def summary(self) -> str:
        how = "exact" if self.exact else f"{TRIALS:,} sign flips"
        return (f"{self.metric} over {self.queries} queries: {self.name_a} {self.mean_a:.4f}, "
                f"{self.name_b} {self.mean_b:.4f}, difference {self.difference:+.4f}, "
                f"p = {self.p_value:.4f} (paired randomisation, two-sided, {how})")


def randomisation_p(differences: np.ndarray, *, trials: int = TRIALS, seed: int = 0) -> tuple[float, bool]:
    """(two-sided p, exact?) for the mean of paired ``differences`` being 0."""
    differences = np.asarray(differences, dtype=np.float64)
    n = len(differences)
    if n == 0:
        raise BadInput("no queries to compare")
    observed = abs(differences.mean())
    tolerance = 1e-12 * max(1.0, observed)
    if n <= EXACT_UP_TO:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=n)))
        means = np.abs(signs @ differences) / n
        return float(np.mean(means >= observed - tolerance)), True
    rng = np.random.default_rng(seed)
    extreme = 0
    for start in range(0, trials, 1000):  # in blocks: 10,000 x 1,000 queries would be 80 MB at once
        size = min(1000, trials - start)
        signs = rng.choice((-1.0, 1.0), size=(size, n))
        extreme += int(np.sum(np.abs(signs @ differences) / n >= observed - tolerance))
    return (extreme + 1) / (trials + 1), False


def compare(
    scores_a: dict[str, dict[str, float]],
    scores_b: dict[str, dict[str, float]],
    *,
    metric: str = "nDCG@10",
    names: tuple[str, str] = ("A", "B"),
    trials: int = TRIALS,
    seed: int = 0,
) -> Comparison:
    """Compare two ``{query_id: {metric: value}}`` tables judged on the same queries."""
    if set(scores_a) != set(scores_b):
        only_a, only_b = sorted(set(scores_a) - set(scores_b)), sorted(set(scores_b) - set(scores_a))
        raise BadInput(f"{names[0]} and {names[1]} were not run on the same queries "
                       f"({len(only_a)} only in {names[0]}, {len(only_b)} only in {names[1]}, e.g. "
                       f"{(only_a + only_b)[0]!r}): a paired test needs the same queries")
    query_ids = sorted(scores_a)
    try:
        a = np.array([scores_a[q][metric] for q in query_ids], dtype=np.float64)
        b = np.array([scores_b[q][metric] for q in query_ids], dtype=np.float64)
    except KeyError:
        raise BadInput(f"metric {metric!r} is not in the per-query scores") from None
    p, exact = randomisation_p(b - a, trials=trials, seed=seed)
    return Comparison(names[0], names[1], metric, len(query_ids), float(a.mean()) if len(a) else 0.0,
                      float(b.mean()) if len(b) else 0.0, p, exact)


def load_per_query(spec: str, default_retriever: str | None = None) -> tuple[str, dict[str, dict[str, float]]]:
    """``results.json`` or ``results.json:retriever`` (a ``zhengce eval --json`` file) -> (name, scores).

    A file with one retriever needs no name; otherwise ``default_retriever`` or the name after the
    colon picks one.
    """
    head, _, tail = spec.rpartition(":")
    path, retriever = (Path(head), tail) if head.endswith(".json") else (Path(spec), "")
    try:
        results: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"{path}: no such results file (write one with zhengce eval --json)") from None
    except json.JSONDecodeError as exc:
        raise BadInput(f"{path}: not a results JSON ({exc.msg})") from None
    available = results.get("retrievers") if isinstance(results, dict) else None
    if not isinstance(available, dict) or not available:
        raise BadInput(f"{path}: no retrievers in it (write one with zhengce eval --json)")
    retriever = retriever or default_retriever or (next(iter(available)) if len(available) == 1 else "")
    if not retriever:
        raise BadInput(f"{path} holds {', '.join(available)}: name one, e.g. {path}:{next(iter(available))}")
    if retriever not in available:
        raise BadInput(f"{path}: no retriever {retriever!r} (it holds {', '.join(available)})")
    return f"{results.get('dataset', path.stem)}:{retriever}", available[retriever]["per_query"]
