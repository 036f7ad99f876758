"""Train and cross-validate the learned ranker (indexer.retrieval.rerank) on the dev splits.

    zhengce eval --dataset ../shared/eval/ncppolicies --json var/eval-ncppolicies.json   # each set, once
    python -m eval.learn dump var/eval-ncppolicies.json   # candidates + features of that run's index
    python -m eval.learn dump var/eval-msgabench.json
    python -m eval.learn train var/eval/learn/*.pkl [--json CV.json] [--write]   # 5-fold CV, then the model
    python -m eval.learn repeated CV-seed*.json --variant V   # per-query mean over deals of the folds

``dump`` searches each dev query once, exactly as ``zhengce eval`` does (same index, same 300-chunk
depth), and saves each query's candidate pool with its features and labels plus the rest of the
ranking, so training and every variant below cost seconds to minutes (the index must keep sentence
vectors, for the best-sentence features, as ``zhengce eval`` builds it by default). ``train`` splits the
queries of all sets into folds by query (a query is never in both training and evaluation), trains
each variant (a pairwise logistic model and LightGBM LambdaRank, with and without document aggregates,
today's fusion score and the best-sentence scores) on the other folds of both sets together and scores each held-out query
as the Searcher would rank it; the per-query nDCG@10 and R@10 of those held-out rankings are
compared with today's fusion as ``zhengce eval`` measured it, by a paired randomisation test.
``--write`` then trains LambdaRank on every query and writes its trees with their training record.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from eval.metrics import Qrels, per_query
from eval.significance import compare
from indexer.retrieval.rerank import (
    BLEND,
    BLENDED,
    CANDIDATE_FEATURES,
    FEATURES,
    MODEL_FILE,
    SENTENCES,
    WIDE,
    TreeRanker,
    features,
    with_blend,
)

DUMP_DIR = Path("var/eval/learn")
FOLDS = 5
NEGATIVES_PER_POSITIVE = 40  # the highest-ranked non-relevant candidates paired with each relevant one
REGULARISATION = 1.0  # sklearn's C on standardised features
DOCUMENT_AGGREGATES = tuple(f for f in CANDIDATE_FEATURES if f.startswith(("doc_", "is_doc")))
# LightGBM LambdaRank, fixed before any run (small trees, strong leaves: ~1,800 training queries)
LAMBDARANK: dict[str, Any] = {"objective": "lambdarank", "n_estimators": 200, "learning_rate": 0.05, "num_leaves": 15,
              "min_child_samples": 50, "colsample_bytree": 0.8, "reg_lambda": 1.0,
              "lambdarank_truncation_level": 30, "label_gain": [0.0, 1.0],
              "n_jobs": 1, "random_state": 0, "deterministic": True, "verbose": -1}


@dataclass
class QueryCandidates:
    query_id: str
    units: list[str]  # the corpus id each pool row belongs to
    x: np.ndarray  # (pool, len(FEATURES))
    labels: np.ndarray  # 1 where the unit is judged relevant
    tail: list[str]  # units of the rest of today's ranking, in order, after the pool
    rows: list[int] = field(default_factory=list)  # the index row of each pool candidate (eval.confidence_dumps)


class Scorer(Protocol):
    def score(self, x: np.ndarray) -> np.ndarray: ...


Trainer = Callable[[list["QueryCandidates"], list[int]], Scorer]


def dump(results_path: Path, out_dir: Path = DUMP_DIR, depth: int = 300, embedder: Any = None,
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


@dataclass(frozen=True)
class LinearRanker:
    """score = standardised features . weights (the pairwise logistic variants)."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray

    def score(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.weights


@dataclass(frozen=True)
class TreeScorer:
    """A LightGBM model trained on some columns of the feature matrix, scoring the whole matrix."""

    model: Any
    columns: list[int]

    def score(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict(x[:, self.columns]), dtype=np.float64)


def fit(queries: list[QueryCandidates], columns: list[int], c: float = REGULARISATION) -> LinearRanker:
    """Pairwise logistic regression: relevant minus non-relevant candidate of the same query, each
    query weighing the same however many pairs it has. Weights of columns left out are 0."""
    from sklearn.linear_model import LogisticRegression

    width = queries[0].x.shape[1]
    all_x = np.vstack([q.x[:, columns] for q in queries])
    mean, scale = all_x.mean(axis=0), all_x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    ranked_by = FEATURES.index("linear_0.7")
    diffs, weights = [], []
    for query in queries:
        x = (query.x[:, columns] - mean) / scale
        positive, negative = np.flatnonzero(query.labels == 1), np.flatnonzero(query.labels == 0)
        if not len(positive) or not len(negative):
            continue
        hardest = negative[np.argsort(-query.x[negative, ranked_by])[:NEGATIVES_PER_POSITIVE]]
        pairs = x[positive][:, None, :] - x[hardest][None, :, :]
        pairs = pairs.reshape(-1, len(columns))
        diffs.append(pairs)
        weights.append(np.full(len(pairs), 1.0 / len(pairs)))
    d, w = np.vstack(diffs), np.concatenate(weights)
    model = LogisticRegression(C=c, fit_intercept=False, max_iter=2000)
    model.fit(np.vstack([d, -d]), np.r_[np.ones(len(d)), np.zeros(len(d))], sample_weight=np.r_[w, w])
    weights_full = np.zeros(width)
    weights_full[columns] = model.coef_[0]
    mean_full, scale_full = np.zeros(width), np.ones(width)
    mean_full[columns], scale_full[columns] = mean, scale
    return LinearRanker(FEATURES, mean_full, scale_full, weights_full)


def fit_lambdarank(queries: list[QueryCandidates], columns: list[int]) -> TreeScorer:
    """LightGBM LambdaRank on the chosen columns: trees can weigh dense against BM25 differently for
    different kinds of query, which one linear score cannot."""
    import lightgbm

    kept = [q for q in queries if q.labels.any() and not q.labels.all()]  # no pair, no gradient
    model = lightgbm.LGBMRanker(**LAMBDARANK)
    model.fit(np.vstack([q.x[:, columns] for q in kept]), np.concatenate([q.labels for q in kept]),
              group=[len(q.labels) for q in kept])
    return TreeScorer(model, columns)


def best_chunk_labels(queries: list[QueryCandidates]) -> list[QueryCandidates]:
    """Training pools where only each relevant unit's best chunk by today's fusion is relevant and its
    other chunks are left out: a unit is ranked by its best chunk, so a weak passage of a relevant
    document is no example of what should rise."""
    hybrid = FEATURES.index("hybrid")
    kept = []
    for q in queries:
        best: dict[str, int] = {}
        for i in np.flatnonzero(q.labels == 1).tolist():
            if q.units[i] not in best or q.x[i, hybrid] > q.x[best[q.units[i]], hybrid]:
                best[q.units[i]] = i
        rows = [i for i in range(len(q.units)) if q.labels[i] == 0 or best.get(q.units[i]) == i]
        kept.append(QueryCandidates(q.query_id, [q.units[i] for i in rows], q.x[rows], q.labels[rows], q.tail))
    return kept


def fit_lambdarank_best(queries: list[QueryCandidates], columns: list[int]) -> TreeScorer:
    """LambdaRank trained on the best chunk of each relevant unit (``best_chunk_labels``)."""
    return fit_lambdarank(best_chunk_labels(queries), columns)


def choose_blend(queries: list[QueryCandidates]) -> tuple[float, float, float]:
    """The eval.sentences grid point whose blend ranks these (training) queries best: mean nDCG@10 over
    their pools, each unit by its best candidate, judged by the pool's labels."""
    from eval.sentences import GRID

    scaled = [q.x[:, [FEATURES.index(name) for name in BLENDED]] @ np.asarray(GRID).T for q in queries]
    discount = 1.0 / np.log2(np.arange(2, 12))
    totals = np.zeros(len(GRID))
    for query, scores in zip(queries, scaled):
        units, unit_of = np.unique(query.units, return_inverse=True)
        relevant = np.zeros(len(units))
        np.maximum.at(relevant, unit_of, query.labels)
        if not relevant.any():
            continue
        ideal = discount[: int(min(10, relevant.sum()))].sum()
        best = np.full((len(units), len(GRID)), -np.inf)
        np.maximum.at(best, unit_of, scores)
        top = np.argsort(-best, axis=0, kind="stable")[:10]
        totals += (relevant[top] * discount[: len(top), None]).sum(axis=0) / ideal
    return GRID[int(np.argmax(totals))]


@dataclass(frozen=True)
class BlendedScorer:
    """A tree model trained with the blend column its training queries chose (``fit_lambdarank_blend``)."""

    scorer: TreeScorer
    weights: tuple[float, float, float]

    def score(self, x: np.ndarray) -> np.ndarray:
        return self.scorer.score(with_blend(x, self.weights))


def fit_lambdarank_blend(queries: list[QueryCandidates], columns: list[int]) -> BlendedScorer:
    """LambdaRank with one more column, eval.sentences' three-score blend, its weights chosen on the
    training queries alone (so a held-out query never informs its own blend)."""
    weights = choose_blend(queries)
    print(f"blend chosen on {len(queries)} training queries (dense, BM25, sentence): {weights}", flush=True)
    widened = [QueryCandidates(q.query_id, q.units, with_blend(q.x, weights), q.labels, q.tail) for q in queries]
    return BlendedScorer(fit_lambdarank(widened, [*columns, len(FEATURES)]), weights)


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
                   trainer: Trainer = fit) -> dict[str, dict[str, dict[str, float]]]:
    """Held-out per-query metrics for each set: every query scored by a model that never saw it (the
    folds the dumps carry when they all do, else dealt here)."""
    if all(data.get("folds") for data in sets):
        fold = {(data["dataset"], q): k for data in sets for q, k in data["folds"].items()}
        folds = max(fold.values()) + 1
    else:
        fold = folds_of(sets, folds, seed)
    held_out: dict[str, dict[str, np.ndarray]] = {data["dataset"]: {} for data in sets}
    for k in range(folds):
        train = [q for data in sets for q in data["queries"] if fold[(data["dataset"], q.query_id)] != k]
        model = trainer(train, columns)
        for data in sets:
            for q in data["queries"]:
                if fold[(data["dataset"], q.query_id)] == k:
                    held_out[data["dataset"]][q.query_id] = model.score(q.x)
    return {data["dataset"]: _scores(data, held_out[data["dataset"]]) for data in sets}


def fixed_scores(data: dict[str, Any], score: Callable[[np.ndarray], np.ndarray]) -> dict[str, dict[str, float]]:
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
        if data.get("columns") != list(FEATURES):
            raise SystemExit(f"{path} holds other features; dump it again with python -m eval.learn dump")
        data["queries"] = [QueryCandidates(**q) for q in data["queries"]]
        sets.append(data)
    return sets


def _without(*dropped: tuple[str, ...]) -> tuple[str, ...]:
    """The candidate features and today's fusion score, less ``dropped`` (no sentence column)."""
    gone = {name for names in dropped for name in names}
    return tuple(c for c in CANDIDATE_FEATURES + WIDE if c not in gone)


# (trainer, columns) of each variant tried under the same cross-validation (eval/results.md)
VARIANTS: dict[str, tuple[Trainer, tuple[str, ...]]] = {
    "logistic": (fit, CANDIDATE_FEATURES),
    "logistic-no-doc": (fit, _without(DOCUMENT_AGGREGATES, WIDE)),
    "logistic+hybrid": (fit, CANDIDATE_FEATURES + WIDE),
    "logistic+hybrid-no-doc": (fit, _without(DOCUMENT_AGGREGATES)),
    "lambdarank": (fit_lambdarank, CANDIDATE_FEATURES),
    "lambdarank-no-doc": (fit_lambdarank, _without(DOCUMENT_AGGREGATES, WIDE)),
    "lambdarank+hybrid": (fit_lambdarank, CANDIDATE_FEATURES + WIDE),
    "lambdarank+hybrid-no-doc": (fit_lambdarank, _without(DOCUMENT_AGGREGATES)),
    "lambdarank-best-chunk": (fit_lambdarank_best, CANDIDATE_FEATURES),
    "lambdarank-best-chunk-no-doc": (fit_lambdarank_best, _without(DOCUMENT_AGGREGATES, WIDE)),
    "lambdarank+hybrid-no-doc+sentences": (fit_lambdarank, _without(DOCUMENT_AGGREGATES) + SENTENCES),
    "lambdarank+hybrid-no-doc+sentences+blend": (fit_lambdarank_blend, _without(DOCUMENT_AGGREGATES) + SENTENCES),
}


def report(sets: list[dict[str, Any]], seed: int = 0, names: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """Every variant's held-out nDCG@10 and R@10 per set, each against today's fusion as the harness
    measured it (paired randomisation test on each metric)."""
    rows: dict[str, dict[str, Any]] = {}
    hybrid = FEATURES.index("hybrid")
    results = {"hybrid-over-pool": {d["dataset"]: fixed_scores(d, lambda x: x[:, hybrid]) for d in sets}}
    for name in names or list(VARIANTS):
        trainer, columns = VARIANTS[name]
        results[name] = cross_validate(sets, [FEATURES.index(c) for c in columns], seed=seed, trainer=trainer)
    for name, per_set in results.items():
        for data in sets:
            dataset, measured = data["dataset"], data["hybrid_per_query"]
            scores = per_set[dataset]
            entry: dict[str, Any] = {}
            for metric in ("nDCG@10", "R@10"):
                result = compare(measured, scores, metric=metric, names=(f"{dataset}:hybrid", f"{dataset}:{name}"),
                                 seed=seed)
                entry[metric] = {"hybrid": round(result.mean_a, 4), name: round(result.mean_b, 4),
                                 "difference": round(result.difference, 4), "p": round(result.p_value, 4)}
                print(result.summary(), flush=True)
            entry["per_query"] = scores
            rows.setdefault(name, {})[dataset] = entry
    return rows


def repeated(reports: list[dict[str, Any]], variant: str, seed: int = 0) -> dict[str, dict[str, Any]]:
    """One variant over several deals of the folds (``train --json`` reports of dumps dealt with
    different seeds): each query's held-out metrics averaged over the deals, against today's fusion
    as the harness measured it, by the paired randomisation test. Averaging removes the luck of one
    deal, which on these sets is as large as the gains (eval/results.md, section 17)."""
    rows: dict[str, dict[str, Any]] = {}
    for dataset, measured in reports[0]["today"].items():
        runs = [report["variants"][variant][dataset]["per_query"] for report in reports]
        mean = {q: {m: float(np.mean([run[q][m] for run in runs])) for m in runs[0][q]} for q in measured}
        rows[dataset] = {"deals": len(runs), "means": {m: round(float(np.mean([v[m] for v in mean.values()])), 4)
                                                       for m in next(iter(mean.values()))}}
        for metric in ("nDCG@10", "R@10"):
            result = compare(measured, mean, metric=metric, names=(f"{dataset}:hybrid", f"{dataset}:{variant}"),
                             seed=seed)
            wins = sum(np.mean([run[q][metric] for q in measured]) > result.mean_a for run in runs)
            rows[dataset][metric] = {"hybrid": round(result.mean_a, 4), variant: round(result.mean_b, 4),
                                     "difference": round(result.difference, 4), "p": round(result.p_value, 4),
                                     "deals_above": int(wins)}
            print(f"{result.summary()}; above at {wins} of {len(runs)} deals", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    dumping = commands.add_parser("dump")
    dumping.add_argument("results", type=Path, help="a zhengce eval --json file (its index is read)")
    training = commands.add_parser("train")
    training.add_argument("dumps", nargs="+", type=Path)
    training.add_argument("--variants", help=f"comma-separated, of: {', '.join(VARIANTS)} (default: all)")
    training.add_argument("--json", type=Path, help="write the cross-validated figures here")
    training.add_argument("--write", action="store_true",
                          help=f"train the first variant (LambdaRank) on everything and write {MODEL_FILE.name}")
    training.add_argument("--seed", type=int, default=0)
    repeating = commands.add_parser("repeated", help="one variant's held-out figures averaged over fold deals")
    repeating.add_argument("reports", nargs="+", type=Path, help="train --json files, one per deal of the folds")
    repeating.add_argument("--variant", required=True)
    repeating.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.command == "dump":
        print(dump(args.results))
        return 0
    if args.command == "repeated":
        reports = [json.loads(path.read_text(encoding="utf-8")) for path in args.reports]
        averaged = repeated(reports, args.variant)
        if args.json:
            args.json.write_text(json.dumps(averaged, indent=1) + "\n", encoding="utf-8")
        return 0
    sets = load(args.dumps)
    names = args.variants.split(",") if args.variants else None
    rows = report(sets, args.seed, names)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        today = {data["dataset"]: data["hybrid_per_query"] for data in sets}
        args.json.write_text(json.dumps({"variants": rows, "today": today}) + "\n", encoding="utf-8")
    if args.write:
        write_model(sets, rows, args.seed, names[0] if names else "lambdarank")
    return 0


def write_model(sets: list[dict[str, Any]], rows: dict[str, dict[str, Any]], seed: int, variant: str) -> None:
    """The shipped opt-in model: a LambdaRank variant on the Searcher's features, trained on every
    query, its trees exported as arrays for ``indexer.retrieval.rerank.TreeRanker`` (the columns a
    variant leaves out are never split on)."""
    trainer, columns = VARIANTS[variant]
    if trainer not in (fit_lambdarank, fit_lambdarank_best, fit_lambdarank_blend):
        raise SystemExit(f"--write takes one LambdaRank variant, not {variant}")
    queries = [q for data in sets for q in data["queries"]]
    scorer = trainer(queries, [FEATURES.index(c) for c in columns])
    trees, blend = (scorer.scorer, scorer.weights) if isinstance(scorer, BlendedScorer) else (scorer, None)
    assert isinstance(trees, TreeScorer)
    record = {"trained_on": {d["dataset"]: f"{d['split']}, {len(d['queries'])} queries" for d in sets},
              "cross_validated": {dataset: {m: v for m, v in entry.items() if m != "per_query"}
                                  for dataset, entry in rows.get(variant, {}).items()},
              "folds": FOLDS, "seed": seed,
              "model": f"LightGBM LambdaRank, variant {variant} of eval.learn", "settings": LAMBDARANK,
              "rebuild": "python -m eval.learn dump RESULTS.json (one per set, from zhengce eval --json); "
                         f"python -m eval.learn train var/eval/learn/*.pkl --variants {variant} --write"}
    names = FEATURES + ((BLEND,) if blend else ())
    trained = TreeRanker(names, trees_of(trees.model.booster_, trees.columns), record, blend)
    check = np.vstack([q.x for q in queries[:50]])
    if not np.allclose(trained.score(check), scorer.score(check), atol=1e-9):
        raise SystemExit("the exported trees do not reproduce LightGBM's scores")
    MODEL_FILE.write_text(json.dumps(trained.to_dict(), ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"model: {MODEL_FILE}")


def trees_of(booster: Any, columns: list[int]) -> tuple[dict[str, np.ndarray], ...]:
    """A LightGBM booster's trees as TreeRanker arrays over the full feature matrix (the booster saw
    ``columns`` of it). Numerical splits only; the features are never missing, so LightGBM's
    missing-value routing never applies."""
    trees = []
    for info in booster.dump_model()["tree_info"]:
        splits: dict[int, tuple[int, float, int, int]] = {}
        leaves: dict[int, float] = {}
        _walk(info["tree_structure"], splits, leaves)
        nodes = [splits[i] for i in range(len(splits))]
        trees.append({"feature": np.array([columns[n[0]] for n in nodes], dtype=np.int64),
                      "threshold": np.array([n[1] for n in nodes], dtype=np.float64),
                      "left": np.array([n[2] for n in nodes], dtype=np.int64),
                      "right": np.array([n[3] for n in nodes], dtype=np.int64),
                      "value": np.array([leaves[i] for i in range(len(leaves))], dtype=np.float64)})
    return tuple(trees)


def _walk(node: dict[str, Any], splits: dict[int, tuple[int, float, int, int]], leaves: dict[int, float]) -> int:
    """Collect a dumped (sub)tree's splits as (feature, threshold, left, right) and its leaf values;
    returns the node's TreeRanker reference (a split's index, or ~leaf)."""
    if "split_index" not in node:  # a leaf (a one-leaf tree's root carries no leaf_index)
        leaf = int(node.get("leaf_index", 0))
        leaves[leaf] = float(node["leaf_value"])
        return ~leaf
    if node["decision_type"] != "<=":
        raise SystemExit(f"unsupported split {node['decision_type']!r}")
    left, right = _walk(node["left_child"], splits, leaves), _walk(node["right_child"], splits, leaves)
    splits[int(node["split_index"])] = (int(node["split_feature"]), float(node["threshold"]), left, right)
    return int(node["split_index"])


if __name__ == "__main__":
    sys.exit(main())
