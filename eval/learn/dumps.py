"""Candidate dumps: each dev query's candidate pool with its features and labels, saved once from the
index behind a ``zhengce eval --json`` run, so training and every variant cost seconds to minutes.

The queries are searched exactly as ``zhengce eval`` searches them (same index, same 300-chunk depth);
the index must keep sentence vectors, for the best-sentence features, as ``zhengce eval`` builds it by
default. A dump is plain data (dicts and arrays): a class pickled under ``__main__`` would not load
elsewhere.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from indexer.embed import Embedder
from indexer.retrieval.rerank import FEATURES, features

DUMP_DIR = Path("var/eval/learn")


@dataclass
class QueryCandidates:
    query_id: str
    units: list[str]  # the corpus id each pool row belongs to
    x: np.ndarray  # (pool, len(FEATURES))
    labels: np.ndarray  # 1 where the unit is judged relevant
    tail: list[str]  # units of the rest of today's ranking, in order, after the pool
    rows: list[int] = field(default_factory=list)  # the index row of each pool candidate (eval.confidence_dumps)


def dump(results_path: Path, out_dir: Path = DUMP_DIR, depth: int = 300, embedder: Embedder | None = None,
         folds: dict[str, int] | None = None) -> Path:
    """Every query's candidate pool and features, from the index a ``zhengce eval --json`` run used
    (so the features belong to the very index behind that run's figures), into one pickle. The query
    vectors come from ``embedder`` when given, and ``folds`` (query id -> fold) then fix the folds of
    cross-validation, both from eval.adapt's held-out adapters."""
    from eval.datasets import load_dataset
    from eval.harness import baseline_per_query, hybrid_candidates, judged_units, resolve_level
    from indexer.index.local import LocalIndex
    from indexer.index.sentences import require_sentences
    from indexer.index.settings import IndexSettings
    from indexer.retrieval.fusion import linear

    results = json.loads(Path(results_path).read_text(encoding="utf-8"))
    dataset = load_dataset(Path(results["dataset_path"]), results["split"])
    split = results["split"]
    if dataset.is_passage_set:
        raise SystemExit("learned ranking is trained on BEIR sets (corpus ids as units)")
    index = LocalIndex.load(results["index"]["dir"])
    require_sentences(index.manifest, results["index"]["dir"])  # zhengce eval builds them (unless --no-sentences)
    qrels = judged_units(dataset, resolve_level(dataset, "auto"))
    if embedder is None:
        embedder = index.manifest.load_embedder(cache=IndexSettings().embed_cache)
    query_ids = sorted(dataset.queries)
    texts = [dataset.queries[q] for q in query_ids]
    vectors = embedder.encode_queries(texts)
    queries = []
    for query_id, text, vector, (lexical, candidates) in zip(query_ids, texts, vectors,
                                                            hybrid_candidates(index, texts, vectors, depth)):
        union = candidates.union
        order = np.lexsort((union, -linear(candidates.dense, candidates.lexical, 0.7)))
        pool, x = features(index, text, vector, lexical, candidates)
        in_pool = set(pool.tolist())
        rest = [int(r) for r in union[order] if int(r) not in in_pool][: max(0, depth - len(pool))]
        units = [index.chunks[r].doc_id for r in pool.tolist()]
        labels = np.array([1 if qrels[query_id].get(u, 0) > 0 else 0 for u in units])
        queries.append(QueryCandidates(query_id, units, x, labels, [index.chunks[r].doc_id for r in rest],
                                       pool.tolist()))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{dataset.name}-{split}.pkl"
    with path.open("wb") as out:
        # today's hybrid as the harness measured it (top 300: min-max over both retrievers' top 1,500)
        harness = baseline_per_query(results)
        pickle.dump({"dataset": dataset.name, "split": split, "qrels": qrels, "columns": list(FEATURES),
                     "queries": [vars(q) for q in queries], "hybrid_per_query": harness, "folds": folds}, out)
    return path


def load(paths: list[Path]) -> list[dict[str, Any]]:
    """The dumps at ``paths``, their queries as ``QueryCandidates``; a dump of other features is refused."""
    sets = []
    for path in paths:
        with Path(path).open("rb") as handle:
            data = pickle.load(handle)
        if data.get("columns") != list(FEATURES):
            raise SystemExit(f"{path} holds other features; dump it again with python -m eval.learn dump")
        data["queries"] = [QueryCandidates(**q) for q in data["queries"]]
        sets.append(data)
    return sets
