"""The shipped opt-in model: one LambdaRank variant trained on every query, its trees exported as
arrays for ``indexer.retrieval.rerank.TreeRanker`` and written where the command line says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from eval.learn.crossval import FOLDS
from eval.learn.lambdarank import LAMBDARANK, BlendedScorer, TreeScorer
from eval.learn.variants import LAMBDARANK_TRAINERS, VARIANTS
from indexer.retrieval.rerank import BLEND, FEATURES, TreeRanker

# the shipped model's place in a source checkout (``make rerank-model`` and a bare ``--write`` write it)
SOURCE_MODEL = Path("indexer/retrieval/rerank_model.json")


def write_model(sets: list[dict[str, Any]], rows: dict[str, dict[str, Any]], seed: int, variant: str,
                path: Path) -> Path:
    """Train ``variant`` on every query of ``sets`` and write its trees with their training record
    (``rows``: the variant's cross-validated figures) to ``path``; the columns a variant leaves out
    are never split on."""
    trainer, columns = VARIANTS[variant]
    if trainer not in LAMBDARANK_TRAINERS:
        raise SystemExit(f"--write takes one LambdaRank variant, not {variant}")
    queries = [q for data in sets for q in data["queries"]]
    scorer = trainer(queries, [FEATURES.index(c) for c in columns])
    trees, blend = (scorer.scorer, scorer.weights) if isinstance(scorer, BlendedScorer) else (scorer, None)
    assert isinstance(trees, TreeScorer)
    record = {"trained_on": {d["dataset"]: f"{d['split']}, {len(d['queries'])} queries" for d in sets},
              "cross_validated": {dataset: {m: v for m, v in entry.items() if m != "per_query"}
                                  for dataset, entry in rows.get(variant, {}).items()},
              "folds": FOLDS, "seed": seed,
              "model": f"LightGBM LambdaRank, variant {variant} of eval.learn", "settings": LAMBDARANK,
              "rebuild": "python -m eval.learn dump RESULTS.json (one per set, from zhengce eval --json); "
                         f"python -m eval.learn train var/eval/learn/*.pkl --variants {variant} --write {path}"}
    names = FEATURES + ((BLEND,) if blend else ())
    trained = TreeRanker(names, trees_of(trees.model.booster_, trees.columns), record, blend)
    check = np.vstack([q.x for q in queries[:50]])
    if not np.allclose(trained.score(check), scorer.score(check), atol=1e-9):
        raise SystemExit("the exported trees do not reproduce LightGBM's scores")
    path.write_text(json.dumps(trained.to_dict(), ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def trees_of(booster: Any, columns: list[int]) -> tuple[dict[str, np.ndarray], ...]:
    """A LightGBM booster's trees as TreeRanker arrays over the full feature matrix (the booster saw
    ``columns`` of it). Numerical splits only; the features are never missing, so LightGBM's
    missing-value routing never applies."""
    trees = []
    for info in booster.dump_model()["tree_info"]:
        splits: dict[int, tuple[int, float, int, int]] = {}
        leaves: dict[int, float] = {}
        _walk(info["tree_structure"], splits, leaves)
        nodes = [splits[i] for i in range(len(splits))]
        trees.append({"feature": np.array([columns[n[0]] for n in nodes], dtype=np.int64),
                      "threshold": np.array([n[1] for n in nodes], dtype=np.float64),
                      "left": np.array([n[2] for n in nodes], dtype=np.int64),
                      "right": np.array([n[3] for n in nodes], dtype=np.int64),
                      "value": np.array([leaves[i] for i in range(len(leaves))], dtype=np.float64)})
    return tuple(trees)


def _walk(node: dict[str, Any], splits: dict[int, tuple[int, float, int, int]], leaves: dict[int, float]) -> int:
    """Collect a dumped (sub)tree's splits as (feature, threshold, left, right) and its leaf values;
    returns the node's TreeRanker reference (a split's index, or ~leaf)."""
    if "split_index" not in node:  # a leaf (a one-leaf tree's root carries no leaf_index)
        leaf = int(node.get("leaf_index", 0))
        leaves[leaf] = float(node["leaf_value"])
        return ~leaf
    if node["decision_type"] != "<=":
        raise SystemExit(f"unsupported split {node['decision_type']!r}")
    left, right = _walk(node["left_child"], splits, leaves), _walk(node["right_child"], splits, leaves)
    splits[int(node["split_index"])] = (int(node["split_feature"]), float(node["threshold"]), left, right)
    return int(node["split_index"])
