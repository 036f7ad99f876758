"""Sentence-level dense scores as a third fusion score, measured on the dev splits (eval/results.md, section 22).

    zhengce eval --dataset ../shared/eval/msgabench_govqa --json var/eval-msgabench.json   # each set, once
    zhengce eval --dataset ../shared/eval/ncppolicies --json var/eval-ncppolicies.json
    python -m eval.sentences var/eval-msgabench.json var/eval-ncppolicies.json [--json CV.json]

A chunk embedding averages 400 characters, so a passage holding one sentence that answers the question
scores like a passage that only shares its topic. An index with sentence vectors (the default) stores every
sentence of every chunk embedded on its own (``indexer.index.sentences``); a chunk's sentence score is
the best cosine of its sentences with the query, and hybrid fusion becomes ``wd x dense + wb x BM25 +
ws x sentence`` (each min-max scaled over the union of both retrievers' top 1,500, as the Searcher
scales today's two). The weights are chosen on a grid by 5-fold cross-validation by query over all sets
together (the mean of the sets' training nDCG@10); each held-out query is compared with today's hybrid
as ``zhengce eval`` measured it, by the paired randomisation test. The index is read, never changed.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.metrics import Qrels, per_query
from eval.significance import compare
from indexer.retrieval.fusion import min_max

FOLDS = 5
DEPTH = 300  # chunks ranked per query, as the harness asks
Weights = tuple[float, float, float]  # dense, BM25, sentence
GRID: tuple[Weights, ...] = tuple(
    (round(1 - lexical - sentence, 2), lexical, sentence)
    for lexical in (0.15, 0.2, 0.25, 0.3, 0.35, 0.4) for sentence in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
)


@dataclass
class QueryScores:
    """One query's fusion candidates (rows, sorted) with their three raw scores."""

    query_id: str
    rows: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray
    sentence: np.ndarray


@dataclass
class SetScores:
    dataset: str
    qrels: Qrels
    units: list[str]  # the corpus id of each chunk row
    queries: list[QueryScores]
    hybrid_per_query: dict[str, dict[str, float]]  # today's hybrid as zhengce eval measured it


def load_set(results_path: Path) -> SetScores:
    """The candidates and scores of every query of a ``zhengce eval --json`` run, from that run's index."""
    from eval.datasets import load_dataset
    from eval.harness import baseline_per_query, hybrid_candidates, judged_units, resolve_level
    from indexer.index.sentences import best_sentence_scores, require_sentences
    from indexer.index.settings import IndexSettings
    from indexer.index.stores import open_store

    results = json.loads(results_path.read_text(encoding="utf-8"))
    dataset = load_dataset(Path(results["dataset_path"]), results["split"])
    if dataset.is_passage_set:
        raise SystemExit("eval.sentences reads BEIR sets (corpus ids as units)")
    index = open_store("local", index_dir=results["index"]["dir"]).open()
    require_sentences(index.manifest, results["index"]["dir"])
    embedder = index.manifest.load_embedder(cache=IndexSettings().embed_cache, query_adapter=False)
    query_ids = sorted(dataset.queries)
    texts = [dataset.queries[q] for q in query_ids]
    vectors = embedder.encode_queries(texts)
    queries = []
    for query_id, vector, (_, candidates) in zip(query_ids, vectors, hybrid_candidates(index, texts, vectors, DEPTH)):
        sentence = best_sentence_scores(index, vector, candidates.union, candidates.dense)
        queries.append(QueryScores(query_id, candidates.union, candidates.dense, candidates.lexical, sentence))
    return SetScores(dataset.name, judged_units(dataset, resolve_level(dataset, results["level"])),
                     [chunk.doc_id for chunk in index.chunks], queries, baseline_per_query(results))


def blend(query: QueryScores, weights: Weights) -> np.ndarray:
    dense, lexical, sentence = weights
    scores = dense * min_max(query.dense) + lexical * min_max(query.lexical)
    return scores + sentence * min_max(query.sentence) if sentence else scores


def evaluate(data: SetScores, weights: Weights) -> dict[str, dict[str, float]]:
    """Per-query metrics of one blend, each unit scored by its best chunk among the top ``DEPTH``."""
    run: dict[str, dict[str, float]] = {}
    for query in data.queries:
        scores = blend(query, weights)
        order = np.lexsort((query.rows, -scores))[:DEPTH]
        best: dict[str, float] = {}
        for row, score in zip(query.rows[order].tolist(), scores[order].tolist()):
            best.setdefault(data.units[row], score)
        run[query.query_id] = best
    return per_query(run, data.qrels)


def cross_validate(sets: list[SetScores], grid: tuple[Weights, ...] = GRID, *, folds: int = FOLDS,
                   seed: int = 0) -> tuple[dict[str, dict[str, dict[str, float]]], list[Weights]]:
    """Held-out per-query metrics of each set, and the weights each fold chose on the other folds."""
    measured = {g: {data.dataset: evaluate(data, g) for data in sets} for g in grid}
    rng = np.random.default_rng(seed)
    fold_of = {data.dataset: dict(zip(sorted(data.hybrid_per_query), rng.permutation(len(data.hybrid_per_query)) % folds))
               for data in sets}
    held_out: dict[str, dict[str, dict[str, float]]] = {data.dataset: {} for data in sets}
    chosen = []
    for k in range(folds):
        best = max(grid, key=lambda g: training_score(measured[g], fold_of, k))
        chosen.append(best)
        for data in sets:
            held_out[data.dataset].update((q, m) for q, m in measured[best][data.dataset].items()
                                          if fold_of[data.dataset][q] == k)
    return held_out, chosen


def training_score(measured: dict[str, dict[str, dict[str, float]]], fold_of: dict[str, dict[str, int]],
                   held_out_fold: int) -> float:
    """The mean over sets of one blend's nDCG@10 on the queries outside ``held_out_fold``."""
    return float(np.mean([np.mean([m["nDCG@10"] for q, m in per_set.items() if fold_of[dataset][q] != held_out_fold])
                          for dataset, per_set in measured.items()]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="+", type=Path, help="zhengce eval --json files (their indexes are read)")
    parser.add_argument("--seed", type=int, default=0, help="deal of the folds")
    parser.add_argument("--json", type=Path, help="write the held-out figures and the chosen weights here")
    args = parser.parse_args(argv)
    sets = [load_set(path) for path in args.results]
    held_out, chosen = cross_validate(sets, seed=args.seed)
    print("weights chosen per fold (dense, BM25, sentence):", chosen)
    report: dict[str, Any] = {"chosen": chosen, "seed": args.seed, "sets": {}}
    for data in sets:
        entry = {}
        for metric in ("nDCG@10", "R@10"):
            result = compare(data.hybrid_per_query, held_out[data.dataset], metric=metric,
                             names=(f"{data.dataset}:hybrid", f"{data.dataset}:hybrid+sentences"), seed=args.seed)
            print(result.summary())
            entry[metric] = {"hybrid": round(result.mean_a, 4), "sentences": round(result.mean_b, 4),
                             "difference": round(result.difference, 4), "p": round(result.p_value, 4)}
        report["sets"][data.dataset] = entry
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
