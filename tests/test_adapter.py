"""The query adapter: its file, its arithmetic, and the training and folds of eval.adapt."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexer.embed.adapter import AdaptedEmbedder, QueryAdapter
from indexer.errors import BadInput


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_adapter_file_round_trips_with_its_record(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    adapter = QueryAdapter("some/model", (0.1 * rng.standard_normal((8, 8))).astype(np.float32),
                           {"trained_on": {"a": 3}, "command": "python -m eval.adapt x.json --write"})
    adapter.save(tmp_path / "adapter.npz")
    loaded = QueryAdapter.load(tmp_path / "adapter.npz")
    assert loaded.model_id == "some/model" and loaded.record == adapter.record
    vectors = _unit(rng.standard_normal((5, 8)))
    moved = loaded.apply(vectors)
    np.testing.assert_allclose(moved, adapter.apply(vectors), atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(moved, axis=1), 1.0, atol=1e-5)
    expected = _unit(vectors + vectors @ adapter.matrix)
    np.testing.assert_allclose(moved, expected, atol=1e-6)
    assert not np.allclose(moved, vectors, atol=1e-3)


def test_zero_adapter_leaves_queries_and_passages_alone(stand_in) -> None:
    adapted = AdaptedEmbedder(stand_in, QueryAdapter(stand_in.model_id, np.zeros((stand_in.dim,) * 2, np.float32)))
    texts = ["普陀区宝宝屋覆盖了多少个街道", "托育服务"]
    assert adapted.model_id == stand_in.model_id and adapted.dim == stand_in.dim
    np.testing.assert_allclose(adapted.encode_queries(texts), stand_in.encode_queries(texts), atol=1e-6)
    np.testing.assert_array_equal(adapted.encode_passages(texts), stand_in.encode_passages(texts))


def test_adapter_of_another_model_is_refused(stand_in) -> None:
    with pytest.raises(BadInput, match="cannot adapt"):
        AdaptedEmbedder(stand_in, QueryAdapter("other/model", np.zeros((stand_in.dim,) * 2, np.float32)))
    with pytest.raises(BadInput, match="cannot adapt"):
        AdaptedEmbedder(stand_in, QueryAdapter(stand_in.model_id, np.zeros((4, 4), np.float32)))


def test_unreadable_adapter_file_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "adapter.npz"
    broken.write_bytes(b"not an npz file")
    with pytest.raises(BadInput, match="unreadable"):
        QueryAdapter.load(broken)
    with pytest.raises(BadInput, match="unreadable"):
        QueryAdapter.load(tmp_path / "missing.npz")


def _shifted_set(name: str, size: int, dim: int, seed: int):
    """Answers at random; each question is its answer seen through a fixed linear distortion, so a
    linear adapter learnt on some questions must also bring the others closer to their answers."""
    from eval.adapt import SetVectors

    rng = np.random.default_rng(seed)
    answers = _unit(rng.standard_normal((size, dim)))
    distortion = np.eye(dim) + 1.5 * rng.standard_normal((dim, dim)) / np.sqrt(dim)
    questions = _unit(answers @ distortion + 0.05 * rng.standard_normal((size, dim)))
    return SetVectors(dataset=name, results_path=Path(f"{name}.json"), query_ids=[f"q{i}" for i in range(size)],
                      texts=[f"{name} question {i}" for i in range(size)], groups=[f"{name} question {i}" for i in range(size)],
                      vectors=questions, chunks=answers, relevant=[np.array([i]) for i in range(size)])


def _top1(vectors: np.ndarray, chunks: np.ndarray, rows: np.ndarray) -> float:
    return float(np.mean(np.argmax(vectors[rows] @ chunks.T, axis=1) == rows))


def test_adapter_learnt_on_other_folds_finds_held_out_answers() -> None:
    pytest.importorskip("torch")  # eval.adapt trains with torch; the Searcher needs only numpy
    from eval.adapt import Training, deal_folds, train

    sets = [_shifted_set("a", 300, 24, 0), _shifted_set("b", 200, 24, 1)]
    folds = deal_folds(sets, 5, seed=0)
    assert all(np.bincount(f).tolist() == [len(f) // 5] * 5 for f in folds)  # a fifth of each set per fold
    matrix = train(sets, [f != 0 for f in folds], Training(epochs=200, learning_rate=0.01, penalty=0.001))
    adapter = QueryAdapter("synthetic", matrix)
    for data, fold in zip(sets, folds):
        held_out = np.flatnonzero(fold == 0)
        before = _top1(data.vectors, data.chunks, held_out)
        after = _top1(adapter.apply(data.vectors), data.chunks, held_out)
        assert after > before + 0.2, (data.dataset, before, after)


def test_queries_of_one_group_share_a_fold_and_one_text_never_spans_two() -> None:
    from eval.adapt import deal_folds

    data = _shifted_set("a", 50, 8, 0)
    data.groups = [f"document {i // 5}" for i in range(50)]  # ten gold documents, five questions each
    fold = deal_folds([data], 5, seed=3)[0]
    assert all(len(set(fold[i : i + 5].tolist())) == 1 for i in range(0, 50, 5))
    data.texts = ["the same question"] * 50  # one text in every group: it would be trained on and tested
    with pytest.raises(SystemExit, match="two folds"):
        deal_folds([data], 5, seed=3)
