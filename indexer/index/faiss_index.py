"""The FAISS side of the local index: which factory, which search parameters, one thread per query.

The "auto" factory (exact search up to FLAT_MAX_CHUNKS, IVF above) and the default search
parameters are the settings `zhengce bench` found to meet the latency and recall targets at each
size (eval/bench-report.json; docs/performance.md); HNSW would rebuild for minutes on each update.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

DEFAULT_SEARCH_PARAMS = {"HNSW": {"efSearch": 512}, "IVF": {"nprobe": 384}}
AUTO_FACTORY = "auto"
FLAT_MAX_CHUNKS = 100_000


def nlist_for(n: int) -> int:
    """IVF lists for ``n`` vectors: about 4*sqrt(n), at least 39 training points per list, at most 1024
    (k-means over more lists would make every update's rebuild take minutes on two cores)."""
    target = min(4 * math.sqrt(n), n / 39, 1024)
    return max(1, 2 ** int(math.floor(math.log2(max(1.0, target)))))


def resolve_factory(factory: str, n: int) -> str:
    """The factory string FAISS gets for ``n`` vectors: "auto" is exact until it gets slow."""
    if factory != AUTO_FACTORY:
        return factory
    return "Flat" if n <= FLAT_MAX_CHUNKS else f"IVF{nlist_for(n)},Flat"


def build_faiss(vectors: np.ndarray, factory: str) -> tuple[Any, str]:
    """FAISS index over ``vectors``; IVF lists shrink to what a small corpus can train."""
    import faiss

    effective = resolve_factory(factory, len(vectors))
    ivf = re.search(r"IVF(\d+)", effective)
    if ivf:
        nlist = int(ivf.group(1))
        if len(vectors) == 0:
            effective = "Flat"
        elif len(vectors) < 39 * nlist:  # FAISS wants ~39 training points per list
            effective = effective.replace(ivf.group(0), f"IVF{max(1, len(vectors) // 39)}", 1)
    dense = faiss.index_factory(vectors.shape[1], effective, faiss.METRIC_INNER_PRODUCT)
    if not dense.is_trained:
        dense.train(vectors)
    dense.add(vectors)
    return dense, effective


def search_params(effective_factory: str, requested: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for family, defaults in DEFAULT_SEARCH_PARAMS.items():
        if family in effective_factory:
            params.update(defaults)
    if "IVF" in effective_factory:
        nlist = int(re.findall(r"IVF(\d+)", effective_factory)[0])
        params["nprobe"] = min(params["nprobe"], nlist)
    params.update(requested)
    return params


def apply_search_params(dense: Any, params: dict[str, Any]) -> None:
    import faiss

    space = faiss.ParameterSpace()
    for name, value in params.items():
        space.set_index_parameter(dense, name, value)


def search_with_selection(dense: Any, query_vector: np.ndarray, depth: int, rows: np.ndarray | None) -> np.ndarray:
    """Top ``depth`` ids of one query, restricted to ``rows`` when given (IVF wants its own parameter type)."""
    import faiss

    params = None
    if rows is not None:
        selector = faiss.IDSelectorBatch(rows.astype(np.int64))
        ivf = faiss.try_extract_index_ivf(dense)
        params = (faiss.SearchParametersIVF(sel=selector, nprobe=ivf.nprobe) if ivf is not None  # type: ignore[call-arg]
                  else faiss.SearchParameters(sel=selector))  # type: ignore[call-arg]  # SWIG takes keywords its stubs omit
    with faiss_single_thread():
        _, ids = dense.search(query_vector.reshape(1, -1).astype(np.float32), depth, params=params)
    return ids[0][ids[0] >= 0]


@contextmanager
def faiss_single_thread() -> Iterator[None]:
    """One query, one OpenMP thread: FAISS's threads cost more than they save on a single query
    (`zhengce bench` measures both: ``one_thread`` beside the exact rows of eval/bench-report.json);
    a server gets its parallelism from concurrent requests. The setting is per calling thread."""
    import faiss

    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(threads)
