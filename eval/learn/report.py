"""The held-out figures of the variants against today's fusion as the harness measured it, by the
paired randomisation test: one deal of the folds (``report``) or several averaged (``repeated``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from eval.learn.crossval import cross_validate, fixed_scores
from eval.learn.variants import VARIANTS
from eval.significance import compare
from indexer.retrieval.rerank import FEATURES


def report(sets: list[dict[str, Any]], seed: int = 0, names: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """Every variant's held-out nDCG@10 and R@10 per set, each against today's fusion as the harness
    measured it (paired randomisation test on each metric)."""
    rows: dict[str, dict[str, Any]] = {}
    hybrid = FEATURES.index("hybrid")
    results = {"hybrid-over-pool": {d["dataset"]: fixed_scores(d, lambda x: x[:, hybrid]) for d in sets}}
    for name in names or list(VARIANTS):
        trainer, columns = VARIANTS[name]
        results[name] = cross_validate(sets, [FEATURES.index(c) for c in columns], seed=seed, trainer=trainer)
    for name, per_set in results.items():
        for data in sets:
            dataset, measured = data["dataset"], data["hybrid_per_query"]
            scores = per_set[dataset]
            entry: dict[str, Any] = {}
            for metric in ("nDCG@10", "R@10"):
                result = compare(measured, scores, metric=metric, names=(f"{dataset}:hybrid", f"{dataset}:{name}"),
                                 seed=seed)
                entry[metric] = {"hybrid": round(result.mean_a, 4), name: round(result.mean_b, 4),
                                 "difference": round(result.difference, 4), "p": round(result.p_value, 4)}
                print(result.summary(), flush=True)
            entry["per_query"] = scores
            rows.setdefault(name, {})[dataset] = entry
    return rows


def repeated(reports: list[dict[str, Any]], variant: str, seed: int = 0) -> dict[str, dict[str, Any]]:
    """One variant over several deals of the folds (``train --json`` reports of dumps dealt with
    different seeds): each query's held-out metrics averaged over the deals, against today's fusion
    as the harness measured it, by the paired randomisation test. Averaging removes the luck of one
    deal, which on these sets is as large as the gains (eval/results.md, section 17)."""
    rows: dict[str, dict[str, Any]] = {}
    for dataset, measured in reports[0]["today"].items():
        runs = [report["variants"][variant][dataset]["per_query"] for report in reports]
        mean = {q: {m: float(np.mean([run[q][m] for run in runs])) for m in runs[0][q]} for q in measured}
        rows[dataset] = {"deals": len(runs), "means": {m: round(float(np.mean([v[m] for v in mean.values()])), 4)
                                                       for m in next(iter(mean.values()))}}
        for metric in ("nDCG@10", "R@10"):
            result = compare(measured, mean, metric=metric, names=(f"{dataset}:hybrid", f"{dataset}:{variant}"),
                             seed=seed)
            wins = sum(np.mean([run[q][metric] for q in measured]) > result.mean_a for run in runs)
            rows[dataset][metric] = {"hybrid": round(result.mean_a, 4), variant: round(result.mean_b, 4),
                                     "difference": round(result.difference, 4), "p": round(result.p_value, 4),
                                     "deals_above": int(wins)}
            print(f"{result.summary()}; above at {wins} of {len(runs)} deals", flush=True)
    return rows
