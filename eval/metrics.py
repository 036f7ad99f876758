"""Retrieval metrics from trec_eval (via pytrec_eval), and TREC run files.

A run is ``{query_id: {doc_id: score}}``, qrels ``{query_id: {doc_id: grade}}``. Every judged
query counts: one the run has no result for scores 0 (trec_eval would silently skip it).
"""

from __future__ import annotations

from pathlib import Path
from statistics import fmean

import pytrec_eval

from indexer.errors import BadInput

Run = dict[str, dict[str, float]]
Qrels = dict[str, dict[str, int]]


def evaluate(
    run: Run,
    qrels: Qrels,
    *,
    ndcg_at: int = 10,
    mrr_at: int = 10,
    recall_at: tuple[int, ...] = (1, 5, 10, 100),
) -> dict[str, float]:
    """Mean nDCG@k, MRR@k and Recall@k over every query in ``qrels``."""
    scores = per_query(run, qrels, ndcg_at=ndcg_at, mrr_at=mrr_at, recall_at=recall_at)
    return mean_over_queries(scores, metric_names(ndcg_at=ndcg_at, mrr_at=mrr_at, recall_at=recall_at))


def mean_over_queries(scores: dict[str, dict[str, float]], names: list[str]) -> dict[str, float]:
    """The mean of each metric over ``per_query``'s scores (0 when no query is judged)."""
    return {name: fmean(q[name] for q in scores.values()) if scores else 0.0 for name in names}


def per_query(
    run: Run,
    qrels: Qrels,
    *,
    ndcg_at: int = 10,
    mrr_at: int = 10,
    recall_at: tuple[int, ...] = (1, 5, 10, 100),
) -> dict[str, dict[str, float]]:
    """The same metrics for each judged query, for error analysis and significance tests."""
    judged = {q: docs for q, docs in qrels.items() if any(grade > 0 for grade in docs.values())}
    measures = {f"ndcg_cut.{ndcg_at}", "recall." + ",".join(map(str, recall_at))}
    full = pytrec_eval.RelevanceEvaluator(judged, measures).evaluate(run)
    # trec_eval's recip_rank looks at the whole ranking; MRR@k must ignore hits below rank k.
    cut = pytrec_eval.RelevanceEvaluator(judged, {"recip_rank"}).evaluate(
        {q: top_ranked(docs, mrr_at) for q, docs in run.items()}
    )
    names = metric_names(ndcg_at=ndcg_at, mrr_at=mrr_at, recall_at=recall_at)
    results = {}
    for query_id in judged:
        measured = full.get(query_id, {})
        values = [measured.get(f"ndcg_cut_{ndcg_at}", 0.0), cut.get(query_id, {}).get("recip_rank", 0.0)]
        values += [measured.get(f"recall_{k}", 0.0) for k in recall_at]
        results[query_id] = dict(zip(names, values))
    return results


def metric_names(*, ndcg_at: int = 10, mrr_at: int = 10, recall_at: tuple[int, ...] = (1, 5, 10, 100)) -> list[str]:
    return [f"nDCG@{ndcg_at}", f"MRR@{mrr_at}"] + [f"R@{k}" for k in recall_at]


def ranked(docs: dict[str, float]) -> list[tuple[str, float]]:
    """Documents in trec_eval's order: score descending, ties by doc id descending."""
    return sorted(docs.items(), key=lambda item: (item[1], item[0]), reverse=True)


def top_ranked(docs: dict[str, float], k: int) -> dict[str, float]:
    return dict(ranked(docs)[:k])


def write_trec_run(run: Run, path: Path, tag: str) -> None:
    """``qid Q0 docid rank score tag`` lines, ranked as trec_eval will rank them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for query_id in sorted(run):
            for rank, (doc_id, score) in enumerate(ranked(run[query_id]), start=1):
                out.write(f"{query_id} Q0 {_trec_token(doc_id)} {rank} {score:.6f} {tag}\n")


def read_trec_run(path: Path) -> Run:
    run: Run = {}
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 6:
            raise BadInput(f"{path}:{line_no}: expected 'qid Q0 docid rank score tag'")
        run.setdefault(fields[0], {})[fields[2]] = float(fields[4])
    return run


def _trec_token(doc_id: str) -> str:
    """Run files are whitespace-separated, and a file name may contain spaces."""
    return "_".join(doc_id.split())
