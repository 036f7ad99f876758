"""A sum of regression trees evaluated with numpy for every candidate at once, by leaf masks.

A row goes left at a split when its feature is <= the threshold, as in LightGBM. Number each tree's
leaves left to right; a split the row does not pass ("goes right") rules out every leaf of its left
subtree. So each split carries the mask of the leaves it leaves possible, every split of every tree
is decided at once, the masks of a tree's failed splits are ANDed, and the row's leaf is the lowest
leaf still possible (Lucchese et al., QuickScorer, SIGIR 2015). A split is decided by the row's rank
among its feature's thresholds (one ``searchsorted`` per feature, not a comparison per split): the
row passes the split's threshold exactly when more of those thresholds lie below its value. No walk
from node to node, about a quarter of the work of walking every tree level by level, the same leaves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PackedTrees:
    """The splits of all trees, ``slots`` per tree (a tree with fewer is padded with splits that rule
    out nothing), in tree order."""

    thresholds: tuple[np.ndarray, ...]  # per feature: its distinct thresholds, sorted
    feature: np.ndarray  # (trees with splits * slots,) the column each split reads
    rank: np.ndarray  # (trees with splits * slots,) its threshold's place among its feature's
    keeps: np.ndarray  # (trees with splits * slots, 1) the leaves still possible when the row goes right
    slots: int
    split_trees: np.ndarray  # (trees with splits,) which tree each of those is
    leaves: np.ndarray  # (trees, most leaves) leaf values, numbered left to right (a one-leaf tree: column 0)

    @classmethod
    def of(cls, trees: tuple[dict[str, np.ndarray], ...], columns: int | None = None) -> PackedTrees:
        most = max((len(tree["value"]) for tree in trees), default=1)
        if most > 64:
            raise ValueError(f"a tree with {most} leaves: at most 64 are supported")
        kind = np.uint16 if most <= 16 else np.uint32 if most <= 32 else np.uint64
        everything = (1 << most) - 1
        slots = max((len(tree["feature"]) for tree in trees), default=0)
        used = [int(f) for tree in trees for f in tree["feature"]]
        columns = max([columns or 0, *(f + 1 for f in used)])
        thresholds = tuple(np.unique(np.concatenate(
            [np.asarray(tree["threshold"], dtype=np.float64)[np.asarray(tree["feature"]) == f] for tree in trees]
            + [np.empty(0)])) for f in range(columns))
        features: list[int] = []
        ranks: list[int] = []
        keeps: list[int] = []
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
            split_trees.append(number)
            for split in range(len(tree["feature"])):
                first, end = spans[split]
                feature = int(tree["feature"][split])
                features.append(feature)
                ranks.append(int(np.searchsorted(thresholds[feature], float(tree["threshold"][split]))))
                keeps.append(everything & ~(((1 << end) - 1) ^ ((1 << first) - 1)))
            padding = slots - len(tree["feature"])
            features += [0] * padding
            ranks += [len(thresholds[0])] * padding  # no row ranks above every threshold: never "goes right"
            keeps += [everything] * padding
        return cls(thresholds, np.asarray(features, dtype=np.int64), np.asarray(ranks, dtype=np.int32)[:, None],
                   np.asarray(keeps, dtype=np.uint64).astype(kind)[:, None], slots,
                   np.asarray(split_trees, dtype=np.int64), leaves)

    def score(self, x: np.ndarray) -> np.ndarray:
        """The sum over trees of each row's leaf value (in tree order, as the trees were trained)."""
        values = np.tile(self.leaves[:, 0], (len(x), 1))
        if not len(self.split_trees) or not len(x):
            return values.sum(axis=1)
        # per feature, how many of its thresholds lie below each row's value (NaN: all, so it goes right)
        below = np.empty((len(self.thresholds), len(x)), dtype=np.int32)
        for feature, thresholds in enumerate(self.thresholds):
            below[feature] = np.searchsorted(thresholds, x[:, feature], "left") if len(thresholds) else 0
        passes = self.rank >= below[self.feature]  # (splits, rows): x <= threshold, the row goes left
        possible = self.keeps | (passes.view(np.uint8) * self.keeps.dtype.type(np.iinfo(self.keeps.dtype).max))
        left = np.bitwise_and.reduce(possible.reshape(len(self.split_trees), self.slots, len(x)), axis=1)
        left = left.T.astype(np.uint64)
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
