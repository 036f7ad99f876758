"""What one bench run measures: its sizes, the targets it checks, and its sections.

A section is a module ``eval/bench/<name>.py`` that defines ``SECTION``; adding one means
writing that module and adding its name to ``SECTIONS``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eval.bench.corpus import Corpus
    from eval.bench.timing import Progress

# run in this order; "indexing" first, because it builds the indexes the others search
SECTIONS = ("indexing", "queries", "ranker", "milvus", "memory", "http", "ocr")
TOP_K = 10
DEPTH = 100  # candidates the Searcher asks FAISS for: max(MIN_DEPTH, DEPTH_FACTOR * top_k)
RECALL_TARGET = 0.95
TARGETS = {
    "hybrid_p50_ms_100k": 30.0,
    "hybrid_p99_ms_100k": 100.0,
    "p50_ms_1m": 50.0,
    "recall_at_10_1m": RECALL_TARGET,
    "share_outside_embedding": 0.10,
    "unchanged_rerun_share": 0.05,
    "http_scaling_8_vs_1": 1.7,
    "ranker_over_linear": 1.5,  # the learned default's p50 over linear 0.7's, same chunks and vectors
}


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
    http_workers: tuple[int, ...]  # server processes, in turn; the first is the default configuration
    http_requests: int
    http_seconds: float
    name: str = "full"
    seed: int = 7


FULL = Plan(
    corpus_docs=None, sample_docs=150, sample_max_chars=2000, sizes=(10_000, 100_000, 1_000_000),
    hnsw_max_size=100_000, queries=300, latency_seconds=4.0, ef_search=(128, 256, 512),
    nprobe=(16, 32, 64, 128, 256, 384, 512), http_clients=(1, 8, 32), http_workers=(1, 2), http_requests=300,
    http_seconds=15.0,
)
QUICK = Plan(
    corpus_docs=60, sample_docs=3, sample_max_chars=800, sizes=(1_000, 5_000, 20_000), hnsw_max_size=5_000,
    queries=20, latency_seconds=0.5, ef_search=(128, 256), nprobe=(8, 32), http_clients=(1, 4), http_workers=(1,),
    http_requests=8, http_seconds=3.0, name="quick",
)


@dataclass(frozen=True)
class Section:
    """One part of the report: ``measure`` returns its JSON part, ``table`` prints it."""

    measure: Callable[[Plan, Corpus, Progress], dict[str, Any]]
    table: Callable[[dict[str, Any]], list[str]]


def section(name: str) -> Section:
    """The section defined by ``eval/bench/<name>.py`` (imported on first use)."""
    module = importlib.import_module(f"eval.bench.{name}")
    found: Section = module.SECTION
    return found
