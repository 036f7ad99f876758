"""eval.sentences: a chunk scored by its best sentence, and the blend weights cross-validated."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def test_a_chunk_scores_by_its_best_sentence_and_a_chunk_without_one_by_its_own_cosine() -> None:
    from indexer.index.sentences import best_per_row, bounds_of, gather, sentence_texts

    chunks = [SimpleNamespace(text="一、总则\n普陀区宝宝屋覆盖10个街道镇。全年服务12次，由社区组织。"),
              SimpleNamespace(text="二、要求"),  # a heading alone: nothing to match
              SimpleNamespace(text="各区要落实托育补贴政策。")]
    texts, counts = sentence_texts(chunks)
    assert texts == ["普陀区宝宝屋覆盖10个街道镇。", "全年服务12次，由社区组织。", "各区要落实托育补贴政策。"]
    assert counts.tolist() == [2, 0, 1]
    bounds = bounds_of(counts)

    query = _unit(np.array([1.0, 0.0, 0.0]))
    sentences = _unit(np.array([[0.2, 1.0, 0.0], [0.9, 0.1, 0.0], [0.0, 0.0, 1.0]]))
    chunk_cosines = np.array([0.5, 0.3, 0.1])
    rows = np.array([2, 1, 0])  # any order: each row gets its own sentences
    numbers, row_counts = gather(bounds, rows)
    assert numbers.tolist() == [2, 0, 1] and row_counts.tolist() == [1, 0, 2]
    scores = best_per_row(sentences[numbers] @ query, row_counts, chunk_cosines[rows])
    np.testing.assert_allclose(scores, [sentences[2] @ query, 0.3, sentences[1] @ query])


def _set(name: str, size: int, seed: int):
    """Queries whose relevant row is found by the sentence score alone (dense and BM25 are noise)."""
    from eval.sentences import QueryScores, SetScores

    rng = np.random.default_rng(seed)
    queries, qrels = [], {}
    for i in range(size):
        rows = np.arange(20)
        sentence = rng.uniform(0, 0.5, 20)
        sentence[i % 20] = 0.9
        queries.append(QueryScores(f"q{i}", rows, rng.uniform(0, 1, 20), rng.uniform(0, 5, 20), sentence))
        qrels[f"q{i}"] = {f"{name}-d{i % 20}": 1}
    today = {q: {"nDCG@10": 0.3, "R@10": 0.5} for q in qrels}
    return SetScores(name, qrels, [f"{name}-d{r}" for r in range(20)], queries, today)


def test_cross_validation_chooses_the_sentence_weight_on_other_folds_and_scores_each_query_once() -> None:
    from eval.sentences import GRID, cross_validate, evaluate

    sets = [_set("a", 60, 0), _set("b", 40, 1)]
    held_out, chosen = cross_validate(sets, folds=5, seed=0)
    assert len(chosen) == 5 and all(weights in GRID and weights[2] == max(g[2] for g in GRID) for weights in chosen)
    for data in sets:
        assert set(held_out[data.dataset]) == set(data.qrels)
        no_sentences = evaluate(data, (0.7, 0.3, 0.0))
        assert np.mean([m["nDCG@10"] for m in held_out[data.dataset].values()]) > 0.9
        assert np.mean([m["nDCG@10"] for m in no_sentences.values()]) < 0.5


def test_eval_sentences_reads_a_real_index_and_compares_with_the_measured_hybrid(tmp_path, monkeypatch, e5,
                                                                                 embed_cache_path) -> None:
    from test_eval import TINY_CORPUS, TINY_QRELS, TINY_QUERIES, write_beir

    from eval.sentences import GRID
    from eval.sentences import main as sentences
    from indexer.cli import main as cli

    from conftest import REPO

    monkeypatch.setenv("ZHENGCE_EMBED_CACHE", str(embed_cache_path))
    monkeypatch.delenv("ZHENGCE_QUERY_ADAPTER", raising=False)
    folder = write_beir(tmp_path / "tinygov", TINY_CORPUS, TINY_QUERIES, TINY_QRELS)
    assert cli(["eval", "--dataset", str(folder), "--cache", str(tmp_path / "cache"), "--runs-dir",
                str(tmp_path / "runs"), "--json", str(tmp_path / "base.json")]) == 0
    base = json.loads((tmp_path / "base.json").read_text(encoding="utf-8"))
    assert sentences([str(tmp_path / "base.json"), "--json", str(tmp_path / "cv.json")]) == 0
    report = json.loads((tmp_path / "cv.json").read_text(encoding="utf-8"))
    assert len(report["chosen"]) == 5 and all(tuple(w) in GRID for w in report["chosen"])
    ndcg = report["sets"]["tinygov"]["nDCG@10"]
    assert ndcg["hybrid"] == round(base["retrievers"]["hybrid-linear-0.7"]["metrics"]["nDCG@10"], 4)
    assert 0.0 <= ndcg["sentences"] <= 1.0 and 0.0 <= ndcg["p"] <= 1.0

    from eval.learn.dumps import dump, load
    from eval.sentences import load_set
    from indexer.gongwen.sentences import matched_sentences
    from indexer.index.local import LocalIndex
    from indexer.retrieval.rerank import SENTENCES

    # eval.learn's candidate dumps carry each chunk's best sentence read from the index, as the
    # Searcher's learned ranker reads it: checked against the sentences embedded here
    (dumped,) = load([dump(tmp_path / "base.json", tmp_path / "learn")])
    index = LocalIndex.load(base["index"]["dir"])
    best = dumped["columns"].index(SENTENCES[0])
    questions = {q["_id"]: q["text"] for q in TINY_QUERIES}
    for query in dumped["queries"]:
        vector = e5.encode_queries([questions[query.query_id]])[0]
        expected = []  # each candidate document's chunks: the best sentence, or the chunk's own cosine
        for row, chunk in enumerate(index.chunks):
            if chunk.doc_id in query.units:
                texts = matched_sentences(chunk.text)
                vectors = e5.encode_passages(texts) if texts else index.vectors(range(row, row + 1))
                expected.append(float((vectors @ vector).max()))
        assert all(np.isclose(expected, value, atol=1e-5).any() for value in query.x[:, best])
        wide = query.x[:, dumped["columns"].index(SENTENCES[1])]
        assert wide.min() >= 0.0 and wide.max() <= 1.0

    seeds = tmp_path / "seeds.json"  # a passage-judged set has no corpus ids to rank by
    seeds.write_text(json.dumps({**base, "dataset_path": str(REPO / "eval" / "data" / "seeds")}), encoding="utf-8")
    with pytest.raises(SystemExit, match="BEIR"):
        load_set(seeds)
