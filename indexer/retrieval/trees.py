"""The learned ranker's tree model: its file (``TreeRanker``), its trees summed for every candidate at
once by leaf masks (``PackedTrees``), compiled with numba.

A row goes left at a split when its feature is <= the threshold, as in LightGBM. Number each tree's
leaves left to right; a split the row does not pass ("goes right") rules out every leaf of its left
subtree. So each split carries the mask of the leaves it leaves possible, the masks of a tree's
failed splits are ANDed, and the row's leaf is the lowest leaf still possible (Lucchese et al.,
QuickScorer, SIGIR 2015). The compiled loop decides one split for all rows at a time, without a
branch, and gives the same leaves as walking every tree (docs/performance.md has the cost). It is
compiled once per machine (numba's cache) and loaded when the ranker is, never in a search.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from indexer.compiled import compiled
from indexer.errors import ZhengceError
from indexer.retrieval.rerank_features import BLEND, FEATURES, with_blend

MODEL_FILE = Path(__file__).resolve().parent / "rerank_model.json"  # the shipped model (make rerank-model)
_EVERY_LEAF = np.uint64(0xFFFF_FFFF_FFFF_FFFF)
# the lowest set bit's number, by one multiply and a table (a de Bruijn sequence: Leiserson, Prokop and
# Randall, 1998): x ^ (x - 1) keeps the bits up to it, and the product's top six bits differ for each
_DE_BRUIJN = np.uint64(0x03F7_9D71_B4CB_0A89)
_LOWEST_BIT = np.array([0, 47, 1, 56, 48, 27, 2, 60, 57, 49, 41, 37, 28, 16, 3, 61, 54, 58, 35, 52, 50, 42, 21, 44,
                        38, 32, 29, 23, 17, 11, 4, 62, 46, 55, 26, 59, 40, 36, 15, 53, 34, 51, 20, 43, 31, 22, 10, 45,
                        25, 39, 14, 33, 19, 30, 9, 24, 13, 18, 8, 12, 7, 6, 5, 63], dtype=np.int64)


@dataclass(frozen=True)
class PackedTrees:
    """The splits of all trees, ``slots`` per tree (a tree with fewer is padded with splits that rule
    out nothing), and their leaf values numbered left to right (a one-leaf tree: column 0)."""

    feature: np.ndarray  # (trees, slots) the column each split reads
    threshold: np.ndarray  # (trees, slots) the row goes left when its value is <= this
    keeps: np.ndarray  # (trees, slots) uint64: the leaves still possible when the row goes right
    leaves: np.ndarray  # (trees, most leaves) leaf values

    @classmethod
    def of(cls, trees: tuple[dict[str, np.ndarray], ...]) -> PackedTrees:
        most = max((len(tree["value"]) for tree in trees), default=1)
        if most > 64:
            raise ValueError(f"a tree with {most} leaves: at most 64 are supported")
        slots = max((len(tree["feature"]) for tree in trees), default=0)
        feature = np.zeros((len(trees), slots), dtype=np.int64)
        threshold = np.zeros((len(trees), slots), dtype=np.float64)
        keeps = np.full((len(trees), slots), _EVERY_LEAF, dtype=np.uint64)
        leaves = np.zeros((len(trees), most))
        for number, tree in enumerate(trees):
            if not len(tree["feature"]):
                leaves[number, 0] = float(tree["value"][0])
                continue
            order: list[int] = []  # leaves left to right
            spans: dict[int, tuple[int, int]] = {}  # split -> (first, end) of its left subtree's leaves
            _number_leaves(tree, 0, order, spans)
            leaves[number, : len(order)] = np.asarray(tree["value"], dtype=np.float64)[order]
            for split in range(len(tree["feature"])):
                first, end = spans[split]
                feature[number, split] = int(tree["feature"][split])
                threshold[number, split] = float(tree["threshold"][split])
                keeps[number, split] = (1 << 64) - 1 & ~(((1 << end) - 1) ^ ((1 << first) - 1))
        return cls(feature, threshold, keeps, leaves)

    def score(self, x: np.ndarray) -> np.ndarray:
        """The sum over trees of each row's leaf value (in tree order, as the trees were trained)."""
        values = np.empty((len(x), len(self.leaves)))
        _leaf_values(np.ascontiguousarray(np.asarray(x, dtype=np.float64).T), self.feature, self.threshold,
                     self.keeps, self.leaves, values)
        return values.sum(axis=1)

    def compile(self) -> None:
        """Load (or, the first time on a machine, compile) the scoring loop now, not in a search."""
        self.score(np.zeros((1, int(self.feature.max(initial=0)) + 1)))


@compiled
def _leaf_values(columns: np.ndarray, feature: np.ndarray, threshold: np.ndarray, keeps: np.ndarray,
                 leaves: np.ndarray, values: np.ndarray) -> None:
    """``values[row, tree]``: the value of the leaf each row reaches in each tree (``columns``: the
    rows' features, one feature per line)."""
    rows = columns.shape[1]
    possible = np.empty(rows, dtype=np.uint64)
    for tree in range(feature.shape[0]):
        possible[:] = _EVERY_LEAF
        for split in range(feature.shape[1]):
            column = columns[feature[tree, split]]
            limit = threshold[tree, split]
            keep = keeps[tree, split]
            for row in range(rows):  # NaN is not <= anything: it goes right
                possible[row] &= _EVERY_LEAF if column[row] <= limit else keep
        for row in range(rows):  # the lowest leaf still possible (never none: the row's own stays)
            left = possible[row]
            values[row, tree] = leaves[tree, _LOWEST_BIT[((left ^ (left - np.uint64(1))) * _DE_BRUIJN) >> np.uint64(58)]]


def _number_leaves(tree: dict[str, np.ndarray], node: int, order: list[int], spans: dict[int, tuple[int, int]]) -> None:
    """Number the leaves under ``node`` left to right into ``order``; record each split's left span."""
    if node < 0:
        order.append(~node)
        return
    first = len(order)
    _number_leaves(tree, int(tree["left"][node]), order, spans)
    spans[node] = (first, len(order))
    _number_leaves(tree, int(tree["right"][node]), order, spans)


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
        packed = PackedTrees.of(self.trees)
        packed.compile()
        object.__setattr__(self, "_packed", packed)

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
