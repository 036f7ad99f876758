"""Train and cross-validate the learned ranker (indexer.retrieval.rerank) on the dev splits.

    zhengce eval --dataset ../shared/eval/ncppolicies --json var/eval/ncp-base.json   # each set, once
    python -m eval.learn dump var/eval/ncp-base.json      # candidates + features of that run's index
    python -m eval.learn dump var/eval/msga-base.json
    python -m eval.learn train var/eval/learn/*.pkl [--write]            # 5-fold CV, then the model

``dump`` searches each dev query once, exactly as ``zhengce eval`` does (same index, same 300-chunk
depth), and saves each query's candidate pool with its features and labels plus the rest of the
ranking, so training and every variant below cost seconds. ``train`` splits the queries of all
sets into folds by query (a query is never in both training and evaluation), trains on the other
folds of both sets together and scores each held-out query as the Searcher would rank it; the
per-query nDCG@10 of those held-out rankings is compared with today's fusion by a paired test.
``--write`` then trains on every query and writes the model with its training record.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.metrics import Qrels, per_query
from eval.significance import compare
from indexer.retrieval.rerank import FEATURES, MODEL_FILE, LinearRanker, features, pool_rows

DUMP_DIR = Path("var/eval/learn")
FOLDS = 5
NEGATIVES_PER_POSITIVE = 40  # the highest-ranked non-relevant candidates paired with each relevant one
REGULARISATION = 1.0  # sklearn's C on standardised features


@dataclass
class QueryCandidates:
    query_id: str
    units: list[str]  # the corpus id each pool row belongs to
    x: np.ndarray  # (pool, features)
    labels: np.ndarray  # 1 where the unit is judged relevant
    tail: list[str]  # units of the rest of the linear ranking, in order, after the pool


def dump(results_path: Path, out_dir: Path = DUMP_DIR, depth: int = 300) -> Path:
    """Every query's candidate pool and features, from the index a ``zhengce eval --json`` run used
    (so the features belong to the very index behind that run's figures), into one pickle."""
    from eval.datasets import load_dataset
    from eval.harness import judged_units, resolve_level
    from indexer.index.lexical import tokenize
    from indexer.index.local import LocalIndex
    from indexer.index.settings import IndexSettings
    from indexer.retrieval.fusion import linear
    from indexer.retrieval.search import DEPTH_FACTOR, FUSION_DEPTH, MIN_DEPTH

    results = json.loads(Path(results_path).read_text(encoding="utf-8"))
    dataset = load_dataset(Path(results["dataset_path"]), results["split"])
    split = results["split"]
    if dataset.is_passage_set:
        raise SystemExit("learned ranking is trained on BEIR sets (corpus ids as units)")
    index = LocalIndex.load(results["index"]["dir"])
    settings = IndexSettings()
    qrels = judged_units(dataset, resolve_level(dataset, "auto"))
    embedder = index.manifest.load_embedder(cache=settings.embed_cache)
    query_ids = sorted(dataset.queries)
    vectors = embedder.encode_queries([dataset.queries[q] for q in query_ids])
    retrieved = min(len(index.chunks), max(MIN_DEPTH, DEPTH_FACTOR * depth, FUSION_DEPTH))  # what hybrid search reads
    queries = []
    for query_id, vector in zip(query_ids, vectors):
        text = dataset.queries[query_id]
        lexical = index.lexical(tokenize(text))
        dense_rows = index.dense_top_k(vector, retrieved)
        lexical_rows = lexical.top_k(retrieved)
        pool = pool_rows(dense_rows, lexical_rows)
        union = np.unique(np.concatenate([dense_rows, lexical_rows])).astype(np.int64)
        fused = linear(index.dense_scores(vector, union), lexical.scores(union), 0.7)
        in_pool = set(pool.tolist())
        rest = [int(r) for r in union[np.lexsort((union, -fused))] if int(r) not in in_pool][: max(0, depth - len(pool))]
        units = [index.chunks[r].doc_id for r in pool.tolist()]
        labels = np.array([1 if qrels[query_id].get(u, 0) > 0 else 0 for u in units])
        queries.append(QueryCandidates(query_id, units, features(index, text, vector, lexical, pool), labels,
                                       [index.chunks[r].doc_id for r in rest]))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{dataset.name}-{split}.pkl"
    with path.open("wb") as out:
        # today's hybrid as the harness measured it (top 300: min-max over both retrievers' top 1,500)
        harness = results["retrievers"].get("hybrid", {}).get("per_query")
        pickle.dump({"dataset": dataset.name, "split": split, "qrels": qrels, "queries": [vars(q) for q in queries],
                     "hybrid_per_query": harness}, out)
    return path


def ranking_run(queries: list[QueryCandidates], scores: list[np.ndarray]) -> dict[str, dict[str, float]]:
    """Runs as the Searcher ranks: pool units by their best candidate's score, then the tail."""
    run = {}
    for query, score in zip(queries, scores):
        best: dict[str, float] = {}
        for unit, value in zip(query.units, score.tolist()):
            best[unit] = max(best.get(unit, -np.inf), value)
        order = sorted(best, key=lambda u: -best[u]) + [u for u in dict.fromkeys(query.tail) if u not in best]
        run[query.query_id] = {unit: float(len(order) - i) for i, unit in enumerate(order)}
    return run


def fit(queries: list[QueryCandidates], columns: list[int], c: float = REGULARISATION) -> LinearRanker:
    """Pairwise logistic regression: relevant minus non-relevant candidate of the same query, each
    query weighing the same however many pairs it has."""
    from sklearn.linear_model import LogisticRegression

    all_x = np.vstack([q.x[:, columns] for q in queries])
    mean, scale = all_x.mean(axis=0), all_x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    diffs, weights = [], []
    for query in queries:
        x = (query.x[:, columns] - mean) / scale
        positive, negative = np.flatnonzero(query.labels == 1), np.flatnonzero(query.labels == 0)
        if not len(positive) or not len(negative):
            continue
        hardest = negative[np.argsort(-query.x[negative, FEATURES.index("linear_0.7")])[:NEGATIVES_PER_POSITIVE]]
        pairs = x[positive][:, None, :] - x[hardest][None, :, :]
        pairs = pairs.reshape(-1, len(columns))
        diffs.append(pairs)
        weights.append(np.full(len(pairs), 1.0 / len(pairs)))
    d, w = np.vstack(diffs), np.concatenate(weights)
    model = LogisticRegression(C=c, fit_intercept=False, max_iter=2000)
    model.fit(np.vstack([d, -d]), np.r_[np.ones(len(d)), np.zeros(len(d))], sample_weight=np.r_[w, w])
    weights_full = np.zeros(len(FEATURES))
    weights_full[columns] = model.coef_[0]
    mean_full, scale_full = np.zeros(len(FEATURES)), np.ones(len(FEATURES))
    mean_full[columns], scale_full[columns] = mean, scale
    return LinearRanker(FEATURES, mean_full, scale_full, weights_full, {})


def folds_of(sets: list[dict[str, Any]], folds: int, seed: int) -> dict[tuple[str, str], int]:
    """(dataset, query id) -> fold; each set is shuffled and dealt out on its own, so every fold
    holds a fifth of each set."""
    rng = np.random.default_rng(seed)
    assignment = {}
    for data in sets:
        ids = [q.query_id for q in data["queries"]]
        for position, i in enumerate(rng.permutation(len(ids))):
            assignment[(data["dataset"], ids[i])] = position % folds
    return assignment


def cross_validate(sets: list[dict[str, Any]], columns: list[int], *, folds: int = FOLDS, seed: int = 0,
                   c: float = REGULARISATION) -> dict[str, dict[str, dict[str, float]]]:
    """Held-out per-query metrics for each set: every query scored by a model that never saw it."""
    fold = folds_of(sets, folds, seed)
    held_out: dict[str, dict[str, np.ndarray]] = {data["dataset"]: {} for data in sets}
    for k in range(folds):
        train = [q for data in sets for q in data["queries"] if fold[(data["dataset"], q.query_id)] != k]
        model = fit(train, columns, c)
        for data in sets:
            for q in data["queries"]:
                if fold[(data["dataset"], q.query_id)] == k:
                    held_out[data["dataset"]][q.query_id] = model.score(q.x)
    return {data["dataset"]: _scores(data, held_out[data["dataset"]]) for data in sets}


def fixed_scores(data: dict[str, Any], score) -> dict[str, dict[str, float]]:
    """Per-query metrics of an untrained scoring rule over the same pools (e.g. linear 0.7)."""
    return _scores(data, {q.query_id: score(q.x) for q in data["queries"]})


def _scores(data: dict[str, Any], scores: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    queries = data["queries"]
    qrels: Qrels = data["qrels"]
    return per_query(ranking_run(queries, [scores[q.query_id] for q in queries]), qrels)


def load(paths: list[Path]) -> list[dict[str, Any]]:
    sets = []
    for path in paths:
        with Path(path).open("rb") as handle:
            data = pickle.load(handle)  # plain data: a class pickled under __main__ would not load elsewhere
        data["queries"] = [QueryCandidates(**q) for q in data["queries"]]
        sets.append(data)
    return sets


# feature subsets tried under the same cross-validation (eval/results.md)
ADAPTIVE = ("dense_mm", "lexical_mm", "question_x_dense", "question_x_lexical", "length_x_dense",
            "length_x_lexical", "pasted_x_lexical")  # a query-adaptive blend of the two scores, nothing else
VARIANTS = {
    "learned": FEATURES,
    "adaptive-blend": ADAPTIVE,
    "learned-no-doc": tuple(f for f in FEATURES if not f.startswith(("doc_", "is_doc"))),
}


def _prf_rule(x: np.ndarray) -> np.ndarray:
    """Dense pseudo-relevance feedback in the fixed blend: 0.7 x min-max(PRF cosine) + 0.3 x min-max(BM25)."""
    prf = x[:, FEATURES.index("prf_dense")]
    spread = prf.max() - prf.min()
    return 0.7 * ((prf - prf.min()) / spread if spread > 1e-12 else np.zeros_like(prf)) + 0.3 * x[:, FEATURES.index("lexical_mm")]


def report(sets: list[dict[str, Any]], seed: int = 0) -> dict[str, dict[str, Any]]:
    """Every variant's held-out nDCG@10 per set, each against linear 0.7 over the same pools."""
    linear_column = FEATURES.index("linear_0.7")
    rows: dict[str, dict[str, Any]] = {}
    baselines = {d["dataset"]: fixed_scores(d, lambda x: x[:, linear_column]) for d in sets}
    results = {name: cross_validate(sets, [FEATURES.index(f) for f in columns], seed=seed)
               for name, columns in VARIANTS.items()}
    results["dense-prf"] = {d["dataset"]: fixed_scores(d, _prf_rule) for d in sets}
    harness = {d["dataset"]: d.get("hybrid_per_query") for d in sets}
    for name, per_set in results.items():
        for dataset, scores in per_set.items():
            result = compare(baselines[dataset], scores, names=(f"{dataset}:linear-0.7-pool", f"{dataset}:{name}"))
            rows.setdefault(name, {})[dataset] = result
            print(result.summary())
            measured = harness[dataset]
            if measured is not None and name == "learned":
                against = compare(measured, scores, names=(f"{dataset}:hybrid-harness", f"{dataset}:{name}"))
                rows.setdefault(f"{name}-vs-harness", {})[dataset] = against
                print(against.summary())
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    dumping = commands.add_parser("dump")
    dumping.add_argument("results", type=Path, help="a zhengce eval --json file (its index is read)")
    training = commands.add_parser("train")
    training.add_argument("dumps", nargs="+", type=Path)
    training.add_argument("--write", action="store_true", help=f"train on everything and write {MODEL_FILE.name}")
    training.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "dump":
        print(dump(args.results))
        return 0
    sets = load(args.dumps)
    rows = report(sets, args.seed)
    if args.write:
        model = fit([q for data in sets for q in data["queries"]], list(range(len(FEATURES))))
        cv = {d: {"nDCG@10": round(r.mean_b, 4), "linear_0.7": round(r.mean_a, 4), "p": round(r.p_value, 4)}
              for d, r in rows["learned"].items()}
        record = {"trained_on": {d["dataset"]: f"{d['split']}, {len(d['queries'])} queries" for d in sets},
                  "cross_validated": cv, "folds": FOLDS, "seed": args.seed,
                  "loss": "pairwise logistic (relevant minus non-relevant candidate), each query weighted equally",
                  "negatives_per_positive": NEGATIVES_PER_POSITIVE, "C": REGULARISATION,
                  "rebuild": "python -m eval.learn dump RESULTS.json (one per set, from zhengce eval --json); "
                             "python -m eval.learn train var/eval/learn/*.pkl --write"}
        trained = LinearRanker(model.features, model.mean, model.scale, model.weights, record)
        MODEL_FILE.write_text(_json(trained), encoding="utf-8")
        print(f"model: {MODEL_FILE}")
    return 0


def _json(model: LinearRanker) -> str:
    return json.dumps(model.to_dict(), ensure_ascii=False, indent=1) + "\n"


if __name__ == "__main__":
    sys.exit(main())
