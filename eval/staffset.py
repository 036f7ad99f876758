"""The office's own judged set (staff marks from the web page) measured on the index being served.

`zhengce judgments export` + `zhengce eval` index the exported corpus afresh, which for an office's
whole archive means embedding it again; the 评测 page instead scores the marks against the live
index and its query models, with the same retrievers, metrics and result format as
``eval.harness.run_eval`` (the page shows either). A document is relevant to a query when any of
its passages' latest marks says 相关 (``eval.judgments.document_grades``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

from eval.harness import DEFAULT_DEPTH, DEFAULT_RETRIEVERS, latency_summary, retrieve
from eval.judgments import StaffJudgment, document_grades, query_id
from eval.metrics import mean_over_queries, metric_names, per_query
from eval.provenance import versions
from eval.retrievers import parse_retrievers
from indexer.errors import BadInput

DATASET = "staff-judgments"


def judged_queries(marks: list[StaffJudgment], documents: Any) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """(query id -> text, qrels) of the queries with at least one 相关 document still indexed."""
    grades = document_grades(marks)
    queries, qrels = {}, {}
    for text, judged in grades.items():
        kept = {doc_id: grade for doc_id, grade in judged.items() if doc_id in documents}
        if any(kept.values()):
            queries[query_id(text)] = text
            qrels[query_id(text)] = kept
    return queries, qrels


def evaluate_marks(marks: list[StaffJudgment], index: Any, embedder: Any, retrievers: str = DEFAULT_RETRIEVERS,
                   depth: int = DEFAULT_DEPTH, done: Callable[[int, int], None] | None = None,
                   fusion: str = "auto") -> dict[str, Any]:
    """Each retriever's metrics on the judged queries (``hybrid``: ranked by ``fusion``, as the server
    ranks); ``done(searched, total)`` after each search."""
    from indexer.retrieval.search import Searcher

    queries, qrels = judged_queries(marks, index.documents)
    if not queries:
        raise BadInput(f"no query has a document marked 相关 among {len(marks)} judgments")
    specs = parse_retrievers(retrievers)
    dataset: Any = SimpleNamespace(queries=queries, judgments=[], is_passage_set=False)  # what retrieve reads of a Dataset
    total, searched = len(queries) * len(specs), 0
    results: dict[str, Any] = {
        "dataset": DATASET, "dataset_path": None, "split": "dev", "level": "document",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "queries": {"available": len(queries), "evaluated": len(queries), "sample_seed": None, "ids": list(queries)},
        "index": {"dir": "live", "manifest": {k: v for k, v in index.manifest.to_dict().items() if k != "sources"}},
        "depth_chunks": depth, "retrievers": {}, "versions": versions(),
    }
    for spec in specs:
        searcher = Searcher(index, embedder, **(spec.fusion or {"fusion": fusion}))

        def one_more() -> None:
            nonlocal searched
            searched += 1
            if done is not None:
                done(searched, total)

        run, latencies = retrieve(searcher, dataset, spec, "document", depth, done=one_more)
        scores = per_query(run, qrels)
        results["retrievers"][spec.name] = {
            "mode": spec.mode,
            "fusion": {"fusion": searcher.fusion, "dense_weight": searcher.dense_weight, "rrf_k": searcher.rrf_k}
            if spec.mode == "hybrid" else None,
            "metrics": mean_over_queries(scores, metric_names()),
            "latency_ms": latency_summary(latencies),
            "per_query": scores,
        }
    return results
