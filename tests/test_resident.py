"""The vectors every search gathers are held in memory within a budget (indexer/index/resident.py,
issue 35: cold searches read the scattered sentence codes from disk), and searches rank the same either way."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.index.resident import Budget, flat_vectors

NOTICES = {
    "flood": ("防汛值班通知", "各单位汛期实行24小时值班。值班人员须坚守岗位，遇有险情立即报告。"),
    "care": ("托育服务方案", "普陀区宝宝屋覆盖10个街道镇16个社区。每月开展亲子活动不少于两次。"),
    "tax": ("减税政策说明", "对小型微利企业减按百分之二十五计入应纳税所得额。按百分之二十的税率缴纳企业所得税。"),
}


@pytest.fixture
def index_dir(tmp_path, stand_in):
    from indexer.gongwen.documents import document_from_text
    from indexer.index.settings import IndexSettings
    from indexer.update.folder import add_documents

    folder = tmp_path / "index"
    docs = [document_from_text(text, f"{key}.txt", title=title, doc_id=key) for key, (title, text) in NOTICES.items()]
    add_documents(folder, docs, IndexSettings(model=stand_in.model_id, sentences=True), embedder=stand_in, progress=False)
    return folder


def test_a_budget_reads_files_into_memory_until_it_is_spent(tmp_path):
    small, large = tmp_path / "small.npy", tmp_path / "large.npy"
    np.save(small, np.arange(100, dtype=np.int16))
    np.save(large, np.arange(1000, dtype=np.int16))
    budget = Budget(small.stat().st_size + 100)
    held, mapped = budget.load(small), budget.load(large)
    assert not isinstance(held, np.memmap) and isinstance(mapped, np.memmap)
    assert np.array_equal(held, np.arange(100)) and np.array_equal(mapped, np.arange(1000))
    assert budget.left == 100
    assert isinstance(Budget.of(0).load(small), np.memmap)
    assert Budget.of(None).left > 0 and Budget.of(3).left == 3 * 2**20


def test_an_exact_index_serves_its_own_vectors_without_a_copy():
    import faiss

    vectors = np.random.default_rng(3).standard_normal((50, 8)).astype(np.float32)
    dense = faiss.index_factory(8, "Flat", faiss.METRIC_INNER_PRODUCT)
    dense.add(vectors)
    view = flat_vectors(dense)
    assert view is not None and np.array_equal(view, vectors)
    assert flat_vectors(faiss.index_factory(8, "IVF2,Flat", faiss.METRIC_INNER_PRODUCT)) is None


def test_a_slice_of_an_exact_indexs_vectors_outlives_the_index_it_came_from():
    """A generation's chunk vectors taken by a caller (``index.vectors``: the adapter's training, an
    update) outlived the generation, and FAISS had freed their memory: the adapter learned from NaN
    (CI, test_adapter). Every slice keeps the index alive, and none can write into it."""
    import gc

    import faiss

    vectors = np.random.default_rng(5).standard_normal((3000, 384)).astype(np.float32)
    dense = faiss.index_factory(384, "Flat", faiss.METRIC_INNER_PRODUCT)
    dense.add(vectors)
    rows = flat_vectors(dense)[:100]
    del dense
    gc.collect()
    reused = [np.full((3000, 384), np.nan, np.float32) for _ in range(5)]  # what the freed memory would hold
    assert np.array_equal(rows, vectors[:100]) and len(reused) == 5
    with pytest.raises(ValueError, match="read-only"):
        rows[0, 0] = 1.0


def test_searches_rank_the_same_with_vectors_held_or_memory_mapped(index_dir, stand_in, monkeypatch):
    from indexer.index.local import LocalIndex
    from indexer.index.sentence_codes import SentenceCodes
    from indexer.index.stores import open_store
    from indexer.retrieval.search import Searcher

    held = LocalIndex.load(index_dir)
    mapped = LocalIndex.load(index_dir, resident_mib=0)
    assert isinstance(held.sentences.matrix, SentenceCodes) and isinstance(mapped.sentences.matrix, SentenceCodes)
    assert not isinstance(held.sentences.matrix.codes, np.memmap)
    assert isinstance(mapped.sentences.matrix.codes, np.memmap)
    assert not isinstance(held.dense.embeddings, np.memmap)  # the exact FAISS index's own array
    np.testing.assert_array_equal(held.dense.embeddings, np.load(index_dir / held.generation / "embeddings.npy"))
    for query in ("宝宝屋覆盖多少个街道", "汛期值班", "小型微利企业所得税"):
        for fusion in ("learned", "linear"):
            a = Searcher(held, stand_in, fusion=fusion).search(query, top_k=3)
            b = Searcher(mapped, stand_in, fusion=fusion).search(query, top_k=3)
            assert [(h.chunk.chunk_id, h.score) for h in a] == [(h.chunk.chunk_id, h.score) for h in b]

    monkeypatch.setenv("ZHENGCE_RESIDENT_MIB", "0")
    served = open_store("local", index_dir=index_dir).open()
    assert isinstance(served.sentences.matrix.codes, np.memmap)
    monkeypatch.setenv("ZHENGCE_RESIDENT_MIB", "-1")
    from indexer.errors import BadInput

    with pytest.raises(BadInput, match="ZHENGCE_RESIDENT_MIB"):
        open_store("local", index_dir=index_dir)


def test_a_generation_whose_vector_file_disagrees_is_refused_though_an_exact_index_serves_its_own(index_dir):
    """The chunk vectors of an exact index come from FAISS, but the generation's file is what the next
    update reads: one missing rows is a damaged generation, said at load, not at the next update."""
    from indexer.errors import ZhengceError
    from indexer.index.local import LocalIndex, current_generation

    path = index_dir / current_generation(index_dir) / "embeddings.npy"
    np.save(path, np.load(path)[:-1])
    with pytest.raises(ZhengceError, match="inconsistent"):
        LocalIndex.load(index_dir)
