"""A sum of regression trees evaluated with numpy for every candidate at once, by leaf masks.

A row goes left at a split when its feature is <= the threshold, as in LightGBM. Number each tree's
leaves left to right; a split the row does not pass ("goes right") rules out every leaf of its left
subtree. So each split carries the mask of the leaves it leaves possible, every split of every tree
is decided in one comparison of the feature matrix with all thresholds, the masks of a tree's
failed splits are ANDed, and the row's leaf is the lowest leaf still possible (Lucchese et al.,
QuickScorer, SIGIR 2015). No walk from node to node: about half the work of walking every tree
level by level, and the same leaves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PackedTrees:
    """The splits of all trees in one set of arrays (each tree's consecutive, from ``starts``)."""

    feature: np.ndarray  # (splits,) the column each split reads
    threshold: np.ndarray  # (splits,)
    keeps: np.ndarray  # (splits,) the leaves still possible when the row goes right at this split
    starts: np.ndarray  # (trees with splits,) where each tree's splits begin
    split_trees: np.ndarray  # (trees with splits,) which tree each of those is
    leaves: np.ndarray  # (trees, most leaves) leaf values, numbered left to right (a one-leaf tree: column 0)

    @classmethod
    def of(cls, trees: tuple[dict[str, np.ndarray], ...]) -> PackedTrees:
        most = max((len(tree["value"]) for tree in trees), default=1)
        kind = np.uint16 if most <= 16 else np.uint32 if most <= 32 else np.uint64
        if most > 64:
            raise ValueError(f"a tree with {most} leaves: at most 64 are supported")
        features: list[int] = []
        thresholds: list[float] = []
        keeps: list[int] = []
        starts: list[int] = []
        split_trees: list[int] = []
        leaves = np.zeros((len(trees), most))
        for number, tree in enumerate(trees):
            if not len(tree["feature"]):
                leaves[number, 0] = float(tree["value"][0])
                continue
            order: list[int] = []  # leaves left to right
            spans: dict[int, tuple[int, int]] = {}  # split -> (first, end) of its left subtree's leaves
            _number_leaves(tree, 0, order, spans)
            leaves[number, : len(order)] = np.asarray(tree["value"], dtype=np.float64)[order]
            starts.append(len(features))
            split_trees.append(number)
            everything = (1 << most) - 1
            for split in range(len(tree["feature"])):
                first, end = spans[split]
                features.append(int(tree["feature"][split]))
                thresholds.append(float(tree["threshold"][split]))
                keeps.append(everything & ~(((1 << end) - 1) ^ ((1 << first) - 1)))
        return cls(np.asarray(features, dtype=np.int64), np.asarray(thresholds, dtype=np.float64),
                   np.asarray(keeps, dtype=np.uint64).astype(kind), np.asarray(starts, dtype=np.int64),
                   np.asarray(split_trees, dtype=np.int64), leaves)

    def score(self, x: np.ndarray) -> np.ndarray:
        """The sum over trees of each row's leaf value."""
        values = np.tile(self.leaves[:, 0], (len(x), 1))  # summed in tree order, as the trees were trained
        if not len(self.starts) or not len(x):
            return values.sum(axis=1)
        goes_right = ~(x[:, self.feature] <= self.threshold)  # NaN goes right, as it did node by node
        possible = np.where(goes_right, self.keeps, self.keeps.dtype.type(np.iinfo(self.keeps.dtype).max))
        left = np.bitwise_and.reduceat(possible, self.starts, axis=1).astype(np.uint64)
        lowest = left & (~left + np.uint64(1))  # the lowest possible leaf's bit (a power of two: exact in float)
        leaf = np.log2(lowest.astype(np.float64)).astype(np.int64)
        values[:, self.split_trees] = self.leaves[self.split_trees, leaf]
        return values.sum(axis=1)


def _number_leaves(tree: dict[str, np.ndarray], node: int, order: list[int], spans: dict[int, tuple[int, int]]) -> None:
    """Number the leaves under ``node`` left to right into ``order``; record each split's left span."""
    if node < 0:
        order.append(~node)
        return
    first = len(order)
    _number_leaves(tree, int(tree["left"][node]), order, spans)
    spans[node] = (first, len(order))
    _number_leaves(tree, int(tree["right"][node]), order, spans)
